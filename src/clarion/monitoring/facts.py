"""The facts :func:`clarion.monitoring.check.assess` judges, read from the ledger and this machine.

The alerts that did not reach a target come in through ``notifiers`` (one line per target): the
command asks :func:`clarion.alerts.notifier_problems`, which sits above this layer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from clarion.ledger import approvals, health
from clarion.monitoring.check import SIGNOFF_AHEAD_MS, SLACK_MS, Facts

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

__all__ = ["gather", "heartbeat_problem"]


def real_now_ms() -> int:
    return int(time.time() * 1000)


def heartbeat_problem() -> str | None:
    """The last heartbeat's failure in words, when one is set up and was last not heard."""
    from clarion.monitoring import heartbeat

    if heartbeat.find_url() is None:
        return None
    done = heartbeat.last()
    return None if done is None or done.ok else done.words()


def gather(
    ledger: Ledger,
    campaign: str | None = None,
    now_ms: int | None = None,
    notifiers: tuple[str, ...] = (),
) -> Facts:
    """Everything the check needs, for one campaign or all (accounts, heartbeat and alerts are
    the whole ledger's). ``now_ms``: the real clock by default. ``notifiers``: one line per alert
    target that alerts did not reach."""
    now = real_now_ms() if now_ms is None else now_ms
    stranded = [
        s
        for s in health.stranded(ledger, now)
        if campaign is None or s.row.delivery.campaign == campaign
    ]
    abandoned = [s for s in stranded if s.expired and (s.row.lease_until_ms or 0) + SLACK_MS < now]
    overdue = [
        r
        for r in health.overdue(ledger, now, SLACK_MS)
        if campaign is None or r.delivery.campaign == campaign
    ]
    held = [
        a
        for a in approvals.awaiting(ledger, due_by_ms=now + SIGNOFF_AHEAD_MS)
        if campaign is None or a.row.campaign == campaign
    ]
    return Facts(
        awaiting_signoff=len(held),
        counts=ledger.counts(campaign),
        paused_accounts=len(ledger.paused_accounts()),
        overdue=len(overdue),
        stranded=len(stranded),
        abandoned=len(abandoned),
        heartbeat=heartbeat_problem(),
        notifiers=notifiers,
    )
