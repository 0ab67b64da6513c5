"""``clarion status --check``: one verdict for monitoring systems, from facts the ledger gave.

The plugin convention of Nagios, Icinga, Naemon, Zabbix's and Checkmk's local checks: exit 0 OK,
1 WARNING, 2 CRITICAL (3 UNKNOWN is left to the shell: a command that could not even start), and
one line, ``CLARION WARNING - 2 failed, 1 unconfirmed | failed=2 unconfirmed=1 ...``, the
performance data after the ``|`` the same on every line so graphs can be drawn.

What Clarion decided (a pure function of :class:`Facts`; :mod:`.facts` reads them):

* **CRITICAL: publishing is not happening.** The ledger cannot be opened; a delivery is still
  waiting although its time, its grace window and :data:`SLACK_MS` more have passed (any run
  would have sent it or marked it missed, so no run is happening); a delivery was left claimed or
  half-sent by a run that is gone, and no run has taken it back although its lease ran out more
  than :data:`SLACK_MS` ago.
* **WARNING: a person is needed** (or soon will be). Failed, unconfirmed and missed deliveries;
  paused accounts; a delivery whose run is gone but whose recovery is still to come (the next run
  takes it back); the last heartbeat not heard; an alert that did not reach a target; a post due
  within 24 hours that waits for a sign-off it does not have (``approval: required``).
* **OK** otherwise; a paused campaign is a person's choice, not a problem.

A missed or failed delivery keeps the check at WARNING until a person settles it (``retry``,
``cancel``, ``resolve``), as a monitoring system expects of a problem that still stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from clarion.ledger.states import State

__all__ = ["SLACK_MS", "Facts", "Finding", "Level", "Verdict", "assess"]

#: How long past its grace window (or past its lease) a delivery may wait for a run before the
#: check says no run is happening: five cron minutes.
SLACK_MS = 5 * 60_000
#: A post waiting for a sign-off it does not have warns from this long before it is due.
SIGNOFF_AHEAD_MS = 24 * 3600_000


class Level(IntEnum):
    """The plugin's exit status."""

    OK = 0
    WARNING = 1
    CRITICAL = 2


@dataclass(frozen=True, slots=True)
class Facts:
    """What the ledger (and this machine) says, counted."""

    counts: Mapping[State, int] = field(default_factory=dict)
    paused_accounts: int = 0
    #: Waiting past grace + slack: no run is happening.
    overdue: int = 0
    #: Claimed or being sent by a run that is gone; the next run takes them back.
    stranded: int = 0
    #: Of those, the ones whose lease ran out more than the slack ago: no run has come since.
    abandoned: int = 0
    #: The last heartbeat's failure in words (None: heard, or no heartbeat set up).
    heartbeat: str | None = None
    #: Alerts that did not reach their target, in words (one per target).
    notifiers: tuple[str, ...] = ()
    #: Deliveries due within :data:`SIGNOFF_AHEAD_MS` (or already due) that wait for a sign-off
    #: they do not have: they will not go out unless a manager approves them.
    awaiting_signoff: int = 0
    #: Why the ledger could not be read (None: it could).
    ledger_error: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    #: What it is, in a few words ("2 failed").
    words: str


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    #: Worst first.
    findings: tuple[Finding, ...]
    #: label -> value, always the same labels (zero included), for the performance data; none
    #: when the ledger could not be read.
    perfdata: Mapping[str, int]

    @property
    def label(self) -> str:
        return self.level.name


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def assess(facts: Facts) -> Verdict:
    """The check's verdict: the worst level found, what was found (worst first), the figures."""
    found: list[Finding] = []
    crit, warn = Level.CRITICAL, Level.WARNING
    if facts.ledger_error is not None:
        found.append(Finding(crit, f"the ledger cannot be opened: {facts.ledger_error}"))
    if facts.overdue:
        found.append(Finding(crit, f"{_plural(facts.overdue, 'post')} overdue with no run"))
    if facts.abandoned:
        found.append(
            Finding(crit, f"{_plural(facts.abandoned, 'claim')} of a gone run not taken back")
        )
    for state in (State.FAILED, State.UNCONFIRMED, State.MISSED):
        n = facts.counts.get(state, 0)
        if n:
            found.append(Finding(warn, f"{n} {state.value}"))
    if facts.paused_accounts:
        found.append(Finding(warn, _plural(facts.paused_accounts, "paused account")))
    if facts.awaiting_signoff:
        found.append(Finding(warn, f"{facts.awaiting_signoff} awaiting sign-off within 24 h"))
    recent = facts.stranded - facts.abandoned
    if recent > 0:
        found.append(
            Finding(
                warn, f"{_plural(recent, 'claim')} of a gone run (the next run takes them back)"
            )
        )
    if facts.heartbeat is not None:
        found.append(Finding(warn, f"heartbeat not heard: {facts.heartbeat}"))
    if facts.notifiers:
        found.append(Finding(warn, f"{_plural(len(facts.notifiers), 'alert target')} not reached"))
    found.sort(key=lambda f: -f.level)
    level = max((f.level for f in found), default=Level.OK)
    if facts.ledger_error is not None:  # no figures rather than zeros a graph would believe
        return Verdict(level, tuple(found), {})
    perfdata = {
        "failed": facts.counts.get(State.FAILED, 0),
        "unconfirmed": facts.counts.get(State.UNCONFIRMED, 0),
        "missed": facts.counts.get(State.MISSED, 0),
        "paused_accounts": facts.paused_accounts,
        "overdue": facts.overdue,
        "stranded": facts.stranded,
        "pending": facts.counts.get(State.PENDING, 0) + facts.counts.get(State.RETRY, 0),
        "published": facts.counts.get(State.PUBLISHED, 0),
        "awaiting_signoff": facts.awaiting_signoff,  # last: added later, graphs keep their order
    }
    return Verdict(level, tuple(found), perfdata)
