"""Sign-off in the ledger: record approvals, read the latest per delivery, say what waits.

Each approval is a row (history is kept); the latest per delivery key counts. Whether a campaign
requires approval is stored on the campaign by ``schedule`` (``approval: required``), so a run,
which never reads campaign files, can enforce it: the claim itself only takes a delivery of such
a campaign whose content hash is its latest approval's (:data:`queries_approvals.SIGNED`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.delivery import Delivery, content_hash
from clarion.ledger import queries_approvals as qa
from clarion.ledger.rows import DeliveryRow, from_ms
from clarion.signoff import Approval, SignOff, approved_fields, plan_hash, standings

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger


def _approval(r: Mapping[str, Any]) -> Approval:
    try:
        fields = json.loads(r["fields"]) if r["fields"] else {}
    except ValueError:
        fields = {}
    return Approval(
        key=str(r["key"]),
        content_hash=str(r["content_hash"]),
        by=str(r["approved_by"]),
        at_utc=from_ms(int(r["at_ms"])),
        plan_hash=str(r["plan_hash"]),
        note=r["note"],
        fields=fields if isinstance(fields, dict) else {},
    )


def record(
    ledger: Ledger,
    campaign: str,
    deliveries: Sequence[Delivery],
    by: str,
    at_ms: int,
    note: str | None = None,
) -> str:
    """Approve every delivery of ``deliveries`` (one campaign's plan) as it stands, in one
    transaction; the plan's hash."""
    digest = plan_hash(deliveries)
    with ledger.db.transaction():
        for d in deliveries:
            fields = json.dumps(approved_fields(d), sort_keys=True, ensure_ascii=False)
            ledger.db.execute(
                qa.INSERT, (d.key, campaign, content_hash(d), fields, by, at_ms, note, digest)
            )
    return digest


def latest(ledger: Ledger, campaign: str) -> dict[str, Approval]:
    """The latest approval of every delivery key of ``campaign`` (removed ones included)."""
    rows = ledger.db.records(qa.LATEST_OF_CAMPAIGN, (campaign, campaign))
    return {a.key: a for a in map(_approval, rows)}


def latest_of(ledger: Ledger, key: str) -> Approval | None:
    rows = ledger.db.records(qa.LATEST_OF_KEY, (key,))
    return _approval(rows[0]) if rows else None


def history(ledger: Ledger, key: str) -> list[Approval]:
    """Every approval of one delivery, oldest first."""
    return [_approval(r) for r in ledger.db.records(qa.HISTORY_OF_KEY, (key,))]


def last(ledger: Ledger, campaign: str) -> Approval | None:
    """The campaign's last sign-off (the latest approval row of any of its deliveries)."""
    rows = ledger.db.records(qa.LAST_OF_CAMPAIGN, (campaign,))
    return _approval(rows[0]) if rows else None


def required(ledger: Ledger, campaign: str) -> bool:
    rows = ledger.db.query(qa.IS_REQUIRED, (campaign,))
    return bool(rows and rows[0][0])


def set_required(ledger: Ledger, campaign: str, value: bool) -> None:
    """Called inside ``sync``'s transaction."""
    ledger.db.execute(qa.SET_REQUIRED, (1 if value else 0, campaign))


def signoff(
    ledger: Ledger, campaign: str, deliveries: Sequence[Delivery], *, require: bool | None = None
) -> SignOff:
    """How the current plan (``deliveries``, as the file plans them now) stands against the
    campaign's sign-off. ``require``: what the file says (default: what the ledger stored)."""
    approvals = latest(ledger, campaign)
    found = last(ledger, campaign)
    return SignOff(
        campaign=campaign,
        by=found.by if found else None,
        at_utc=found.at_utc if found else None,
        note=found.note if found else None,
        approved_plan=found.plan_hash if found else None,
        current_plan=plan_hash(deliveries),
        cards=standings(deliveries, approvals),
        required=require if require is not None else required(ledger, campaign),
    )


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A waiting delivery of a campaign that requires approval, not approved as it stands."""

    row: DeliveryRow
    #: The approval it had (None: never approved).
    approval: Approval | None

    @property
    def cause(self) -> str:
        """Why it waits: "never approved", or "it changed after it was approved on ..." """
        return awaiting_reason(self.approval, self.row.delivery.zone)

    @property
    def reason(self) -> str:
        return f"awaiting sign-off: {self.cause}"


def local_words(at_utc: dt.datetime, zone: str | None) -> str:
    """An instant as people read it: "2 June 2026 at 14:05 (+01:00)" in ``zone`` (UTC if none)."""
    try:
        local = at_utc.astimezone(ZoneInfo(zone)) if zone else at_utc
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        local = at_utc
    offset = local.strftime("%z") or "+0000"
    return f"{local.day} {local:%B %Y} at {local:%H:%M} ({offset[:3]}:{offset[3:]})"


def awaiting_reason(approval: Approval | None, zone: str | None = None) -> str:
    """Why a delivery waits for sign-off, in words."""
    if approval is None:
        return "never approved"
    return (
        f"it changed after it was approved on {local_words(approval.at_utc, zone)} by {approval.by}"
    )


def awaiting(ledger: Ledger, due_by_ms: int | None = None) -> list[Awaiting]:
    """Waiting deliveries held for sign-off (with ``due_by_ms``: only those due by then)."""
    if due_by_ms is None:
        ids = [int(r[0]) for r in ledger.db.query(qa.UNSIGNED_KEYS)]
    else:
        ids = [int(r[0]) for r in ledger.db.query(qa.UNSIGNED_DUE_KEYS, (due_by_ms,))]
    if not ids:
        return []
    return [Awaiting(row, latest_of(ledger, row.key)) for row in ledger.by_id(ids)]


#: The state the views show for a delivery held for sign-off (not a ledger state: the delivery
#: stays pending; the claim will not take it until its content is approved).
AWAITING_STATE = "awaiting sign-off"


def awaiting_in(ledger: Ledger, campaigns: Sequence[str]) -> dict[str, str]:
    """For the views (preview's state column and JSON): key -> why it waits, of every waiting
    delivery of these campaigns held for sign-off."""
    wanted = set(campaigns)
    return {w.row.key: w.cause for w in awaiting(ledger) if w.row.campaign in wanted}


def is_awaiting(ledger: Ledger, row: DeliveryRow) -> Awaiting | None:
    """Whether ``row`` would wait for sign-off (for a rehearsal, which claims nothing)."""
    if not required(ledger, row.campaign):
        return None
    approval = latest_of(ledger, row.key)
    if approval is not None and approval.content_hash == row.content_hash:
        return None
    return Awaiting(row, approval)


__all__ = [
    "AWAITING_STATE",
    "Awaiting",
    "awaiting",
    "awaiting_in",
    "awaiting_reason",
    "history",
    "is_awaiting",
    "last",
    "latest",
    "latest_of",
    "local_words",
    "record",
    "required",
    "set_required",
    "signoff",
]
