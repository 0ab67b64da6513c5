"""An in-process fake platform and its adapter, for engine tests.

The fake records every post it accepts (so tests count what was *received*, not what Clarion
believes), and answers each publish from a script of behaviours.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from clarion import secrets
from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.mastodon import Mastodon
from clarion.platforms.outcomes import (
    Absent,
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)

TOKEN = "sekrit-token-4f9a1c"


@dataclass
class FakePlatform:
    """What a platform received, and how it will answer next."""

    received: list[dict[str, Any]] = field(default_factory=list)
    #: Behaviours consumed one per publish: "ok", "429", "500-before", "timeout-after",
    #: "revoked", "duplicate", "refused". Empty: "ok".
    script: list[str] = field(default_factory=list)
    reset_at: dt.datetime | None = None
    #: True: a look-up after an unknown outcome cannot tell (the platform does not answer it).
    cannot_look_up: bool = False
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def accept(self, request: Request) -> Published:
        post_id = str(next(self.ids))
        self.received.append({"id": post_id, "key": request.key, **request.payload})
        return Published(post_id, f"https://fake.example/@clarion/{post_id}")

    def find(self, idempotency_key: str) -> dict[str, Any] | None:
        return next((p for p in self.received if p["idempotency_key"] == idempotency_key), None)

    def texts(self) -> list[str]:
        return [p["text"] for p in self.received]


class FakeAdapter(Adapter):
    platform = Mastodon
    platforms: ClassVar[dict[tuple[str, str], FakePlatform]] = {}
    on_publish: Callable[[Request], None] | None = None

    def __init__(self, account: str = "default", name: str = "mastodon") -> None:
        super().__init__(account)
        secrets.register(TOKEN)  # as a real adapter registers the credentials it loads
        self.name = name
        self.fake = FakeAdapter.platforms.setdefault((name, account), FakePlatform())

    @property
    def platform_name(self) -> str:
        return self.name

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": d.text, "idempotency_key": d.idempotency_key}
        if d.thread_index:
            payload["in_reply_to_id"] = reply_to_id or f"<id of {d.reply_to}>"
        return payload

    def publish(self, request: Request) -> Outcome:
        if FakeAdapter.on_publish:
            FakeAdapter.on_publish(request)
        step = self.fake.script.pop(0) if self.fake.script else "ok"
        if step == "ok":
            return self.fake.accept(request)
        if step == "429":
            return RetryLater("429 Too Many Requests", not_before=self.fake.reset_at)
        if step == "500-before":
            return RetryLater("connection refused", before_send=True)
        if step == "timeout-after":
            self.fake.accept(request)  # the platform got it; the answer was lost
            return Unknown("read timed out after 30 s")
        if step == "timeout-lost":
            return Unknown("read timed out after 30 s")  # it never arrived
        if step == "revoked":
            return Failed(f"401 The access token {TOKEN} was revoked", auth=True)
        if step == "duplicate":
            return Failed("403 duplicate content", duplicate=True)
        if step == "refused":
            return Failed("422 Validation failed: Text character limit of 500 exceeded")
        raise AssertionError(step)

    def reconcile(self, request: Request) -> ReconcileOutcome:
        if self.fake.cannot_look_up:
            return Unknown("the platform did not answer the look-up")
        found = self.fake.find(request.payload["idempotency_key"])
        if found:
            return Published(found["id"], f"https://fake.example/@clarion/{found['id']}")
        return Absent()

    def check(self) -> AccountStatus:
        return AccountStatus(self.name, self.account, True, posts_as="@clarion")


def factory(platform: str, account: str) -> Adapter:
    return FakeAdapter(account, platform)


def ledger_env(folder: Path, **extra: str) -> Iterator[dict[str, str]]:
    """For an ``env`` fixture (``yield from ledger_env(tmp_path)``): the environment of commands
    run on a SQLite ledger of their own in ``folder``, with every platform played by
    :class:`FakeAdapter` (whose recorded platforms are forgotten before and after)."""
    FakeAdapter.platforms = {}
    yield {
        "CLARION_DATABASE_URL": f"sqlite:///{folder / 'data' / 'ledger.sqlite3'}",
        "CLARION_ADAPTERS": "*=tests.fakes:FakeAdapter",
        **extra,
    }
    FakeAdapter.platforms = {}
