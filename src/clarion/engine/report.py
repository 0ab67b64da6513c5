"""A run's options and what it reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from clarion.engine.policy import MINUTE_MS, Backoff
from clarion.ledger.rows import DeliveryRow
from clarion.ledger.states import State
from clarion.platforms.adapter import Request
from clarion.settings.environment import DEFAULT_WORKERS


@dataclass(frozen=True)
class RunOptions:
    #: The instant the run acts as if it were (tests: ``--pretend-now``; a rehearsal: ``--now``);
    #: None: the real clock. Leases are always measured on the real clock.
    now: dt.datetime | None = None
    #: Rehearse: send nothing, record nothing; report what a real run would do.
    dry_run: bool = False
    grace_ms: int | None = None  # overrides each campaign's grace window
    catch_up: bool = False
    lease_ms: int = 5 * MINUTE_MS
    #: At least this many deliveries claimed at once (twice ``workers`` when more).
    batch: int = 5
    #: How many deliveries are sent at once (never two of one account): ``--workers``.
    workers: int = DEFAULT_WORKERS
    max_attempts: int = 5
    backoff_base_ms: int = 30_000
    backoff_cap_ms: int = 10 * MINUTE_MS
    #: Only these platforms are claimed (those with an adapter); None: all.
    platforms: tuple[str, ...] | None = None
    #: Asked between sends; when it says stop, the sends in flight finish and unstarted claims
    #: are handed back (daemon shutdown; SIGTERM or Ctrl-C during run-due).
    should_stop: Callable[[], bool] | None = None

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.max_attempts, self.backoff_base_ms, self.backoff_cap_ms)


@dataclass
class Result:
    key: str
    platform: str
    state: State
    detail: str
    url: str | None = None


@dataclass
class RunReport:
    results: list[Result] = field(default_factory=list)
    #: A rehearsal's requests: what it would send, in order.
    dry_run: list[Request] = field(default_factory=list)
    #: Platform -> due deliveries left waiting because no adapter is installed for it.
    waiting: dict[str, int] = field(default_factory=dict)
    #: True for a rehearsal (``--now`` or ``--dry-run``): nothing was sent or recorded.
    rehearsal: bool = False
    #: Due deliveries of campaigns that require approval, not approved as they stand: not sent,
    #: they wait for ``clarion approve`` (missed once their grace window has passed).
    awaiting: list[Result] = field(default_factory=list)

    def add(self, row: DeliveryRow, state: State, detail: str, url: str | None = None) -> None:
        self.results.append(Result(row.key, row.platform, state, detail, url))

    @property
    def problems(self) -> list[Result]:
        bad = (State.FAILED, State.UNCONFIRMED, State.MISSED)
        return [r for r in self.results if r.state in bad]

    @property
    def exit_code(self) -> int:
        return 1 if self.problems or self.waiting else 0
