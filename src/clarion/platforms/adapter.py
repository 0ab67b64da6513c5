"""The one small interface between the engine and a platform's API.

An adapter turns a delivery into the platform's real request (``build``: the exact payload, which
is what the preview and ``run-due --dry-run`` show), sends it (``publish``), finds out what
happened after an unknown outcome (``reconcile``), and checks its credentials (``check``). Every
answer is a typed outcome from :mod:`clarion.platforms.outcomes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clarion.platforms.base import Platform
from clarion.platforms.outcomes import Outcome, ReconcileOutcome, Unknown

log = logging.getLogger("clarion.platforms")


def parse_instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant from a platform's answer or a delivery's due time, as aware UTC
    (a time without an offset is taken as UTC); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def idempotency_key(delivery_key: str) -> str:
    """The same for every attempt at one delivery, and unique to it."""
    return hashlib.sha256(f"clarion:{delivery_key}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class MediaItem:
    file: str  # absolute path on disk
    alt: str


@dataclass(frozen=True, slots=True)
class SendItem:
    """Everything an adapter needs for one delivery; no secrets."""

    key: str
    platform: str
    account: str
    text: str
    media: tuple[MediaItem, ...]
    thread_index: int
    #: The platform's id of the post this one answers (a thread part), once that is published.
    reply_to_id: str | None
    #: The delivery key of that post, shown in dry runs before its id exists.
    reply_to_key: str | None
    #: Derived from the delivery key: the same for every attempt at the same delivery.
    idempotency_key: str
    #: The URL of a post this one quotes (``quote_of`` in the campaign), if any.
    quote_of: str | None = None
    #: The campaign's language (BCP 47, e.g. "en"), for platforms that label posts with one.
    language: str | None = None
    #: Who may see the post, for platforms that ask ("public", "unlisted"); None: the default.
    visibility: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """What will be sent: the platform's own request, as data (JSON-serialisable)."""

    platform: str
    account: str
    key: str
    payload: dict[str, Any]
    #: When it is due, local time with offset (shown by dry runs; not part of the request).
    due: str | None = None


@dataclass(frozen=True, slots=True)
class AccountStatus:
    platform: str
    account: str
    ok: bool
    posts_as: str | None = None
    expires: str | None = None
    problem: str | None = None
    details: dict[str, str] = field(default_factory=dict)


class Adapter(ABC):
    """Base class for every platform adapter."""

    #: The platform's limits and counting rules (one source of truth).
    platform: ClassVar[type[Platform]]
    #: Longest wait for one answer from the platform, in seconds. A send's lease is always
    #: longer than this, so no other run takes a send over while its request may be in flight.
    timeout_s: float = 30.0
    #: Secret credential names (``clarion.credentials``: ``CLARION_<PLATFORM>_<NAME>``), e.g.
    #: ("access_token",). ``clarion accounts login`` asks for these, without echo.
    secret_names: ClassVar[tuple[str, ...]] = ()
    #: Settings that are not secret (a server's address, an account id); shown, never redacted.
    setting_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, account: str = "default") -> None:
        self.account = account
        # CLARION_<PLATFORM>_TIMEOUT (seconds) overrides the default wait for one answer.
        platform = getattr(self, "platform", None)  # the dry-run adapter has none
        variable = f"CLARION_{platform.name.upper()}_TIMEOUT" if platform else ""
        raw = os.environ.get(variable, "").strip() if variable else ""
        if raw:
            try:
                seconds = float(raw)
            except ValueError:
                seconds = 0.0
            if seconds > 0:
                self.timeout_s = seconds
            else:
                log.warning(
                    "%s=%r is not a number of seconds; using %g", variable, raw, self.timeout_s
                )

    @abstractmethod
    def build(self, item: SendItem) -> Request:
        """The exact request for ``item``, without sending anything."""

    @abstractmethod
    def publish(self, request: Request) -> Outcome:
        """Send it; say what happened."""

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """After an unknown outcome: does the platform have this post? Default: cannot tell."""
        return Unknown(f"{self.platform.label} gives no way to look the post up; check by hand")

    def check(self) -> AccountStatus:
        return AccountStatus(self.platform.name, self.account, False, problem="not implemented")


class DryRunAdapter(Adapter):
    """Builds a neutral payload and never sends. Used when a platform has no adapter yet."""

    def __init__(self, platform: type[Platform], account: str = "default") -> None:
        super().__init__(account)
        self._platform = platform

    def build(self, item: SendItem) -> Request:
        payload: dict[str, Any] = {"text": item.text}
        if item.media:
            payload["media"] = [{"file": m.file, "alt": m.alt} for m in item.media]
        if item.thread_index:
            payload["in_reply_to"] = item.reply_to_id or f"<id of {item.reply_to_key}>"
        payload["idempotency_key"] = item.idempotency_key
        return Request(self._platform.name, self.account, item.key, payload)

    def publish(self, request: Request) -> Outcome:  # pragma: no cover - never called
        raise RuntimeError("the dry-run adapter never sends")


#: Platform name -> "module:Class" of its adapter. Platforms arrive here with their adapters.
ADAPTERS: dict[str, str] = {
    "x": "clarion.platforms.x:XAdapter",
    "mastodon": "clarion.platforms.mastodon:MastodonAdapter",
    "facebook": "clarion.platforms.facebook:FacebookAdapter",
    "bluesky": "clarion.platforms.bluesky:BlueskyAdapter",
}


def adapter_class(platform: str) -> type[Adapter] | None:
    """The adapter class for ``platform``: ``CLARION_ADAPTERS`` overrides (``x=mod:Class,*=mod:C``)
    for tests and plugins, then :data:`ADAPTERS`. None when the platform has none."""
    spec = ADAPTERS.get(platform)
    for entry in filter(None, os.environ.get("CLARION_ADAPTERS", "").split(",")):
        name, _, target = entry.partition("=")
        if name.strip() in (platform, "*"):
            spec = target.strip()
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    cls: type[Adapter] = getattr(importlib.import_module(module), attr)
    return cls
