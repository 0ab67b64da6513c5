"""What a monitor asks the ledger: is anything left behind by a run that is gone, is anything
waiting that a run would long have handled? (The verdict is :mod:`clarion.monitoring.check`'s.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clarion.ledger import owners
from clarion.ledger import queries as q
from clarion.ledger.rows import DeliveryRow

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

__all__ = ["Stranded", "overdue", "stranded"]


@dataclass(frozen=True, slots=True)
class Stranded:
    """A delivery claimed or being sent by a run that is gone."""

    row: DeliveryRow
    #: Why its run is gone, in words: "its lease ran out" or "process N no longer exists on H".
    why: str
    #: The lease has run out on the real clock (else: the owner is provably dead, lease running).
    expired: bool
    #: When the next run takes it back: None = at once (the next run), else this instant (ms).
    from_ms: int | None


def stranded(ledger: Ledger, real_now_ms: int, host: str | None = None) -> list[Stranded]:
    """Every delivery in ``claimed`` or ``sending`` whose run is gone: its lease ran out, or it is
    a run on this machine whose process no longer exists."""
    out: list[Stranded] = []
    for row in ledger.rows_of(q.IN_FLIGHT_ROWS):
        until = row.lease_until_ms
        if until is not None and until < real_now_ms:
            out.append(Stranded(row, "its lease ran out", True, None))
            continue
        dead = owners.gone(row.lease_owner, host)
        if dead is not None:
            at_once = owners.early(ledger.db.dialect, row.state)
            out.append(Stranded(row, dead, False, None if at_once else until))
    return out


def overdue(ledger: Ledger, now_ms: int, slack_ms: int) -> list[DeliveryRow]:
    """Waiting deliveries whose time (or retry time), grace window and ``slack_ms`` have all
    passed: a run would have sent them or marked them missed, so none is happening."""
    return ledger.rows_of(q.OVERDUE_ROWS, (slack_ms, now_ms))
