"""What Mastodon's answers mean: Mastodon.py's errors read as outcomes, in plain words.

Mastodon.py is imported inside the functions only. Its API errors carry ``(message, status code,
reason phrase, server's error)`` as their args; its rate-limit error carries nothing, so the
answer's headers are read from the session (:attr:`last_headers`, kept by the adapter's session).
An error answer once the status was sent (a 5xx, no answer) is an unknown outcome, never
"failed": the status may exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clarion.platforms import transport
from clarion.platforms.adapter import parse_instant
from clarion.platforms.outcomes import (
    Absent,
    Failed,
    Outcome,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from clarion.secrets import redact


def server_words(exc: BaseException) -> str | None:
    """The server's own error text from a Mastodon.py API error
    (its args are ``(message, status code, reason phrase, server's error)``)."""
    args = exc.args
    if len(args) >= 4 and args[3]:
        return str(args[3])
    return None


def status_code(exc: BaseException) -> int | None:
    args = exc.args
    if len(args) >= 2 and isinstance(args[1], int):
        return args[1]
    return None


def describe(exc: BaseException) -> str:
    """Plain words for an API error: the status, the reason phrase, the server's words."""
    args = exc.args
    code, words = status_code(exc), server_words(exc)
    if code is None:
        return str(exc) or type(exc).__name__
    phrase = f"{code} {args[2]}" if len(args) >= 3 and args[2] else str(code)
    return f"Mastodon answered {phrase}" + (f": {words}" if words else "")


def rate_limited(client: Any, what: str) -> RetryLater:
    """Not before the latest of the refusal's ``Retry-After`` (seconds or an HTTP date) and
    its ``X-RateLimit-Reset`` (Mastodon writes an ISO 8601 instant; read against the
    answer's ``Date``, as Mastodon.py does, so a skewed clock does not shorten the wait)."""
    headers = getattr(getattr(client, "session", None), "last_headers", None)
    found = [t for t in (transport.reset_time(headers), iso_reset(headers)) if t]
    return transport.rate_limited("Mastodon", max(found) if found else None, what=what)


def api_outcome(exc: BaseException) -> Outcome | None:
    """Outcomes that read the same at any stage: refused credentials, refused content."""
    from mastodon.errors import MastodonAPIError, MastodonServerError

    if not isinstance(exc, MastodonAPIError) or isinstance(exc, MastodonServerError):
        return None
    code, words = status_code(exc), server_words(exc)
    if code in (401, 403):
        return Failed(redact(words or describe(exc)), auth=True)
    if code is not None and 400 <= code < 500:
        return Failed(redact(words or describe(exc)))
    return None


def media_outcome(client: Any, exc: BaseException) -> Outcome:
    """An image upload failed: no status was sent, so a retry cannot post twice."""
    from mastodon.errors import (
        MastodonIllegalArgumentError,
        MastodonIOError,
        MastodonNetworkError,
        MastodonRatelimitError,
        MastodonServerError,
    )

    if isinstance(exc, MastodonRatelimitError):
        return rate_limited(client, "while uploading an image")
    if isinstance(exc, MastodonNetworkError | MastodonServerError):
        return RetryLater(
            f"uploading an image failed, nothing was posted: {redact(describe(exc))}",
            before_send=True,
        )
    if isinstance(exc, MastodonIOError | MastodonIllegalArgumentError):
        return Failed(f"could not read the image: {redact(str(exc))}")
    known = api_outcome(exc)
    if known is not None:
        return known
    return Unknown(f"uploading an image failed: {type(exc).__name__}: {redact(str(exc))}")


def status_outcome(client: Any, exc: BaseException) -> Outcome:
    from mastodon.errors import (
        MastodonNetworkError,
        MastodonRatelimitError,
        MastodonServerError,
    )

    if isinstance(exc, MastodonRatelimitError):
        return rate_limited(client, "")
    if isinstance(exc, MastodonNetworkError):
        if transport.never_sent(exc):
            return transport.unreachable("the Mastodon server", redact(str(exc)))
        return Unknown(f"no answer from the Mastodon server after sending: {redact(str(exc))}")
    if isinstance(exc, MastodonServerError):
        # The request reached the server: the status may have been made. Reconcile re-sends
        # it with the same Idempotency-Key within the hour, or looks it up.
        return Unknown(
            f"the status was sent and {redact(describe(exc))}; it may or may not have been made"
        )
    known = api_outcome(exc)
    if known is not None:
        return known
    return Unknown(f"{type(exc).__name__}: {redact(str(exc))}")


def settled(outcome: Outcome) -> ReconcileOutcome:
    """What a re-send with the same key says about the delivery. Refused content: the server
    kept no status for the key (it would have answered with it), so it is safe to send again,
    and that send records the refusal; refused credentials say nothing about the status."""
    if isinstance(outcome, Failed):
        if outcome.auth:
            return Unknown(
                f"re-sending with the same Idempotency-Key was refused: {outcome.reason}"
            )
        return Absent(f"Mastodon refused the status when sent again: {outcome.reason}")
    return outcome


def iso_reset(headers: Any) -> dt.datetime | None:
    """Mastodon's ``X-RateLimit-Reset`` (an ISO 8601 instant), moved onto this machine's clock
    by the answer's ``Date``."""
    get = getattr(headers, "get", None)
    if not callable(get):
        return None
    when = parse_instant(str(get("x-ratelimit-reset") or ""))
    if when is None:
        return None
    from email.utils import parsedate_to_datetime

    try:
        server_now = parsedate_to_datetime(str(get("date") or ""))
    except (TypeError, ValueError, IndexError):
        return when
    if server_now.tzinfo is None:
        return when
    return when + (dt.datetime.now(dt.UTC) - server_now)
