"""Reading a Threads profile: finding a post after an unknown outcome, and checking the account.

Endpoints (Meta's Threads API reference):

* ``GET /{user-id}/threads?fields=id,text,timestamp,permalink`` lists the profile's posts, newest
  first, with ``paging.cursors.after`` (named as the retrieval endpoint by the Accessibility
  page, https://developers.facebook.com/documentation/threads/posts/accessibility, with Graph's
  cursor paging); ``GET /{user-id}/replies`` lists its replies the same way
  (Reply Management reference, https://developers.facebook.com/documentation/threads/reference/
  reply-management), so a thread's later parts are looked for there.
* ``GET /me?fields=id,username``: who the token belongs to.
* ``GET /{user-id}/threads_publishing_limit?fields=quota_usage,config`` answers
  ``{"data": [{"quota_usage": 4, "config": {"quota_total": 250, "quota_duration": 86400}}]}``
  (Overview page, https://developers.facebook.com/documentation/threads/overview).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from clarion.platforms import limits
from clarion.platforms.adapter import AccountStatus, Request, parse_instant
from clarion.platforms.outcomes import Absent, Published, ReconcileOutcome, Unknown
from clarion.platforms.threads import api
from clarion.platforms.threads.api import Answer, NoAnswer
from clarion.secrets import redact

#: What reconcile reads per page, and how many pages at most.
PER_PAGE = 50
MAX_PAGES = 3
#: A post older than its due time by more than this cannot be the one sent for it.
CLOCK_MARGIN = dt.timedelta(minutes=10)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def sent_text(request: Request) -> tuple[str, bool]:
    """The text the request sent (its last container's), and whether it is a reply."""
    containers = [
        s for s in request.payload.get("requests", ()) if s.get("id") == "<id of container>"
    ]
    fields = containers[-1]["fields"] if containers else {}
    return str(fields.get("text") or ""), "reply_to_id" in fields


def find(request: Request, base: str, user: str, token: str, timeout: float) -> ReconcileOutcome:
    """The post the request made, by its text among the profile's newest posts (or replies).

    *Absent* only when the listing proves the post is not there: every post was seen, or the
    listing reaches back past the due time (less :data:`CLOCK_MARGIN`). Anything else (no
    listing, more posts than were read, no text to look for) is *Unknown*: a person checks."""
    text, reply = sent_text(request)
    if not text:
        return Unknown("the post has no text to look it up by; check the profile by hand")
    due = parse_instant(request.due)
    earliest = due - CLOCK_MARGIN if due else None
    where = "replies" if reply else "threads"
    url = f"{base}/{user}/{where}"
    params = {"fields": "id,text,timestamp,permalink", "limit": str(PER_PAGE)}
    seen = 0
    for _ in range(MAX_PAGES):
        answer = api.call("GET", url, token, timeout, params=params)
        if isinstance(answer, NoAnswer):
            return Unknown(f"could not read the profile's {where}: {redact(answer.reason)}")
        err = api.error_of(answer)
        if err is not None:
            words = redact(err.describe())
            if err.throttled:
                return api.throttled(answer, words, f"while reading the profile's {where}")
            return Unknown(f"could not read the profile's {where}: {words}")
        posts = [p for p in answer.body.get("data") or [] if isinstance(p, dict)]
        seen += len(posts)
        for post in posts:
            made = parse_instant(post.get("timestamp"))
            if earliest and made and made < earliest:
                continue
            if isinstance(post.get("text"), str) and _norm(post["text"]) == _norm(text):
                link = post.get("permalink")
                return Published(str(post["id"]), str(link) if link else None)
        times = [t for t in (parse_instant(p.get("timestamp")) for p in posts) if t]
        if earliest and times and min(times) < earliest:
            return Absent(f"not among the profile's {where} since {earliest.isoformat()}")
        paging = answer.body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            return Absent(f"not among the profile's {seen} {where}")
        params = {**params, "after": str(after)}
    return Unknown(f"not among the profile's newest {seen} {where}; check it by hand")


def _quota(answer: Answer | NoAnswer) -> str:
    if isinstance(answer, NoAnswer):
        return redact(f"could not read the publishing quota: {answer.reason}")
    err = api.error_of(answer)
    if err is not None:
        return redact(f"could not read the publishing quota: {err.describe()}")
    rows = answer.body.get("data")
    row: Any = rows[0] if isinstance(rows, list) and rows else {}
    used = row.get("quota_usage") if isinstance(row, dict) else None
    config = row.get("config") if isinstance(row, dict) else None
    total = config.get("quota_total") if isinstance(config, dict) else None
    duration = config.get("quota_duration") if isinstance(config, dict) else None
    if not isinstance(used, int) or not isinstance(total, int):
        return "Threads did not say how much of its publishing quota is used"
    hours = duration // 3600 if isinstance(duration, int) and duration else 24
    return f"{used} of {total} posts used in the last {hours} hours"


def check(
    platform: str, account: str, base: str, user: str, token: str, timeout: float
) -> AccountStatus:
    """``GET /me`` (who the token posts as; it must be the configured ``user_id``), then the
    publishing quota, in ``details["quota"]``. Threads says nothing about a token's expiry
    through these calls; a long-lived token lasts 60 days from when it was made or refreshed."""
    me = api.call("GET", f"{base}/me", token, timeout, params={"fields": "id,username"})
    if isinstance(me, NoAnswer):
        problem = redact(f"could not ask Threads: {me.reason}")
        return AccountStatus(platform, account, False, problem=problem)
    err = api.error_of(me)
    if err is not None:
        lead = "Threads refused the access token: " if err.auth else ""
        return AccountStatus(platform, account, False, problem=redact(lead + err.describe()))
    who = me.body
    name = str(who.get("username") or who.get("id") or "?")
    details = {
        "user_id": user,
        # what ``accounts check`` shows as the key's expiry when Threads does not say
        "key_lifetime": "60 days from when it was made or last refreshed (Threads does not "
        "say when this token ends)",
    }
    if str(who.get("id")) != user:
        return AccountStatus(
            platform,
            account,
            False,
            posts_as=name,
            problem=f"the token is for @{name} (id {who.get('id')}), not the Threads user {user} "
            "set as user_id: set user_id to the id GET /me gives for this token",
            details=details,
        )
    limit = api.call(
        "GET",
        f"{base}/{user}/threads_publishing_limit",
        token,
        timeout,
        params={"fields": "quota_usage,config"},
    )
    details["quota"] = _quota(limit)
    if not isinstance(limit, NoAnswer) and api.error_of(limit) is None:
        rows = limit.body.get("data")
        row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
        found = row.get("config")
        config: dict[str, Any] = found if isinstance(found, dict) else {}
        limits.save_quota(
            platform, account, base, config.get("quota_total"), config.get("quota_duration")
        )
    return AccountStatus(platform, account, True, posts_as=f"@{name}", details=details)
