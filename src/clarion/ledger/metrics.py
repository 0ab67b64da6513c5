"""Counts read from the platforms, kept in the ledger as snapshots with their time.

Each reading of one platform account's counts for one campaign is a *fetch* (when, how many
posts, how many calls, or the platform's refusal); what it read for each delivery is a
*snapshot* of that delivery. Nothing is overwritten: a later report compares the newest
snapshot of each post with the one before ("+38 likes since Friday").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clarion.ledger import queries_metrics as q

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

__all__ = ["Fetch", "Snapshot", "fetches", "record", "snapshots"]


@dataclass(frozen=True, slots=True)
class Fetch:
    id: int
    campaign: str
    platform: str
    account: str
    taken_ms: int
    posts: int
    calls: int
    #: The platform's refusal or the reason nothing was read (plain words); None: read.
    problem: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    delivery_id: int
    fetch_id: int
    taken_ms: int
    counts: Mapping[str, int]
    #: The platform said the post no longer exists.
    gone: bool


def record(
    ledger: Ledger,
    *,
    campaign: str,
    platform: str,
    account: str,
    taken_ms: int,
    calls: int,
    counts: Mapping[int, Mapping[str, int]],
    gone: Sequence[int] = (),
    problem: str | None = None,
    notes: Sequence[str] = (),
) -> int:
    """Keep one reading (``counts``: delivery id -> its counts) in one transaction; its id."""
    with ledger.db.transaction():
        (fetch_id,) = ledger.db.query(
            q.INSERT_FETCH,
            (
                campaign,
                platform,
                account,
                taken_ms,
                len(counts) + len(gone),
                calls,
                problem,
                json.dumps(list(notes)) if notes else None,
            ),
        )[0]
        for delivery_id, values in counts.items():
            text = json.dumps(dict(sorted(values.items())), separators=(",", ":"))
            ledger.db.execute(q.INSERT_SNAPSHOT, (fetch_id, delivery_id, taken_ms, text, 0))
        for delivery_id in gone:
            ledger.db.execute(q.INSERT_SNAPSHOT, (fetch_id, delivery_id, taken_ms, "{}", 1))
    return int(fetch_id)


def _notes(value: Any) -> tuple[str, ...]:
    try:
        found = json.loads(value) if value else []
    except ValueError:
        return ()
    return tuple(str(n) for n in found) if isinstance(found, list) else ()


def _counts(value: Any) -> dict[str, int]:
    try:
        found = json.loads(value) if value else {}
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): int(v) for k, v in found.items() if isinstance(v, int)}


def fetches(ledger: Ledger, campaigns: Sequence[str]) -> list[Fetch]:
    """Every reading of these campaigns' counts, oldest first."""
    if not campaigns:
        return []
    return [
        Fetch(
            id=int(r["id"]),
            campaign=str(r["campaign"]),
            platform=str(r["platform"]),
            account=str(r["account"]),
            taken_ms=int(r["taken_ms"]),
            posts=int(r["posts"]),
            calls=int(r["calls"]),
            problem=r["problem"],
            notes=_notes(r["notes"]),
        )
        for r in ledger.db.records(q.fetches_of(len(campaigns)), tuple(campaigns))
    ]


def snapshots(ledger: Ledger, campaigns: Sequence[str]) -> list[Snapshot]:
    """Every snapshot of these campaigns' deliveries, oldest first."""
    if not campaigns:
        return []
    return [
        Snapshot(
            delivery_id=int(r["delivery_id"]),
            fetch_id=int(r["fetch_id"]),
            taken_ms=int(r["taken_ms"]),
            counts=_counts(r["counts"]),
            gone=bool(r["gone"]),
        )
        for r in ledger.db.records(q.snapshots_of(len(campaigns)), tuple(campaigns))
    ]
