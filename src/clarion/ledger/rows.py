"""What the ledger hands back: typed records read by column name, not tuples."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from clarion.delivery import Content, Delivery, Media
from clarion.ledger.states import State


def ms(instant: dt.datetime) -> int:
    """An aware instant as integer milliseconds since the epoch (UTC)."""
    return int(instant.timestamp() * 1000)


def from_ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


def legacy_content(payload: Mapping[str, Any]) -> Content:
    """The content of a row scheduled before the ledger kept it (schema 1's ``payload``: text,
    images with path/alt/file, quote_of, language, visibility; no image hashes, no link)."""
    media = tuple(
        Media(str(i["path"]), str(i.get("alt") or ""), str(i.get("file") or ""), "")
        for i in payload.get("images") or ()
    )
    return Content(
        text=str(payload.get("text", "")),
        media=media,
        quote_of=payload.get("quote_of"),
        language=payload.get("language"),
        visibility=payload.get("visibility"),
    )


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One delivery as the ledger holds it: the :class:`Delivery` to send, and where it is."""

    id: int
    delivery: Delivery
    grace_ms: int
    state: State
    #: Hash of what will be sent (:func:`clarion.delivery.content_hash`); None for rows
    #: scheduled before the ledger kept one (schema 1).
    content_hash: str | None
    #: Why it is cancelled (:class:`clarion.ledger.states.CancelledBy`), when it is.
    cancelled_by: str | None
    attempts: int
    not_before_ms: int | None
    lease_owner: str | None
    lease_until_ms: int | None
    idempotency_key: str | None
    platform_id: str | None
    platform_url: str | None
    last_error: str | None
    #: The request as it was sent (platform, account, key, payload, due), once it was.
    request: dict[str, Any] | None
    created_ms: int
    updated_ms: int

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> DeliveryRow:
        if r["content"]:
            content = Content.from_json(json.loads(r["content"]))
        else:
            content = legacy_content(json.loads(r["payload"] or "{}"))
        delivery = Delivery(
            key=r["key"],
            campaign=r["campaign"],
            post=r["post"],
            platform=r["platform"],
            account=r["account"],
            at_utc=from_ms(int(r["due_ms"])),
            zone=r["zone"] or "UTC",
            thread_index=int(r["thread_index"]),
            reply_to=r["reply_to"],
            content=content,
        )
        return cls(
            id=int(r["id"]),
            delivery=delivery,
            grace_ms=int(r["grace_ms"]),
            state=State(r["state"]),
            content_hash=r["content_hash"],
            cancelled_by=r["cancelled_by"],
            attempts=int(r["attempts"]),
            not_before_ms=r["not_before_ms"],
            lease_owner=r["lease_owner"],
            lease_until_ms=r["lease_until_ms"],
            idempotency_key=r["idempotency_key"],
            platform_id=r["platform_id"],
            platform_url=r["platform_url"],
            last_error=r["last_error"],
            request=json.loads(r["request"]) if r["request"] else None,
            created_ms=int(r["created_ms"]),
            updated_ms=int(r["updated_ms"]),
        )

    # what people and the engine most often ask of a row, from its delivery
    @property
    def key(self) -> str:
        return self.delivery.key

    @property
    def campaign(self) -> str:
        return self.delivery.campaign

    @property
    def post(self) -> str:
        return self.delivery.post

    @property
    def platform(self) -> str:
        return self.delivery.platform

    @property
    def account(self) -> str:
        return self.delivery.account

    @property
    def due_ms(self) -> int:
        return ms(self.delivery.at_utc)

    @property
    def due(self) -> dt.datetime:
        return self.delivery.at_utc

    @property
    def thread_index(self) -> int:
        return self.delivery.thread_index

    @property
    def reply_to(self) -> str | None:
        return self.delivery.reply_to

    @property
    def text(self) -> str:
        return self.delivery.text


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
    what: str  # "added" | "updated" | "rescheduled" | "restored" | "cancelled" | "ignored"
    reason: str
    #: What differs from the ledger's copy, in people's words ("text", "time", "images").
    changed: tuple[str, ...] = ()


@dataclass(slots=True)
class SyncReport:
    campaign: str
    changes: list[SyncChange] = field(default_factory=list)
    unchanged: int = 0

    def count(self, what: str) -> int:
        return sum(1 for c in self.changes if c.what == what)


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    slug: str
    name: str
    file: str
    timezone: str
    grace_ms: int
    #: ``approval: required``: only content a person approved (``clarion approve``) is sent.
    approval_required: bool = False


class CampaignInfo(NamedTuple):
    slug: str
    name: str
    timezone: str
    paused: bool


class PausedAccount(NamedTuple):
    platform: str
    account: str
    reason: str


class ViewState(NamedTuple):
    """What the views show beside a planned delivery."""

    state: State
    platform_url: str | None
    #: The last error, or the reason of its last change ("removed from the campaign file").
    reason: str


@dataclass(frozen=True, slots=True)
class Retried:
    """What ``retry`` did: the delivery and the thread parts that follow it again."""

    row: DeliveryRow
    parts: int
    #: Its time had passed: it goes at the next run (else at its own time).
    now: bool


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    """``clarion status`` of one campaign."""

    info: CampaignInfo
    counts: dict[State, int]
    next_due: DeliveryRow | None
    #: Failed, unconfirmed and missed deliveries, each with its reason.
    attention: list[tuple[DeliveryRow, str]]
