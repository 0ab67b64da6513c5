"""``clarion accounts check`` for an Instagram account.

* ``GET /{ig-user-id}?fields=username``: who Clarion posts as (and that the token works);
* ``GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config``: how many posts were
  published through the API in the last 24 hours, of how many (``config.quota_total`` in
  ``config.quota_duration`` seconds):
  https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit
* ``GET /debug_token?input_token=...``: when the token expires, where the host answers it (Graph
  with Facebook Login does; when it does not, nothing is said about the expiry);
* the media address (``media_base_url``): without one nothing can be published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clarion.platforms import limits, public_media
from clarion.platforms.adapter import AccountStatus
from clarion.platforms.facebook import graph
from clarion.platforms.facebook.graph import NoAnswer
from clarion.platforms.instagram import _api
from clarion.secrets import redact

if TYPE_CHECKING:
    from clarion.platforms.instagram.adapter import InstagramAdapter


def check(adapter: InstagramAdapter) -> AccountStatus:
    name, account = adapter.platform.name, adapter.account
    creds = adapter._credentials()
    if isinstance(creds, str):
        return AccountStatus(name, account, False, problem=creds)
    user, token = creds
    base = adapter.api_base(adapter.credentials())
    timeout = adapter.timeout_s
    answer = graph.call("GET", f"{base}/{user}", token, timeout, params={"fields": "id,username"})
    if isinstance(answer, NoAnswer):
        return AccountStatus(
            name, account, False, problem=f"could not reach Instagram: {redact(answer.reason)}"
        )
    err = graph.error_of(answer)
    if err is not None:
        return AccountStatus(name, account, False, problem=redact(_api.describe(err)))
    username = _api.data_of(answer).get("username")
    posts_as = f"@{username}" if username else user
    details: dict[str, str] = {"account id": user}
    problems: list[str] = []

    quota = graph.call(
        "GET",
        f"{base}/{user}/content_publishing_limit",
        token,
        timeout,
        params={"fields": "quota_usage,config"},
    )
    details["quota"] = _quota_words(
        quota, lambda most, window: limits.save_quota(name, account, base, most, window)
    )

    media = adapter.credentials().get("media_base_url")
    if not media:
        problems.append(
            "no media address: set CLARION_INSTAGRAM_MEDIA_BASE_URL to the web folder where "
            "`clarion media export` files are published (Instagram fetches images from it)"
        )
    else:
        details["media"] = media
        problem = public_media.base_problem(media)
        if problem:
            problems.append(problem)

    expires, expires_at = _expiry(base, token, timeout)
    return AccountStatus(
        name,
        account,
        not problems,
        posts_as=posts_as,
        expires=expires,
        problem="; ".join(problems) or None,
        details=details,
        expires_at=expires_at,
    )


def _quota_words(answer: graph.Answer | NoAnswer, keep: Callable[[object, object], None]) -> str:
    """The quota in words (``keep(total, seconds)`` is told the account's own figures)."""
    if isinstance(answer, NoAnswer):
        return redact(f"could not read the publishing limit: {answer.reason}")
    err = graph.error_of(answer)
    if err is not None:
        return redact(f"could not read the publishing limit: {_api.describe(err)}")
    rows = _api.data_of(answer).get("data") or []
    row = rows[0] if rows and isinstance(rows[0], dict) else {}
    used = row.get("quota_usage")
    found = row.get("config")
    config: dict[str, Any] = found if isinstance(found, dict) else {}
    total, seconds = config.get("quota_total"), config.get("quota_duration")
    keep(total, seconds)
    if not isinstance(used, int):
        return "Instagram did not say how much of the publishing limit is used"
    if not isinstance(total, int):
        return f"{used} posts published through the API in the last 24 hours"
    hours = seconds // 3600 if isinstance(seconds, int) and seconds else 24
    return f"{used} of {total} posts used in the last {hours} hours"


def _expiry(base: str, token: str, timeout: float) -> tuple[str | None, dt.datetime | None]:
    answer = graph.call("GET", f"{base}/debug_token", token, timeout, params={"input_token": token})
    if isinstance(answer, NoAnswer) or graph.error_of(answer) is not None:
        return None, None
    data = _api.data_of(answer).get("data")
    at = data.get("expires_at") if isinstance(data, dict) else None
    if not isinstance(at, int | float) or isinstance(at, bool):
        return None, None
    if at == 0:
        return "never", None
    try:
        when = dt.datetime.fromtimestamp(at, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None, None
    return when.isoformat(timespec="seconds"), when
