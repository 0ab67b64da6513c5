"""What every adapter says the same way: whether a failed request can have reached the platform,
and a rate limit's reset.

"Never reached the platform" (connection refused, host not found, no connection or TLS session
within the timeout, no free connection in the pool) means nothing was carried out: the delivery
may be sent again (:class:`RetryLater` with ``before_send=True``). Any other transport failure
(a read timeout, a connection dropped once the request was written) may have been acted on: what
that means is each platform's own call (an idempotency key, a record key, or Unknown).

The HTTP clients (``requests`` for Mastodon.py, tweepy and the Graph calls; ``httpx`` for the
atproto SDK) are looked at only if they are already imported: an exception of one of them can only
exist if it is, so this module never imports either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys

from clarion.platforms.outcomes import RetryLater

__all__ = ["never_sent", "rate_limited", "reset_time", "reset_words", "unreachable"]


def _transport_error(exc: BaseException) -> BaseException | None:
    """The first exception in ``exc``'s chain (itself, then its cause or context) raised by
    requests or httpx: client libraries wrap it, with or without ``from``."""
    requests = sys.modules.get("requests")
    httpx = sys.modules.get("httpx")
    kinds: list[type[BaseException]] = []
    if requests is not None:
        kinds.append(requests.exceptions.RequestException)
    if httpx is not None:
        kinds.append(httpx.TransportError)
    if not kinds:
        return None
    seen: BaseException | None = exc
    for _ in range(8):  # chains are short; a loop in one must not hang a run
        if seen is None:
            return None
        if isinstance(seen, tuple(kinds)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the platform: connection refused, host not
    found, TLS handshake refused, no connection within the timeout, no free pooled connection.
    False for everything after the connection was made (read timeouts, dropped connections)."""
    found = _transport_error(exc)
    if found is None:
        return False
    requests = sys.modules.get("requests")
    if requests is not None and isinstance(found, requests.exceptions.RequestException):
        errors = requests.exceptions
        if isinstance(found, errors.ConnectTimeout | errors.SSLError):
            return True
        if isinstance(found, errors.ConnectionError) and not isinstance(found, errors.Timeout):
            urllib3 = sys.modules.get("urllib3.exceptions")
            inner = found.args[0] if found.args else None
            reason = getattr(inner, "reason", inner)
            return urllib3 is not None and isinstance(reason, urllib3.NewConnectionError)
        return False
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(
        found,
        httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol,
    )


def unreachable(label: str, words: str) -> RetryLater:
    """The outcome of a request that never reached ``label`` ("X", "the Mastodon server")."""
    return RetryLater(f"could not reach {label}: {words}", before_send=True)


#: Headers that give a rate limit's reset as epoch seconds (X's, and the IETF draft's on Bluesky).
RESET_HEADERS = ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset")


def reset_time(headers: object, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a refused request may be sent again, from the answer's headers: ``Retry-After`` (delay
    seconds or an HTTP date, RFC 9110 §10.2.3) and the reset headers (epoch seconds); the latest
    of those present, since each is a "not before". None when none is given or readable.

    ``headers`` is any case-insensitive mapping (``requests``' and ``httpx``'s) or a plain dict."""
    get = getattr(headers, "get", None)
    if not callable(get):
        return None
    now = now or dt.datetime.now(dt.UTC)
    found: list[dt.datetime] = []
    for name in RESET_HEADERS:
        value = str(get(name) or "").strip()
        if value.isascii() and value.isdigit():
            # a reset beyond any date is unreadable, like a missing header
            with contextlib.suppress(OverflowError, ValueError, OSError):
                found.append(dt.datetime.fromtimestamp(int(value), dt.UTC))
    after = str(get("retry-after") or "").strip()
    if after.isascii() and after.isdigit():
        with contextlib.suppress(OverflowError):
            found.append(now + dt.timedelta(seconds=int(after)))
    elif after:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(after)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            found.append(when.astimezone(dt.UTC))
    return max(found) if found else None


def reset_words(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """``HH:MM UTC``, with the date when it is not today (UTC)."""
    when = when.astimezone(dt.UTC)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    return f"{when:%H:%M} UTC" if when.date() == today else f"{when:%Y-%m-%d %H:%M} UTC"


def rate_limited(
    label: str, when: dt.datetime | None, *, what: str = "", detail: str = ""
) -> RetryLater:
    """A refused request because of a rate limit: nothing was carried out, so it is sent again,
    not before ``when`` (the platform's reset) when it said. "rate limited by X when posting;
    not before 14:05 UTC (X answered 429 Too Many Requests)"."""
    reason = f"rate limited by {label}" + (f" {what}" if what else "")
    if when is not None:
        reason += f"; not before {reset_words(when)}"
    if detail:
        reason += f" ({detail})"
    return RetryLater(reason, not_before=when, before_send=True)
