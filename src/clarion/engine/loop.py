"""One run over the ledger: the loop. No SQL (the ledger's verbs), no file checks (:mod:`.checks`),
no decisions of its own (:mod:`.policy`).

A run (1) recovers leases left by runs that died, (2) asks adapters about unconfirmed sends,
(3) marks deliveries later than their grace window as missed, then (4) claims what is due, the
first few of every account, and sends them, several accounts at once and each account's in order
(:mod:`.pool`): ``claimed`` -> ``sending`` (committed, with the idempotency key and the request as
sent) -> the platform -> the outcome (committed). While it works, its leases are extended; asked
to stop, it finishes the sends in flight and hands back the rest. An account told to wait (a
rate limit's reset time) waits, in this run and the next, while the others go on. A crash at any
instant leaves a state the next run handles. A run may act as if it were another instant
(``RunOptions.now``, for tests); its leases are always instants of the real clock.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from clarion import failpoints
from clarion.engine import checks, policy
from clarion.engine.pool import Keeper, Lanes
from clarion.engine.report import Result, RunOptions, RunReport
from clarion.ledger import approvals
from clarion.ledger.rows import DeliveryRow, ms
from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Adapter, Request
from clarion.platforms.outcomes import Absent, Failed, Outcome, Published, RetryLater, Unknown
from clarion.secrets import redact

log = logging.getLogger("clarion.engine")

AdapterFor = Callable[[str, str], Adapter]


def worker_name() -> str:
    return f"run-due pid {os.getpid()} on {socket.gethostname()}"


def real_clock() -> int:
    return int(time.time() * 1000)


class Engine:
    def __init__(
        self,
        ledger: Ledger,
        adapter_for: AdapterFor,
        actor: str | None = None,
        clock: Callable[[], int] = real_clock,
    ) -> None:
        self.ledger = ledger
        self.adapter_for = adapter_for
        self.actor = actor or worker_name()
        #: The real clock (ms), for leases.
        self.clock = clock
        self._adapters: dict[tuple[str, str], Adapter] = {}
        self._adapters_lock = threading.Lock()
        #: Accounts this run paused: their claimed deliveries are not sent.
        self._paused: set[tuple[str, str]] = set()
        #: Accounts the platform told to wait: until when (ms), and why.
        self._held: dict[tuple[str, str], tuple[int, str]] = {}
        self._folders: dict[str, Path | None] = {}

    def adapter(self, row: DeliveryRow) -> Adapter:
        k = (row.platform, row.account)
        with self._adapters_lock:  # lanes of several accounts start at once
            if k not in self._adapters:
                self._adapters[k] = self.adapter_for(row.platform, row.account)
            return self._adapters[k]

    def now(self, opts: RunOptions) -> int:
        """The instant the run acts at (ms)."""
        return ms(opts.now) if opts.now else self.clock()

    # --- one run ---------------------------------------------------------------------------

    def run(self, opts: RunOptions) -> RunReport:
        if opts.dry_run:
            from clarion.engine.rehearse import rehearse

            return rehearse(self, opts)
        report = RunReport()
        for rec in self.ledger.recover(self.clock(), self.actor):
            if rec.to == State.PENDING:
                log.info("%s: lease expired before sending; due again", rec.row.key)
        self._reconcile_unconfirmed(opts, report)
        if not opts.catch_up:
            now = self.now(opts)
            for row in self.ledger.late(now, opts.grace_ms):
                grace = row.grace_ms if opts.grace_ms is None else opts.grace_ms
                why = policy.missed(row.due_ms, now, grace, row.last_error)
                if self.ledger.move(row, State.MISSED, why, self.actor, now):
                    report.add(row, State.MISSED, why)
        if opts.platforms is not None:
            report.waiting = self.ledger.waiting_without_adapter(self.now(opts), opts.platforms)
        self._send_due(opts, report)
        for held in approvals.awaiting(self.ledger, self.now(opts)):
            report.awaiting.append(
                Result(held.row.key, held.row.platform, held.row.state, held.reason)
            )
        return report

    def _send_due(self, opts: RunOptions, report: RunReport) -> None:
        """Claim what is due and send it, up to ``opts.workers`` accounts at once
        (:mod:`.pool`), until nothing more is due or the run is asked to stop."""
        lanes = Lanes(opts.workers, lambda row: self._turn(row, opts, report), self._stop(opts))
        with Keeper(self.ledger, self.actor, opts.lease_ms, self.clock):
            try:
                while not self._stop(opts)() and lanes.error is None:
                    lanes.changed.clear()  # then look: a send that ends from now on wakes us
                    # claim (twice the pool at once) when half the pool's worth is left
                    if lanes.queued() <= opts.workers // 2:
                        rows = self.ledger.claim(
                            self.now(opts),
                            self.actor,
                            self.clock() + opts.lease_ms,
                            max(opts.batch, 2 * opts.workers),
                            grace_ms=opts.grace_ms,
                            catch_up=opts.catch_up,
                            platforms=opts.platforms,
                        )
                        if rows:
                            failpoints.hit("after-claim")
                            lanes.add(rows)
                            continue
                    if not lanes.busy():
                        break
                    # a send finished (a reply may be ready now, an account has room), or look
                    # again shortly: a retry's time may come, the run may be asked to stop
                    lanes.changed.wait(0.5)
            finally:
                self._release(lanes.take_all(), opts)  # stopping: unstarted claims go back
                lanes.close(wait=True)  # every send in flight finishes and is recorded
        if lanes.error is not None:
            raise lanes.error

    def _stop(self, opts: RunOptions) -> Callable[[], bool]:
        return opts.should_stop or (lambda: False)

    def _turn(self, row: DeliveryRow, opts: RunOptions, report: RunReport) -> bool:
        """Send one delivery in its account's lane. True when the account must wait (its other
        claims were handed back)."""
        account = (row.platform, row.account)
        if account in self._paused:
            return True  # moved to paused with its account, not sent
        held = self._held.get(account)
        if held is not None and held[0] > self.now(opts):
            self._hold(row, held[0], held[1], opts)
            return True
        outcome = self._send(row, opts, report)
        if isinstance(outcome, RetryLater) and outcome.not_before is not None:
            until = ms(outcome.not_before)
            if until > self.now(opts):
                why = policy.held(row.platform, row.account, until, redact(outcome.reason))
                self._held[account] = (until, why)
                self._hold(row, until, why, opts)
                return True
        return False

    def _hold(self, row: DeliveryRow, until_ms: int, why: str, opts: RunOptions) -> None:
        """The account was told to wait: its waiting deliveries (in every run) and this run's
        unstarted claims of it wait until ``until_ms``; no attempt is counted."""
        n = self.ledger.hold_account(
            row.platform, row.account, until_ms, why, self.actor, self.now(opts)
        )
        log.info("%s account %s: %s (%d claims handed back)", row.platform, row.account, why, n)

    def _release(self, rows: list[DeliveryRow], opts: RunOptions) -> None:
        """Hand unstarted claims back (the run is stopping); each goes out at the next run."""
        for row in rows:
            self.ledger.move(
                row,
                State.PENDING,
                "handed back unsent: the worker is stopping",
                self.actor,
                self.now(opts),
                owner=self.actor,
                lease_owner=None,
                lease_until_ms=None,
            )

    def problem(self, row: DeliveryRow) -> tuple[str | None, str | None]:
        """(why it cannot be sent, or None; its thread parent's platform id, if any)."""
        parent = self.ledger.parent(row)
        reply_to_id = parent.platform_id if parent else None
        why = checks.before_send(row.delivery, self._folder(row.campaign))
        unknown_parent = parent is None or parent.state == State.PUBLISHED
        if row.thread_index and reply_to_id is None and unknown_parent:
            why = (
                f"the post it replies to ({row.reply_to}) is published but Clarion does not "
                "know its id there, so this reply cannot be attached to it; post it by hand"
            )
        return why, reply_to_id

    def _send(self, row: DeliveryRow, opts: RunOptions, report: RunReport) -> Outcome | None:
        """Send one claimed delivery and record what the platform said (None: not sent)."""
        adapter = self.adapter(row)
        why, reply_to_id = self.problem(row)
        if why:
            self._finish(
                row, policy.Decision(State.FAILED, why, why), opts, report, (State.CLAIMED,)
            )
            return None
        request = adapter.build(row.delivery, reply_to_id=reply_to_id)
        # the instant of the first send, kept with the request (the real clock)
        first = (row.request or {}).get("first_sent_ms") or self.clock()
        request = replace(request, first_sent_ms=first)
        lease = policy.send_lease_ms(opts.lease_ms, adapter.timeout_s)
        if not self.ledger.move(
            row,
            State.SENDING,
            f"sending to {adapter.platform.label}",
            self.actor,
            self.now(opts),
            owner=self.actor,
            idempotency_key=row.delivery.idempotency_key,
            attempts=row.attempts + 1,
            request=json.dumps(asdict(request), ensure_ascii=False, sort_keys=True),
            lease_until_ms=self.clock() + lease,
        ):
            log.warning("%s: lost its claim before sending; left to its new owner", row.key)
            return None
        failpoints.hit("before-send")
        try:
            outcome: Outcome = adapter.publish(request)
        except Exception as exc:  # an adapter bug must not lose the delivery
            log.exception("%s: adapter raised", row.key)
            outcome = Unknown(f"{type(exc).__name__}: {redact(str(exc))}")
        failpoints.hit("after-send")
        self._record(row, outcome, opts, report, attempts=row.attempts + 1)
        return outcome

    # --- outcomes ----------------------------------------------------------------------------

    def _record(
        self,
        row: DeliveryRow,
        outcome: Outcome | Absent,
        opts: RunOptions,
        report: RunReport,
        attempts: int,
        expect: tuple[State, ...] = (State.SENDING, State.UNCONFIRMED),
    ) -> None:
        """Record what the platform said. ``expect``: the states the delivery may be moved from
        (a send's answer may also settle a delivery its lease expiry made unconfirmed)."""
        now = self.now(opts)
        grace = row.grace_ms if opts.grace_ms is None else opts.grace_ms
        decision = policy.decide(
            outcome,
            attempts=attempts,
            now_ms=now,
            deadline_ms=row.due_ms + grace,
            catch_up=opts.catch_up,
            # (asked of the ledger only when it matters: a "duplicate" answer)
            had_unknown=isinstance(outcome, Failed)
            and outcome.duplicate
            and self._had_unknown(row),
            backoff=opts.backoff,
            clean=redact,
        )
        if decision.look_up:
            found = self._look_up(row)
            if found is not None:
                decision = policy.Decision(
                    decision.state,
                    decision.why,
                    decision.last_error,
                    post_id=found.post_id,
                    url=found.url,
                )
        self._finish(row, decision, opts, report, expect)
        if decision.pause_account:
            self.ledger.pause_account(row.platform, row.account, decision.why, self.actor, now)
            self._paused.add((row.platform, row.account))

    def _finish(
        self,
        row: DeliveryRow,
        d: policy.Decision,
        opts: RunOptions,
        report: RunReport,
        expect: tuple[State, ...],
    ) -> None:
        fields: dict[str, Any] = {"last_error": d.last_error}
        if d.state == State.PUBLISHED:
            fields.update(platform_id=d.post_id, platform_url=d.url)
        if d.state == State.RETRY:
            fields["not_before_ms"] = d.not_before_ms
        moved = self.ledger.move(
            row,
            d.state,
            d.why,
            self.actor,
            self.now(opts),
            expect=expect,
            lease_owner=None,
            lease_until_ms=None,
            **fields,
        )
        if moved:
            report.add(row, d.state, d.why, d.url)
            log.info("%s: %s (%s)", row.key, d.state.value, d.why)

    def request(self, adapter: Adapter, row: DeliveryRow) -> Request:
        """The request as it was sent (kept by the ledger); rebuilt only for a send recorded
        before the ledger kept requests."""
        if row.request:
            kept = Request(**row.request)
            if any(not Path(str(i.get("file", ""))).is_file() for i in kept.images):
                # The prepared images live in the cache folder, which may have been cleared
                # since: preparing is deterministic, so this makes the same files again.
                adapter.prepared(row.delivery)
            return kept
        parent = self.ledger.parent(row)
        return adapter.build(row.delivery, reply_to_id=parent.platform_id if parent else None)

    def _look_up(self, row: DeliveryRow) -> Published | None:
        adapter = self.adapter(row)
        try:
            answer = adapter.reconcile(self.request(adapter, row))
        except Exception as exc:
            log.warning("%s: look-up failed: %s", row.key, redact(str(exc)))
            return None
        return answer if isinstance(answer, Published) else None

    def _folder(self, campaign: str) -> Path | None:
        """The campaign's folder (read once per run: many sends of one campaign at once)."""
        if campaign not in self._folders:
            self._folders[campaign] = self.ledger.campaign_folder(campaign)
        return self._folders[campaign]

    def _had_unknown(self, row: DeliveryRow) -> bool:
        return any(e.to_state == State.UNCONFIRMED for e in self.ledger.events(row.key))

    def _reconcile_unconfirmed(self, opts: RunOptions, report: RunReport) -> None:
        for row in self.ledger.unconfirmed():
            adapter = self.adapter(row)
            lease = policy.send_lease_ms(opts.lease_ms, adapter.timeout_s)
            if not self.ledger.ask_unconfirmed(row, self.actor, self.clock() + lease, self.clock()):
                continue  # another run is asking about it (a re-send from both could post twice)
            try:
                answer = adapter.reconcile(self.request(adapter, row))
            except Exception as exc:
                log.warning("%s: reconcile failed: %s", row.key, redact(str(exc)))
                self.ledger.asked_unconfirmed(row, self.actor)
                continue
            if isinstance(answer, Unknown | RetryLater):
                # The platform could not be asked (or could not say): that says nothing about the
                # post, so it stays unconfirmed and is looked up again at the next run.
                self.ledger.asked_unconfirmed(row, self.actor)
                report.add(row, State.UNCONFIRMED, redact(answer.reason))
                continue
            # Only from unconfirmed: another worker may have settled it, or be sending it again
            # after its own look-up, while this (now stale) answer was on its way.
            self._record(
                row, answer, opts, report, attempts=row.attempts, expect=(State.UNCONFIRMED,)
            )

    def pause_account(self, platform: str, account: str, reason: str, now: int) -> int:
        """Pause every waiting delivery of an account after its credentials were refused."""
        self._paused.add((platform, account))
        return self.ledger.pause_account(platform, account, reason, self.actor, now)
