"""The one small interface between the engine and a platform's API.

An adapter turns a delivery into the platform's real request (``build``: the exact payload, which
is what the preview and ``run-due --dry-run`` show), sends it (``publish``), finds out what
happened after an unknown outcome (``reconcile``), and checks its credentials (``check``). Every
answer is a typed outcome from :mod:`clarion.platforms.outcomes`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clarion.delivery import Delivery
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
    #: Secret credential names and settings: the platform's own (:attr:`Platform.secret_names`,
    #: :attr:`Platform.setting_names`) unless the adapter class declares its own.
    secret_names: ClassVar[tuple[str, ...]] = ()
    setting_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        platform: type[Platform] | None = getattr(cls, "platform", None)
        if platform is not None:
            if "secret_names" not in cls.__dict__:
                cls.secret_names = platform.secret_names
            if "setting_names" not in cls.__dict__:
                cls.setting_names = platform.setting_names

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

    def build(self, d: Delivery, reply_to_id: str | None = None) -> Request:
        """The exact request for ``d``, without sending anything: what the preview, the dry run
        and the engine all use. ``reply_to_id``: the platform's id of the post ``d`` answers, once
        that is published (before then a reply shows a ``<id of KEY>`` placeholder)."""
        payload = self.payload(d, reply_to_id)
        return Request(self.platform_name, self.account, d.key, payload, due=d.at.isoformat())

    @property
    def platform_name(self) -> str:
        return self.platform.name

    @abstractmethod
    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        """The platform's own request for ``d``, as JSON-serialisable data."""

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

    @property
    def platform_name(self) -> str:
        return self._platform.name

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": d.text}
        if d.media:
            payload["media"] = [{"file": m.file, "alt": m.alt} for m in d.media]
        if d.thread_index:
            payload["in_reply_to"] = reply_to_id or f"<id of {d.reply_to}>"
        payload["idempotency_key"] = d.idempotency_key
        return payload

    def publish(self, request: Request) -> Outcome:  # pragma: no cover - never called
        raise RuntimeError("the dry-run adapter never sends")


def adapter_class(platform: str) -> type[Adapter] | None:
    """The adapter class for ``platform``: ``CLARION_ADAPTERS`` overrides (``x=mod:Class,*=mod:C``)
    for tests and plugins, then the platform's own (:attr:`Platform.adapter`). None when the
    platform has none."""
    from clarion import platforms

    try:
        spec = platforms.get(platform).adapter
    except platforms.UnknownPlatformError:
        spec = ""
    for entry in filter(None, os.environ.get("CLARION_ADAPTERS", "").split(",")):
        name, _, target = entry.partition("=")
        if name.strip() in (platform, "*"):
            spec = target.strip()
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    cls: type[Adapter] = getattr(importlib.import_module(module), attr)
    return cls
