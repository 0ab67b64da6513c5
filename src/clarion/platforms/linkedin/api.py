"""LinkedIn's versioned REST API over plain HTTP: one call, and what its answer means.

``requests`` is imported inside :func:`call` only: importing this module stays cheap.

Every call carries ``Linkedin-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0`` ("All
APIs require the request header Linkedin-Version ... All APIs require the request header
X-Restli-Protocol-Version: 2.0.0": learn.microsoft.com/en-us/linkedin/marketing/
community-management/shares/posts-api) and the token as ``Authorization: Bearer``.

Errors arrive as ``{"message", "serviceErrorCode", "status"}`` (learn.microsoft.com/en-us/
linkedin/shared/api-guide/concepts/error-handling); the HTTP status decides:

* 401: the token is missing, expired or revoked; 403: the member lacks the permission or the
  Page role (``w_organization_social``, ADMINISTRATOR or CONTENT_ADMIN). Both refuse every post
  of the account the same way, so the account is paused until ``accounts check`` passes.
* 426: the ``Linkedin-Version`` asked for is retired ("sunset"; a version is supported for at
  least a year: learn.microsoft.com/en-us/linkedin/marketing/versioning). Every request fails
  until Clarion is upgraded, so the account is paused too, with words saying so.
* 429: a daily application or member limit, or LinkedIn's infrastructure protection; "API
  service will return to normal automatically" (learn.microsoft.com/en-us/linkedin/shared/
  api-guide/concepts/rate-limits): sent again later, not before ``Retry-After`` when given.
* 422 with "duplicate": LinkedIn refused a repeat of a recent post.
* 5xx say nothing sure: the Posts API has no idempotency key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.platforms import http, transport
from clarion.platforms.http import Answer as Answer  # (re-exported: one shape for all)
from clarion.platforms.http import NoAnswer as NoAnswer
from clarion.platforms.outcomes import Failed, Outcome, RetryLater, Unknown
from clarion.secrets import redact

#: The API version every request names, the one place to change it: 202603 (March 2026), the
#: newest in LinkedIn's versioning page (learn.microsoft.com/en-us/linkedin/marketing/versioning,
#: checked 2026-12-03); supported for at least a year from its release.
LINKEDIN_VERSION = "202603"
RESTLI_PROTOCOL = "2.0.0"
DEFAULT_API_BASE = "https://api.linkedin.com"
#: What a person reads when LinkedIn says the version is retired (HTTP 426).
RETIRED = (
    f"this Clarion's LinkedIn API version is retired (Linkedin-Version {LINKEDIN_VERSION}); "
    "upgrade Clarion to a release that names a supported version"
)


def headers(token: str | None = None, content_type: str | None = None) -> dict[str, str]:
    """The headers of every call (the token only when sending, never in a preview)."""
    out = {"Linkedin-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": RESTLI_PROTOCOL}
    if content_type:
        out["Content-Type"] = content_type
    if token is not None:
        out["Authorization"] = f"Bearer {token}"
    return out


def encode(body: Any) -> bytes:
    """A JSON body exactly as sent (compact, UTF-8): the preview shows the same value."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ApiError:
    status: int
    message: str
    code: int | None = None

    def describe(self) -> str:
        what = f"HTTP {self.status}" + (
            f", serviceErrorCode {self.code}" if self.code is not None else ""
        )
        return f"LinkedIn answered: {self.message} ({what})"

    @property
    def retired(self) -> bool:
        return self.status == 426

    @property
    def auth(self) -> bool:
        return self.status in (401, 403) or self.retired

    @property
    def duplicate(self) -> bool:
        return self.status == 422 and "duplicate" in self.message.lower()


def error_of(answer: Answer) -> ApiError | None:
    """The error in ``answer``, None for a success; a non-2xx answer without LinkedIn's shape
    (a proxy's HTML page) still gives one, with the start of its body."""
    if 200 <= answer.status < 300:
        return None
    body = answer.data if isinstance(answer.data, dict) else {}
    message = body.get("message")
    if not isinstance(message, str) or not message:
        message = " ".join(answer.text.split())[:200] or "an empty body"
    code = body.get("serviceErrorCode")
    return ApiError(answer.status, message, code if isinstance(code, int) else None)


def call(
    method: str,
    url: str,
    token: str,
    timeout: float,
    *,
    params: Mapping[str, str] | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
) -> Answer | NoAnswer:
    """One request with the two version headers and the token in ``Authorization``, a timeout
    on connecting and on every read, no redirects followed (:func:`.http.request`)."""
    return http.request(
        method, url, headers(token, content_type), timeout, params=params, data=body
    )


def throttled(answer: Answer, words: str, what: str = "") -> RetryLater:
    when = transport.reset_time(answer.headers)
    return transport.rate_limited("LinkedIn", when, what=what, detail=words)


def refused(err: ApiError) -> Failed:
    """The outcome of a 401, 403 or 426: the account's other posts would be refused too."""
    words = redact(err.describe())
    if err.retired:
        return Failed(f"{RETIRED} ({words})", auth=True)
    if err.status == 401:
        return Failed(f"LinkedIn refused the access token: {words}", auth=True)
    return Failed(
        f"{words}; the token needs w_organization_social and its member an ADMINISTRATOR or "
        "CONTENT_ADMIN role on the Page",
        auth=True,
    )


def outcome_of(answer: Answer | NoAnswer, posting: bool) -> Outcome | None:
    """What a request's answer means for the delivery; None when it succeeded. ``posting``: it
    is ``POST /rest/posts`` (else an image's initialisation or upload, which makes no post and
    is safe to repeat)."""
    if isinstance(answer, NoAnswer):
        why = redact(answer.reason)
        if not answer.sent:
            return transport.unreachable("LinkedIn", why)
        if posting:
            return Unknown(f"no answer from LinkedIn after sending the post: {why}")
        return RetryLater(f"uploading an image failed, nothing was posted: {why}")
    err = error_of(answer)
    if err is None:
        return None
    words = redact(err.describe())
    if err.auth:
        return refused(err)
    if err.status == 429:
        return throttled(answer, words, "when posting" if posting else "when uploading an image")
    if err.duplicate:
        return Failed(words, duplicate=True)
    if err.status >= 500:
        if posting:
            return Unknown(f"the post may or may not have been made: {words}")
        return RetryLater(f"uploading an image failed, nothing was posted: {words}")
    return Failed(words)
