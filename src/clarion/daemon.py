"""``clarion daemon``: APScheduler as a timer only; the ledger decides what is due.

The daemon keeps one job, ``tick``, always rescheduled for the earlier of the next due instant
in the ledger and one minute from now (so edits made by ``clarion schedule`` are picked up).
Each tick calls the same engine as ``run-due``; APScheduler never runs two ticks at once. On
SIGTERM or SIGINT the current run finishes the send in progress, hands back any claim it has not
started, and the process exits.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from clarion.ledger.rows import from_ms, ms
from clarion.ledger.store import Ledger

log = logging.getLogger("clarion.daemon")

MAX_SLEEP = dt.timedelta(minutes=1)
#: A tick never reschedules itself sooner than this: APScheduler would skip a job that falls due
#: while the same job is still running (max_instances=1), and with a date trigger that skip would
#: leave no tick at all. Anything due sooner is waited for inside the tick.
MIN_SCHEDULE = dt.timedelta(seconds=1)


class Daemon:
    def __init__(self, run: Callable[[Callable[[], bool]], Any], ledger: Ledger) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.run = run
        self.ledger = ledger
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=dt.UTC)

    def next_wake(self, since: dt.datetime | None = None) -> dt.datetime:
        """The earlier of the next due instant and a minute from now. ``since``: when the last
        run started; what was already due then and still waits, that run could not take (a
        thread part whose first post failed, a platform without an adapter): it is looked at
        again on the minute, not at once and over and over."""
        now = dt.datetime.now(dt.UTC)
        due = self.ledger.next_due(None if since is None else ms(since))
        soon = now + MAX_SLEEP
        if due is None:
            return soon
        return max(now, min(from_ms(due), soon))

    def tick(self) -> None:
        while not self.stopping.is_set():
            started = dt.datetime.now(dt.UTC)
            try:
                report = self.run(self.stopping.is_set)
                for r in report.results:
                    log.info("%s %s %s", r.state.value, r.key, r.url or r.detail)
                from clarion.monitoring.heartbeat import after_run

                after_run(stopped=self.stopping.is_set(), background=True)  # never waited for
            except Exception:
                log.exception("run failed; trying again at the next wake")
            self._digest()
            if self.stopping.is_set():
                return
            try:
                wake = self.next_wake(started)
            except Exception:  # the ledger is unreachable for now: look again in a minute
                log.exception("could not read the next due time; trying again in a minute")
                wake = dt.datetime.now(dt.UTC) + MAX_SLEEP
            wait = wake - dt.datetime.now(dt.UTC)
            if wait >= MIN_SCHEDULE:
                self._schedule(wake)
                return
            # Due within a second (or fell due during the run): run again from this tick.
            self.stopping.wait(max(0.0, wait.total_seconds()))

    def _digest(self) -> None:
        """The daily digest, once a day at CLARION_DIGEST_AT (clarion.alerts; never raises)."""
        from clarion.alerts import digest_if_due

        digest_if_due(self.ledger)

    def _schedule(self, when: dt.datetime) -> None:
        self.scheduler.add_job(
            self.tick,
            "date",
            run_date=when,
            id="tick",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info(
            "received %s; finishing the current send and stopping", signal.Signals(signum).name
        )
        self.stopping.set()

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.scheduler.start()
        self._schedule(dt.datetime.now(dt.UTC))
        log.info("daemon started")
        self.stopping.wait()
        self.scheduler.shutdown(wait=True)  # waits for a tick in progress
        log.info("daemon stopped")
