"""A rehearsal (``run-due --dry-run``, or ``--now T``): what a real run at that instant would do,
in the same words, without acting. Nothing is sent, claimed or recorded, and no platform is asked
anything. It reports what would be sent (the exact requests, in order), what would be marked
missed, what would fail before sending (an image gone, say), what is left for a person
(unconfirmed sends, paused deliveries whose time has come) and what waits for lack of an adapter;
its exit status is the real run's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.engine import policy
from clarion.engine.report import Result, RunOptions, RunReport
from clarion.ledger import approvals
from clarion.ledger.states import State

if TYPE_CHECKING:
    from clarion.engine.loop import Engine


def rehearse(engine: Engine, opts: RunOptions) -> RunReport:
    ledger = engine.ledger
    now = engine.now(opts)
    report = RunReport(rehearsal=True)
    for row in ledger.unconfirmed():
        said = row.last_error or "the platform may or may not have it"
        report.add(
            row,
            State.UNCONFIRMED,
            f"{said}; a real run asks the platform, then leaves it for a person "
            "(`clarion resolve`) if it cannot tell",
        )
    missed: set[str] = set()
    if not opts.catch_up:
        for row in ledger.late(now, opts.grace_ms):
            grace = row.grace_ms if opts.grace_ms is None else opts.grace_ms
            report.add(row, State.MISSED, policy.missed(row.due_ms, now, grace, row.last_error))
            missed.add(row.key)
    if opts.platforms is not None:
        report.waiting = ledger.waiting_without_adapter(now, opts.platforms)
    sent: set[str] = set()
    for row in ledger.would_send(now, opts.grace_ms, opts.catch_up):
        if opts.platforms is not None and row.platform not in opts.platforms:
            continue
        if row.reply_to and row.reply_to not in sent:
            parent = ledger.parent(row)
            if parent is None or parent.state != State.PUBLISHED:
                continue  # a real run sends it after its parent, not now
        held = approvals.is_awaiting(ledger, row)
        if held is not None:
            report.awaiting.append(
                Result(row.key, row.platform, row.state, f"would wait for sign-off: {held.cause}")
            )
            continue
        why, reply_to_id = engine.problem(row)
        if why:
            report.add(row, State.FAILED, why)
            continue
        report.dry_run.append(engine.adapter(row).build(row.delivery, reply_to_id=reply_to_id))
        sent.add(row.key)
    for row in ledger.paused_due(now):
        events = ledger.events(row.key)
        why = events[-1].reason if events else "paused"
        report.add(row, State.PAUSED, f"held, not sent: {why}")
    return report
