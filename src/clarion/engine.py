"""The engine behind ``run-due`` and the daemon: one run over the ledger.

A run (1) recovers leases left by runs that died, (2) asks adapters about unconfirmed sends,
(3) marks deliveries later than their grace window as missed, then (4) claims what is due in small
batches and sends each: ``claimed`` -> ``sending`` (committed, with the idempotency key) -> the
platform -> the outcome (committed). A crash at any instant leaves a state the next run handles.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from clarion import failpoints
from clarion.ledger import claims
from clarion.ledger.rows import DeliveryRow, ms
from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Adapter, MediaItem, Request, SendItem, idempotency_key
from clarion.platforms.outcomes import Absent, Failed, Outcome, Published, RetryLater, Unknown
from clarion.secrets import redact

log = logging.getLogger("clarion.engine")

MINUTE_MS = 60_000


@dataclass(frozen=True)
class RunOptions:
    now: dt.datetime | None = None  # fixed clock (rehearsal); None: the real clock
    dry_run: bool = False
    grace_ms: int | None = None  # overrides each campaign's grace window
    catch_up: bool = False
    lease_ms: int = 5 * MINUTE_MS
    batch: int = 5
    max_attempts: int = 5
    backoff_base_ms: int = 30_000
    backoff_cap_ms: int = 10 * MINUTE_MS
    #: Only these platforms are claimed (those with an adapter); None: all.
    platforms: tuple[str, ...] | None = None
    #: Asked between sends; when it says stop, unstarted claims are handed back (daemon shutdown).
    should_stop: Callable[[], bool] | None = None


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
    dry_run: list[Request] = field(default_factory=list)
    #: Platform -> due deliveries left waiting because no adapter is installed for it.
    waiting: dict[str, int] = field(default_factory=dict)

    def add(self, row: DeliveryRow, state: State, detail: str, url: str | None = None) -> None:
        self.results.append(Result(row.key, row.platform, state, detail, url))

    @property
    def problems(self) -> list[Result]:
        bad = (State.FAILED, State.UNCONFIRMED, State.MISSED)
        return [r for r in self.results if r.state in bad]

    @property
    def exit_code(self) -> int:
        return 1 if self.problems or self.waiting else 0


AdapterFor = Callable[[str, str], Adapter]


def worker_name() -> str:
    return f"run-due pid {os.getpid()} on {socket.gethostname()}"


class Engine:
    def __init__(self, ledger: Ledger, adapter_for: AdapterFor, actor: str | None = None) -> None:
        self.ledger = ledger
        self.adapter_for = adapter_for
        self.actor = actor or worker_name()
        self._adapters: dict[tuple[str, str], Adapter] = {}
        #: Accounts this run paused: their claimed deliveries are not sent.
        self._paused: set[tuple[str, str]] = set()

    def adapter(self, row: DeliveryRow) -> Adapter:
        k = (row.platform, row.account)
        if k not in self._adapters:
            self._adapters[k] = self.adapter_for(row.platform, row.account)
        return self._adapters[k]

    def _now(self, opts: RunOptions) -> int:
        return ms(opts.now or dt.datetime.now(dt.UTC))

    # --- one run ---------------------------------------------------------------------------

    def run(self, opts: RunOptions) -> RunReport:
        report = RunReport()
        if opts.dry_run:
            self._dry_run(opts, report)
            return report
        now = self._now(opts)
        for rec in claims.recover(self.ledger, now, self.actor):
            if rec.to == State.PENDING:
                log.info("%s: lease expired before sending; due again", rec.row.key)
        self._reconcile_unconfirmed(opts, report)
        for row, why in claims.expire(
            self.ledger, self._now(opts), self.actor, opts.grace_ms, opts.catch_up
        ):
            report.add(row, State.MISSED, why)
        if opts.platforms is not None:
            report.waiting = self._waiting_without_adapter(opts)
        seen: set[int] = set()
        while True:
            rows = claims.claim(
                self.ledger,
                self._now(opts),
                self.actor,
                opts.lease_ms,
                opts.batch,
                grace_ms=opts.grace_ms,
                catch_up=opts.catch_up,
                platforms=opts.platforms,
            )
            if not rows:
                break
            failpoints.hit("after-claim")
            again = [r for r in rows if r.id in seen]
            if again:  # handed back earlier in this run: leave them for the next run
                self._release(again, opts)
                rows = [r for r in rows if r.id not in seen]
                if not rows:
                    break
            seen.update(r.id for r in rows)
            for n, row in enumerate(rows):
                if opts.should_stop and opts.should_stop():
                    self._release(rows[n:], opts)
                    return report
                if (row.platform, row.account) in self._paused:
                    continue  # moved to paused with its account, not sent
                self._send(row, opts, report)
        return report

    def _waiting_without_adapter(self, opts: RunOptions) -> dict[str, int]:
        now = self._now(opts)
        rows = self.ledger.db.query(
            "SELECT platform, COUNT(*) FROM deliveries WHERE state IN ('pending', 'retry') "
            "AND due_ms <= ? GROUP BY platform",
            (now,),
        )
        allowed = set(opts.platforms or ())
        return {str(p): int(n) for p, n in rows if p not in allowed}

    def _release(self, rows: list[DeliveryRow], opts: RunOptions) -> None:
        for row in rows:
            self.ledger.move(
                row,
                State.PENDING,
                "handed back unsent: the worker is stopping",
                self.actor,
                self._now(opts),
                owner=self.actor,
                lease_owner=None,
                lease_until_ms=None,
            )

    def _item(self, row: DeliveryRow, dry: bool = False) -> SendItem:
        parent = claims.parent(self.ledger, row)
        media = tuple(MediaItem(m["file"], m["alt"]) for m in row.payload.get("images", []))
        return SendItem(
            key=row.key,
            platform=row.platform,
            account=row.account,
            text=row.text,
            media=media,
            thread_index=row.thread_index,
            reply_to_id=parent.platform_id if parent else None,
            reply_to_key=row.reply_to,
            idempotency_key=idempotency_key(row.key),
            quote_of=row.payload.get("quote_of"),
            language=row.payload.get("language"),
            visibility=row.payload.get("visibility"),
        )

    def _dry_run(self, opts: RunOptions, report: RunReport) -> None:
        now = self._now(opts)
        grace = "d.grace_ms" if opts.grace_ms is None else str(int(opts.grace_ms))
        late = "" if opts.catch_up else f" AND due_ms + {grace.replace('d.', '')} >= ?"
        params: tuple[int, ...] = (now, now) if opts.catch_up else (now, now, now)
        rows = self.ledger.select(
            "state IN ('pending', 'retry') AND due_ms <= ? "
            "AND (not_before_ms IS NULL OR not_before_ms <= ?)" + late,
            params,
            order="due_ms, thread_index, id",
        )
        for row in rows:
            request = self.adapter(row).build(self._item(row, dry=True))
            report.dry_run.append(replace(request, due=row.payload.get("at")))

    def _send(self, row: DeliveryRow, opts: RunOptions, report: RunReport) -> None:
        adapter = self.adapter(row)
        item = self._item(row)
        why = self._media_problem(row)
        if row.thread_index and item.reply_to_id is None:
            why = (
                f"the post it replies to ({row.reply_to}) is published but Clarion does not "
                "know its id there, so this reply cannot be attached to it; post it by hand"
            )
        if why:
            self._finish(
                row, State.FAILED, why, self._now(opts), report, (State.CLAIMED,), last_error=why
            )
            return
        request = adapter.build(item)
        now = self._now(opts)
        if not self.ledger.move(
            row,
            State.SENDING,
            f"sending to {adapter.platform.label}",
            self.actor,
            now,
            owner=self.actor,
            idempotency_key=item.idempotency_key,
            attempts=row.attempts + 1,
            # never shorter than the adapter's own timeout (plus a margin): no other run may
            # look this send up as lost while its request can still be in flight
            lease_until_ms=now + max(opts.lease_ms, int(adapter.timeout_s * 1000) + 10_000),
        ):
            log.warning("%s: lost its claim before sending; left to its new owner", row.key)
            return
        failpoints.hit("before-send")
        try:
            outcome: Outcome = adapter.publish(request)
        except Exception as exc:  # an adapter bug must not lose the delivery
            log.exception("%s: adapter raised", row.key)
            outcome = Unknown(f"{type(exc).__name__}: {redact(str(exc))}")
        failpoints.hit("after-send")
        self._record(row, outcome, opts, report, attempts=row.attempts + 1)

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
        now = self._now(opts)
        sent = expect
        if isinstance(outcome, Published):
            why = "published" + (
                " (the platform refused a duplicate after an unknown outcome: "
                "taken as already published)"
                if outcome.probable
                else ""
            )
            self._finish(
                row,
                State.PUBLISHED,
                why,
                now,
                report,
                sent,
                url=outcome.url,
                platform_id=outcome.post_id,
                platform_url=outcome.url,
                last_error=None,
            )
        elif isinstance(outcome, Failed):
            if outcome.duplicate and self._had_unknown(row):
                found = self._look_up(row)
                self._finish(
                    row,
                    State.PUBLISHED,
                    "the platform says this is a duplicate of a "
                    "post after an unknown outcome: probably published",
                    now,
                    report,
                    sent,
                    url=found.url if found else None,
                    platform_id=found.post_id if found else None,
                    platform_url=found.url if found else None,
                    last_error=redact(outcome.reason),
                )
                return
            reason = redact(outcome.reason)
            self._finish(row, State.FAILED, reason, now, report, sent, last_error=reason)
            if outcome.auth:
                self.pause_account(row.platform, row.account, reason, now)
        elif isinstance(outcome, Unknown):
            reason = redact(outcome.reason)
            self._finish(
                row,
                State.UNCONFIRMED,
                f"outcome unknown: {reason}",
                now,
                report,
                sent,
                last_error=reason,
            )
        else:  # RetryLater or Absent
            reason = redact(outcome.reason)
            not_before = outcome.not_before if isinstance(outcome, RetryLater) else None
            self._retry(row, reason, not_before, attempts, opts, now, report, sent)

    def _retry(
        self,
        row: DeliveryRow,
        reason: str,
        not_before: dt.datetime | None,
        attempts: int,
        opts: RunOptions,
        now: int,
        report: RunReport,
        expect: tuple[State, ...],
    ) -> None:
        cap = min(opts.backoff_cap_ms, opts.backoff_base_ms * 2 ** max(0, attempts - 1))
        wait = random.uniform(0, cap)  # full jitter  # noqa: S311 - not for security
        when = max(now + int(wait), ms(not_before) if not_before else 0)
        deadline = row.due_ms + (row.grace_ms if opts.grace_ms is None else opts.grace_ms)
        if attempts >= opts.max_attempts:
            self._finish(
                row,
                State.FAILED,
                f"gave up after {attempts} attempts: {reason}",
                now,
                report,
                expect,
                last_error=reason,
            )
        elif when > deadline and not opts.catch_up:
            self._finish(
                row,
                State.FAILED,
                f"the next try would be past the grace window: {reason}",
                now,
                report,
                expect,
                last_error=reason,
            )
        else:
            self._finish(
                row,
                State.RETRY,
                f"will retry after {when - now} ms: {reason}",
                now,
                report,
                expect,
                not_before_ms=when,
                last_error=reason,
            )

    def _finish(
        self,
        row: DeliveryRow,
        to: State,
        why: str,
        now: int,
        report: RunReport,
        expect: tuple[State, ...],
        url: str | None = None,
        **fields: Any,
    ) -> None:
        moved = self.ledger.move(
            row,
            to,
            why,
            self.actor,
            now,
            expect=expect,
            lease_owner=None,
            lease_until_ms=None,
            **fields,
        )
        if moved:
            report.add(row, to, why, url)
            log.info("%s: %s (%s)", row.key, to.value, why)

    def _media_problem(self, row: DeliveryRow) -> str | None:
        """Images are checked again at send time: still there, still inside the campaign's
        folder (a file swapped for a link since scheduling is refused), still the same file."""
        images = row.payload.get("images") or []
        if not images:
            return None
        from pathlib import Path

        from clarion.campaign import media

        found = self.ledger.db.query("SELECT file FROM campaigns WHERE slug = ?", (row.campaign,))
        if not found:
            return "its campaign is no longer in the ledger"
        folder = Path(found[0][0]).parent
        for image in images:
            try:
                real = media.resolve(folder, image["path"])
            except media.MediaError as exc:
                if image["path"].startswith(".clarion/cards/"):
                    return (
                        f"the quote card `{image['path']}` is no longer in the cache; run "
                        "`clarion schedule` on the campaign to draw it again (nothing was sent)"
                    )
                return f"{exc} (checked again just before sending; nothing was sent)"
            if str(real) != image["file"]:
                return (
                    f"`{image['path']}` now points to another file than when the campaign "
                    "was scheduled; run `clarion schedule` again to check it"
                )
        return None

    def _look_up(self, row: DeliveryRow) -> Published | None:
        adapter = self.adapter(row)
        try:
            answer = adapter.reconcile(self._request(adapter, row))
        except Exception as exc:
            log.warning("%s: look-up failed: %s", row.key, redact(str(exc)))
            return None
        return answer if isinstance(answer, Published) else None

    def _request(self, adapter: Adapter, row: DeliveryRow) -> Request:
        """The request as it was sent, with its due time (a look-up may search from there)."""
        return replace(adapter.build(self._item(row)), due=row.payload.get("at"))

    def _had_unknown(self, row: DeliveryRow) -> bool:
        return any(e.to_state == State.UNCONFIRMED for e in self.ledger.events(row.key))

    def _reconcile_unconfirmed(self, opts: RunOptions, report: RunReport) -> None:
        for row in self.ledger.select("state = 'unconfirmed'"):
            adapter = self.adapter(row)
            try:
                answer = adapter.reconcile(self._request(adapter, row))
            except Exception as exc:
                log.warning("%s: reconcile failed: %s", row.key, redact(str(exc)))
                continue
            if isinstance(answer, Unknown | RetryLater):
                # The platform could not be asked (or could not say): that says nothing about the
                # post, so it stays unconfirmed and is looked up again at the next run.
                report.add(row, State.UNCONFIRMED, redact(answer.reason))
                continue
            # Only from unconfirmed: another worker may have settled it, or be sending it again
            # after its own look-up, while this (now stale) answer was on its way.
            self._record(
                row, answer, opts, report, attempts=row.attempts, expect=(State.UNCONFIRMED,)
            )

    def pause_account(self, platform: str, account: str, reason: str, now: int) -> int:
        """Pause every waiting delivery of an account after its credentials were refused."""
        db = self.ledger.db
        with db.transaction():
            if (
                db.execute(
                    "UPDATE accounts SET paused_ms = ?, reason = ? WHERE platform = ? "
                    "AND account = ?",
                    (now, reason, platform, account),
                )
                == 0
            ):
                db.execute(
                    "INSERT INTO accounts (platform, account, paused_ms, reason) "
                    "VALUES (?, ?, ?, ?)",
                    (platform, account, now, reason),
                )
            # Waiting ones, and those this run has claimed but not sent yet (same batch).
            rows = self.ledger.select(
                "platform = ? AND account = ? AND (state IN ('pending', 'retry') "
                "OR (state = 'claimed' AND lease_owner = ?))",
                (platform, account, self.actor),
            )
            why = (
                f"{platform} account {account!r} was refused ({reason}); paused until "
                "`clarion accounts check` passes"
            )
            for row in rows:
                self.ledger.move(
                    row, State.PAUSED, why, self.actor, now, lease_owner=None, lease_until_ms=None
                )
        self._paused.add((platform, account))
        return len(rows)
