"""The Graph API over plain HTTP: one call, and what its answer (or its failure) means.

``requests`` is imported inside :func:`call` only: importing this module stays cheap.

Graph errors arrive as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``
(with HTTP 400, 403 or 500); the ``code`` decides, the HTTP status only when there is none:

* 190 (token expired, revoked or invalid) and 102 (session / API key) refuse the credentials.
  So do 10 and 200-299, the permission errors ("requires pages_manage_posts"), whatever their
  ``type``: every other post of the account would be refused the same way, so the account is
  paused until ``clarion accounts check`` passes (which names the missing permission). 100
  ("invalid parameter", also used for some missing features) is about one request: only that
  delivery fails.
* 4 (app), 17 (user), 32 (Page), 613 (call rate), 341 (feed action limit) and 80001 (Page
  calls) are throttling: the request was refused, so nothing was posted and it may be sent
  again; when the ``X-Business-Use-Case-Usage`` / ``X-Page-Usage`` / ``X-App-Usage`` header
  says ``estimated_time_to_regain_access`` (minutes), not before then.
* 506 ("Duplicate status message") refuses a repeat of a recent post.
* 1 and 2 (unknown / temporary errors) and HTTP 5xx say nothing sure: Graph has no idempotency
  key, so after the request that makes the post was sent, the post may exist.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.platforms import http, transport
from clarion.platforms.http import Answer as Answer  # (re-exported: one shape for all)
from clarion.platforms.http import NoAnswer as NoAnswer
from clarion.platforms.outcomes import Failed, Outcome, RetryLater, Unknown
from clarion.secrets import redact

#: The Graph API version every request names (one place to change it): v26.0, released 29 July
#: 2026, the newest in Meta's changelog (developers.facebook.com/docs/graph-api/changelog).
GRAPH_VERSION = "v26.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"

AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, 80001})
DUPLICATE_CODES = frozenset({506})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage")


@dataclass(frozen=True, slots=True)
class GraphError:
    """An error in Meta's Graph shape (``{"error": {"message", "type", "code", "error_subcode",
    "error_user_msg", "fbtrace_id"}}``), as the Graph API, Instagram and Threads answer it;
    ``label`` names who answered."""

    status: int
    message: str
    type: str | None = None
    code: int | None = None
    subcode: int | None = None
    trace: str | None = None
    user_message: str | None = None
    label: str = "Facebook"

    @property
    def auth(self) -> bool:
        return (
            self.code in AUTH_CODES
            or self.code in PERMISSION_CODES
            or (self.code is None and self.status == 401)
        )

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLE_CODES or (self.code is None and self.status == 429)

    @property
    def duplicate(self) -> bool:
        return self.code in DUPLICATE_CODES

    @property
    def uncertain(self) -> bool:
        """Nothing sure can be said: the request may have been carried out."""
        return self.code in TRANSIENT_CODES or self.status >= 500

    def describe(self) -> str:
        """The platform's own words, with what identifies the error."""
        ids = [f"HTTP {self.status}"]
        if self.code is not None:
            ids.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode else ""))
        if self.trace:
            ids.append(f"fbtrace_id {self.trace}")
        words = self.message
        if self.user_message and self.user_message not in words:
            words += f": {self.user_message}"
        return f"{self.label} answered: {words} ({', '.join(ids)})"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_of(answer: Answer, label: str = "Facebook") -> GraphError | None:
    """The Graph error in ``answer``, None for a success. A non-2xx answer without Graph's error
    shape (an HTML 502 from a proxy) still gives an error, with the start of its body."""
    err = answer.body.get("error")
    if isinstance(err, dict):
        return GraphError(
            status=answer.status,
            message=str(err.get("message") or "no message"),
            type=str(err["type"]) if err.get("type") else None,
            code=_int(err.get("code")),
            subcode=_int(err.get("error_subcode")),
            trace=str(err["fbtrace_id"]) if err.get("fbtrace_id") else None,
            user_message=str(err["error_user_msg"]) if err.get("error_user_msg") else None,
            label=label,
        )
    if 200 <= answer.status < 300:
        return None
    text = " ".join(answer.text.split())[:200] or "an empty body"
    return GraphError(status=answer.status, message=text, label=label)


def _minutes(node: Any) -> list[float]:
    """Every ``estimated_time_to_regain_access`` in a usage header's JSON, wherever it sits."""
    found: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "estimated_time_to_regain_access" and isinstance(value, int | float):
                found.append(float(value))
            else:
                found += _minutes(value)
    elif isinstance(node, list):
        for value in node:
            found += _minutes(value)
    return found


def regain_access_at(
    headers: Mapping[str, str], now: dt.datetime | None = None
) -> dt.datetime | None:
    """When Facebook expects the throttled app / Page to be served again, from the usage
    headers (minutes from now); None when no header says."""
    minutes: list[float] = []
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            minutes += _minutes(json.loads(raw))
        except ValueError:
            continue
    wait = max(minutes, default=0.0)
    if wait <= 0:
        return None
    return (now or dt.datetime.now(dt.UTC)) + dt.timedelta(minutes=wait)


def call(
    method: str,
    url: str,
    token: str,
    timeout: float,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    files: Mapping[str, tuple[str, Any, str]] | None = None,
) -> Answer | NoAnswer:
    """One request, the token in the ``Authorization`` header (never in the URL or a form
    field), with a timeout on connecting and on every read (:func:`.http.request`)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return http.request(method, url, headers, timeout, params=params, data=data, files=files)


def throttled(answer: Answer, words: str, what: str = "") -> RetryLater:
    """A throttled request: nothing was carried out; not before Facebook said, if it did."""
    when = regain_access_at(answer.headers)
    detail = f"Facebook is throttling requests: {words}"
    return transport.rate_limited("Facebook", when, what=what, detail=detail)


def outcome_of(answer: Answer | NoAnswer, posting: bool) -> Outcome | None:
    """What a request's answer means for the delivery; None when it succeeded. ``posting``: this
    request makes the post (else it uploads an unpublished photo, which is safe to repeat: an
    unpublished photo is no post). Every message is redacted."""
    if isinstance(answer, NoAnswer):
        why = redact(answer.reason)
        if not answer.sent:
            return transport.unreachable("Facebook", why)
        if posting:
            return Unknown(f"no answer from Facebook after sending the post: {why}")
        return RetryLater(f"uploading an image failed, nothing was posted: {why}")
    err = error_of(answer)
    if err is None:
        return None
    words = redact(err.describe())
    if err.auth:
        return Failed(words, auth=True)
    if err.throttled:
        return throttled(answer, words)
    if err.duplicate:
        return Failed(words, duplicate=True)
    if err.uncertain:
        if posting:
            return Unknown(f"the post may or may not have been made: {words}")
        return RetryLater(f"uploading an image failed, nothing was posted: {words}")
    return Failed(words)
