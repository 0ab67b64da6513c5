"""What a run does to the ledger: recover stale leases, mark late deliveries missed, claim due ones.

Claims are the one place the two databases differ in substance. SQLite serialises writers with
``BEGIN IMMEDIATE``; PostgreSQL lets many workers claim at once with ``FOR UPDATE SKIP LOCKED``.
Either way a delivery is claimed by at most one run.
"""

from __future__ import annotations

from dataclasses import dataclass

from clarion.ledger.rows import DELIVERY_COLUMNS, DeliveryRow, from_ms
from clarion.ledger.states import State
from clarion.ledger.store import Ledger

_READY = (
    "d.state IN ('pending', 'retry') AND d.due_ms <= ? "
    "AND (d.not_before_ms IS NULL OR d.not_before_ms <= ?) "
    "AND (? = 1 OR d.due_ms + d.grace_ms >= ?) "
    "AND (d.reply_to IS NULL OR EXISTS (SELECT 1 FROM deliveries p "
    "     WHERE p.key = d.reply_to AND p.state = 'published'))"
)


@dataclass(frozen=True, slots=True)
class Recovered:
    row: DeliveryRow
    to: State


def recover(ledger: Ledger, now_ms: int, actor: str) -> list[Recovered]:
    """Leases that ran out: a claim never sent goes back to pending; a send becomes unconfirmed."""
    stale = ledger.select("state IN ('claimed', 'sending') AND lease_until_ms < ?", (now_ms,))
    out: list[Recovered] = []
    for row in stale:
        if row.state == State.CLAIMED:
            to, why = (
                State.PENDING,
                (
                    f"the run that claimed it ({row.lease_owner}) stopped before sending; "
                    "nothing was sent, so it is due again"
                ),
            )
        else:
            to, why = (
                State.UNCONFIRMED,
                (
                    f"the run sending it ({row.lease_owner}) stopped before recording the answer; "
                    "the platform may or may not have the post"
                ),
            )
        if ledger.move(
            row, to, why, actor, now_ms, expect=(row.state,), lease_owner=None, lease_until_ms=None
        ):
            out.append(Recovered(row, to))
    return out


def expire(
    ledger: Ledger, now_ms: int, actor: str, grace_ms: int | None, catch_up: bool
) -> list[tuple[DeliveryRow, str]]:
    """Waiting deliveries later than their grace window become missed (unless catching up),
    each with the reason recorded."""
    if catch_up:
        return []
    limit = "d.due_ms + d.grace_ms < ?" if grace_ms is None else "d.due_ms + ? < ?"
    params: tuple[int, ...] = (now_ms,) if grace_ms is None else (grace_ms, now_ms)
    late = ledger.select(f"state IN ('pending', 'retry') AND {limit.replace('d.', '')}", params)
    missed: list[tuple[DeliveryRow, str]] = []
    for row in late:
        grace = row.grace_ms if grace_ms is None else grace_ms
        late_by = (now_ms - row.due_ms) // 60000
        why = (
            f"due at {from_ms(row.due_ms):%Y-%m-%d %H:%M} UTC; it was still not sent "
            f"{late_by} min later, past the {grace // 60000} min grace window "
            "(use `run-due --catch-up` to send late posts anyway)"
        )
        if row.state == State.RETRY and row.last_error:
            why += f"; last error: {row.last_error}"
        if ledger.move(row, State.MISSED, why, actor, now_ms):
            missed.append((row, why))
    return missed


def claim(
    ledger: Ledger,
    now_ms: int,
    owner: str,
    lease_ms: int,
    limit: int,
    *,
    grace_ms: int | None = None,
    catch_up: bool = False,
    platforms: tuple[str, ...] | None = None,
) -> list[DeliveryRow]:
    """Claim up to ``limit`` due deliveries for ``owner``; nobody else can claim them.
    ``platforms`` limits the claim to platforms that have an adapter."""
    ready = _READY
    if platforms is not None:
        names = ", ".join("'" + p.replace("'", "") + "'" for p in platforms) or "NULL"
        ready += f" AND d.platform IN ({names})"
    if grace_ms is not None:
        ready = ready.replace("d.due_ms + d.grace_ms >= ?", f"d.due_ms + {int(grace_ms)} >= ?")
    params = (now_ms, now_ms, 1 if catch_up else 0, now_ms)
    order = "ORDER BY d.due_ms, d.thread_index, d.id LIMIT ?"
    db = ledger.db
    until = now_ms + lease_ms
    why = f"claimed by {owner}"
    if db.dialect == "postgresql":
        with db.transaction():
            rows = db.query(
                f"UPDATE deliveries SET state = 'claimed', lease_owner = ?, lease_until_ms = ?, "
                f"updated_ms = ? WHERE id IN (SELECT d.id FROM deliveries d WHERE {ready} "
                f"{order} FOR UPDATE OF d SKIP LOCKED) RETURNING id",
                (owner, until, now_ms, *params, limit),
            )
            ids = [r[0] for r in rows]
            _claim_events(ledger, ids, now_ms, owner, why)
    else:
        with db.transaction():
            ids = [
                r[0]
                for r in db.query(
                    f"SELECT d.id FROM deliveries d WHERE {ready} {order}", (*params, limit)
                )
            ]
            if ids:
                marks = ", ".join("?" for _ in ids)
                db.execute(
                    "UPDATE deliveries SET state = 'claimed', lease_owner = ?, "
                    f"lease_until_ms = ?, updated_ms = ? WHERE id IN ({marks}) "
                    "AND state IN ('pending', 'retry')",
                    (owner, until, now_ms, *ids),
                )
            _claim_events(ledger, ids, now_ms, owner, why)
    return ledger.by_id(ids)


def _claim_events(ledger: Ledger, ids: list[int], now_ms: int, owner: str, why: str) -> None:
    if not ids:
        return
    marks = ", ".join("?" for _ in ids)
    # from_state is recorded from the row's previous state, kept in its last event
    ledger.db.execute(
        "INSERT INTO events (delivery_id, at_ms, actor, from_state, to_state, reason) "
        f"SELECT d.id, ?, ?, (SELECT e.to_state FROM events e WHERE e.delivery_id = d.id "
        f"ORDER BY e.id DESC LIMIT 1), 'claimed', ? FROM deliveries d WHERE d.id IN ({marks})",
        (now_ms, owner, why, *ids),
    )


def next_due(ledger: Ledger, after_ms: int | None = None) -> int | None:
    """When the next waiting delivery is due (ms), for the daemon's timer; with ``after_ms``,
    the first one due after that instant."""
    wake = (
        "CASE WHEN not_before_ms IS NOT NULL AND not_before_ms > due_ms "
        "THEN not_before_ms ELSE due_ms END"
    )
    sql = f"SELECT MIN({wake}) FROM deliveries WHERE state IN ('pending', 'retry')"
    params: tuple[int, ...] = ()
    if after_ms is not None:
        sql += f" AND {wake} > ?"
        params = (after_ms,)
    rows = ledger.db.query(sql, params)
    value = rows[0][0] if rows else None
    return int(value) if value is not None else None


def parent(ledger: Ledger, row: DeliveryRow) -> DeliveryRow | None:
    return ledger.get(row.reply_to) if row.reply_to else None


__all__ = ["DELIVERY_COLUMNS", "Recovered", "claim", "expire", "next_due", "parent", "recover"]
