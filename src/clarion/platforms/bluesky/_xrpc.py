"""Small pieces of the Bluesky adapter: record keys, URIs, and reading the atproto SDK's errors.

Nothing here imports the SDK (whether a request reached the server is
:func:`clarion.platforms.transport.never_sent`'s call).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, NamedTuple

POST = "app.bsky.feed.post"

#: atproto's base32-sortable alphabet (TIDs: ``packages/common-web/src/tid.ts``).
_S32 = "234567abcdefghijklmnopqrstuvwxyz"
#: Record keys made here carry a timestamp in a fixed past window (2023-01-01 + 2**45 µs, about
#: 13 months): never in the future, and 55 bits of the delivery's hash keep them apart.
_TID_BASE_US = 1_672_531_200_000_000
_TID_SPAN_US = 1 << 45


def post_rkey(idempotency_key: str) -> str:
    """The record key of a delivery's post: a valid TID (13 characters, base32-sortable) that is
    the same for every attempt at the delivery, so a repeated create is refused by the PDS and a
    lost answer can be looked up."""
    digest = hashlib.sha256(f"clarion-bluesky-rkey:{idempotency_key}".encode()).digest()
    bits = int.from_bytes(digest[:8], "big")
    micros = _TID_BASE_US + (bits >> 10) % _TID_SPAN_US
    tid = (micros << 10) | (bits & 0x3FF)
    return "".join(_S32[(tid >> (5 * i)) & 31] for i in reversed(range(13)))


def post_address(address: str) -> tuple[str, str] | None:
    """(repo, rkey) of the post an ``at://`` URI or a ``https://bsky.app/profile/...`` URL names
    (the repo is a DID or a handle), or None when it names no post."""
    from clarion.platforms import quoting  # the same reading validation checked the file with

    found = quoting.target("bluesky", address)
    return (found.author, found.post_id) if found else None


def post_url(author: str, rkey: str) -> str:
    """The address people open: ``https://bsky.app/profile/<handle or DID>/post/<rkey>``."""
    return f"https://bsky.app/profile/{author}/post/{rkey}"


def now_iso() -> str:
    """``createdAt`` for a record: UTC, milliseconds, ``Z`` (what the official client writes)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ApiError(NamedTuple):
    """What a failed XRPC call said: HTTP status (None: no answer), XRPC error name, message."""

    status: int | None
    error: str | None
    message: str | None
    headers: dict[str, str]

    def words(self) -> str:
        """The server's own words: ``Error: message``, or the status alone."""
        said = ": ".join(w for w in (self.error, self.message) if w)
        if self.status is None:
            return said or "no answer"
        return f"{self.status} {said}".strip()


def api_error(exc: BaseException) -> ApiError | None:
    """The answer inside an atproto SDK request error, or None if ``exc`` carries none."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    content = getattr(response, "content", None)
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    if isinstance(content, dict):
        error, message = content.get("error"), content.get("message")
    elif isinstance(content, bytes | str) and error is None:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        message = text.strip()[:300] or None
    headers = {
        str(k).lower(): str(v) for k, v in (getattr(response, "headers", None) or {}).items()
    }
    status = getattr(response, "status_code", None)
    return ApiError(status if isinstance(status, int) else None, error, message, headers)


def describe(exc: BaseException) -> str:
    """Plain words for any exception from a call: the server's answer, or the transport error."""
    found = api_error(exc)
    if found is not None:
        return f"Bluesky answered {found.words()}"
    chain: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 3:
        text = str(seen).strip()
        chain.append(f"{type(seen).__name__}: {text}" if text else type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(chain)


def strip_types(value: Any) -> Any:
    """``value`` without SDK wrappers: DotDict/pydantic models to plain dicts and lists."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return strip_types(to_dict())
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return strip_types(dump(exclude_none=True, by_alias=True))
    if isinstance(value, dict):
        return {k: strip_types(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip_types(v) for v in value]
    return value
