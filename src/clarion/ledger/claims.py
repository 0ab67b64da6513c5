"""What a run does to the ledger: recover stale leases, claim due deliveries, pause an account.

Claims are the one place the two databases differ in substance. SQLite serialises writers with
``BEGIN IMMEDIATE``; PostgreSQL lets many workers claim at once with ``FOR UPDATE SKIP LOCKED``.
Either way a delivery is claimed by at most one run. Leases are always instants of the real clock,
whatever instant a run acts as if it were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clarion.ledger import owners
from clarion.ledger import queries as q
from clarion.ledger.rows import DeliveryRow
from clarion.ledger.states import State

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger


@dataclass(frozen=True, slots=True)
class Recovered:
    row: DeliveryRow
    to: State


def recover_row(ledger: Ledger, row: DeliveryRow, real_now_ms: int, actor: str) -> State | None:
    """If ``row``'s lease ran out, or its owner is provably gone (a run on this machine whose
    process no longer exists: :func:`clarion.ledger.owners.gone`): a claim never sent goes back
    to pending; a send becomes unconfirmed. The state it was moved to, or None.

    A gone owner is acted on at once for a claim in any ledger: if the owner were alive after all
    (another machine with the same host name, sharing a PostgreSQL ledger), it could not start the
    send, because moving a claim to ``sending`` checks that it still holds it. A send in flight is
    taken over before its lease ends only on SQLite (one file on one machine): on PostgreSQL a
    same-named machine may still be waiting for the platform's answer, and making that send
    unconfirmed early could lead to a second send."""
    if row.state not in (State.CLAIMED, State.SENDING):
        return None
    expired = row.lease_until_ms is not None and row.lease_until_ms < real_now_ms
    dead = None if expired else owners.gone(row.lease_owner)
    if dead is not None and not owners.early(ledger.db.dialect, row.state):
        dead = None
    if not expired and dead is None:
        return None
    stopped = "stopped" if dead is None else f"stopped ({dead})"
    if row.state == State.CLAIMED:
        to = State.PENDING
        why = (
            f"the run that claimed it ({row.lease_owner}) {stopped} before sending; "
            "nothing was sent, so it is due again"
        )
    else:
        to = State.UNCONFIRMED
        why = (
            f"the run sending it ({row.lease_owner}) {stopped} before recording the answer; "
            "the platform may or may not have the post"
        )
    moved = ledger.move(
        row,
        to,
        why,
        actor,
        real_now_ms,
        expect=(row.state,),
        owner=row.lease_owner,
        lease_owner=None,
        lease_until_ms=None,
    )
    return to if moved else None


def recover(ledger: Ledger, real_now_ms: int, actor: str) -> list[Recovered]:
    """Take back what runs that died left claimed or in flight: leases that ran out, and leases
    of runs on this machine that no longer exist (without waiting for the lease)."""
    out: list[Recovered] = []
    for row in ledger.rows_of(q.IN_FLIGHT_ROWS):
        to = recover_row(ledger, row, real_now_ms, actor)
        if to is not None:
            out.append(Recovered(row, to))
    return out


def claim(
    ledger: Ledger,
    now_ms: int,
    owner: str,
    lease_until_ms: int,
    limit: int,
    *,
    grace_ms: int | None = None,
    catch_up: bool = False,
    platforms: tuple[str, ...] | None = None,
) -> list[DeliveryRow]:
    """Claim up to ``limit`` due and ready deliveries for ``owner``; nobody else can claim them.
    The accounts are taken in turn (the first of each, then the second...), each in its own
    send order, counting what ``owner`` already holds of each, so one claim serves many
    accounts at once."""
    ready = q.ready_params(now_ms, catch_up, grace_ms)
    only = () if platforms is None else tuple(platforms)
    n = None if platforms is None else len(only)
    if n == 0:
        return []
    db = ledger.db
    why = f"claimed by {owner}"
    fair = (*ready, owner, *ready, *only, limit)
    with db.transaction():
        if db.dialect == "postgresql":
            rows = db.query(q.claim_skip_locked(n), (owner, lease_until_ms, now_ms, *fair))
            ids = [int(r[0]) for r in rows]
        else:
            ids = [int(r[0]) for r in db.query(q.claim_ids(n), fair)]
            if ids:
                db.execute(q.claim_marked(len(ids)), (owner, lease_until_ms, now_ms, *ids))
        if ids:
            db.execute(q.claim_events(len(ids)), (now_ms, owner, why, *ids))
    return ledger.by_id(ids)


def extend_leases(ledger: Ledger, owner: str, until_ms: int) -> int:
    """Push the lease on everything ``owner`` holds (claimed or sending) on to ``until_ms`` (real
    clock), so no other run takes over a send that is still working; how many rows."""
    with ledger.db.transaction():
        return ledger.db.execute(q.EXTEND_LEASES, (until_ms, owner, until_ms))


def ask_unconfirmed(
    ledger: Ledger, row: DeliveryRow, owner: str, until_ms: int, now_ms: int
) -> bool:
    """Hold unconfirmed ``row`` for ``owner`` while it asks the platform (until ``until_ms``, real
    clock); False when another run is asking about it now."""
    with ledger.db.transaction():
        return ledger.db.execute(q.ASK_UNCONFIRMED, (owner, until_ms, row.id, now_ms)) == 1


def asked_unconfirmed(ledger: Ledger, row: DeliveryRow, owner: str) -> None:
    """Let go of an unconfirmed row after asking, when the answer settled nothing."""
    with ledger.db.transaction():
        ledger.db.execute(q.ASKED_UNCONFIRMED, (row.id, owner))


def hold_account(
    ledger: Ledger,
    platform: str,
    account: str,
    until_ms: int,
    reason: str,
    actor: str,
    now_ms: int,
) -> int:
    """The platform told this account to wait until ``until_ms``: its waiting deliveries due
    before then wait too (attempts unchanged), in this run, in later runs and in other workers;
    what ``actor`` has claimed of it and not started goes back to pending until then. How many
    claims were handed back."""
    db = ledger.db
    with db.transaction():
        db.execute(q.HOLD_ACCOUNT, (until_ms, now_ms, platform, account, until_ms, until_ms))
        rows = ledger.rows_of(q.ACCOUNT_CLAIMED_BY, (platform, account, actor))
        for row in rows:
            ledger.move(
                row,
                State.PENDING,
                reason,
                actor,
                now_ms,
                owner=actor,
                not_before_ms=max(until_ms, row.not_before_ms or 0),
                lease_owner=None,
                lease_until_ms=None,
            )
    return len(rows)


def next_due(ledger: Ledger, after_ms: int | None = None) -> int | None:
    """When the next waiting delivery is due (ms), for the daemon's timer; with ``after_ms``,
    the first one due after that instant."""
    if after_ms is None:
        rows = ledger.db.query(q.NEXT_DUE)
    else:
        rows = ledger.db.query(q.NEXT_DUE_AFTER, (after_ms,))
    value = rows[0][0] if rows else None
    return int(value) if value is not None else None


def pause_account(
    ledger: Ledger, platform: str, account: str, reason: str, actor: str, now_ms: int
) -> int:
    """Pause an account whose credentials were refused: its waiting deliveries, and those this
    run (``actor``) has claimed but not sent yet, are held until ``accounts check`` passes."""
    db = ledger.db
    why = (
        f"{platform} account {account!r} was refused ({reason}); paused until "
        "`clarion accounts check` passes"
    )
    with db.transaction():
        if db.execute(q.PAUSE_ACCOUNT, (now_ms, reason, platform, account)) == 0:
            db.execute(q.NEW_PAUSED_ACCOUNT, (platform, account, now_ms, reason))
        rows = ledger.rows_of(q.ACCOUNT_HOLDABLE, (platform, account, actor))
        for row in rows:
            ledger.move(
                row, State.PAUSED, why, actor, now_ms, lease_owner=None, lease_until_ms=None
            )
    return len(rows)


__all__ = [
    "Recovered",
    "claim",
    "extend_leases",
    "hold_account",
    "next_due",
    "pause_account",
    "recover",
    "recover_row",
]
