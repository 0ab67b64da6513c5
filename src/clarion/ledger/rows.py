"""What the ledger hands back: typed rows, not tuples."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from clarion.ledger.states import State

DELIVERY_COLUMNS = (
    "id, key, campaign, post, platform, account, due_ms, grace_ms, thread_index, reply_to, "
    "payload, payload_hash, state, attempts, not_before_ms, lease_owner, lease_until_ms, "
    "idempotency_key, platform_id, platform_url, last_error, created_ms, updated_ms"
)


def ms(instant: dt.datetime) -> int:
    """An aware instant as integer milliseconds since the epoch (UTC)."""
    return int(instant.timestamp() * 1000)


def from_ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    key: str
    campaign: str
    post: str
    platform: str
    account: str
    due_ms: int
    grace_ms: int
    thread_index: int
    reply_to: str | None
    payload: dict[str, Any]
    payload_hash: str
    state: State
    attempts: int
    not_before_ms: int | None
    lease_owner: str | None
    lease_until_ms: int | None
    idempotency_key: str | None
    platform_id: str | None
    platform_url: str | None
    last_error: str | None
    created_ms: int
    updated_ms: int

    @classmethod
    def from_db(cls, row: tuple[Any, ...]) -> DeliveryRow:
        values = list(row)
        values[10] = json.loads(values[10])
        values[12] = State(values[12])
        return cls(*values)

    @property
    def due(self) -> dt.datetime:
        return from_ms(self.due_ms)

    @property
    def text(self) -> str:
        return str(self.payload["text"])


@dataclass(frozen=True, slots=True)
class Event:
    at_ms: int
    actor: str
    from_state: State | None
    to_state: State
    reason: str

    @property
    def at(self) -> dt.datetime:
        return from_ms(self.at_ms)


@dataclass(frozen=True, slots=True)
class SyncChange:
    key: str
    what: str  # "added" | "updated" | "cancelled" | "ignored" | "rescheduled"
    reason: str


@dataclass(slots=True)
class SyncReport:
    campaign: str
    changes: list[SyncChange]
    unchanged: int

    def count(self, what: str) -> int:
        return sum(1 for c in self.changes if c.what == what)


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    slug: str
    name: str
    file: str
    timezone: str
    grace_ms: int


@dataclass(frozen=True, slots=True)
class Planned:
    """A delivery as the planner made it, ready to be written into the ledger."""

    key: str
    post: str
    platform: str
    account: str
    due_ms: int
    thread_index: int
    reply_to: str | None
    payload: dict[str, Any]

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def payload_hash(self) -> str:
        import hashlib

        basis = f"{self.due_ms}|{self.account}|{self.reply_to}|{self.payload_json}"
        return hashlib.sha256(basis.encode()).hexdigest()
