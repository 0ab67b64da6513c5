"""Many deliveries at once: one lane per account over a bounded pool of threads, and the keeper
that holds a run's leases while it works.

A run claims due deliveries of every account in turn (``Ledger.claim``: the first of each, then
the second...) and puts each in its account's lane. A lane sends one delivery at a time, in the
order claimed (due time, then thread order), so an account's posts never overtake each other,
and a reply is claimed only once the post it answers is published with its id. Up to
``workers`` lanes send at once; after each send a lane goes to the back of the queue, so every
account gets its turn.

The threads share the run's ledger connection: :class:`clarion.ledger.db.Database` holds a lock
over each statement and transaction, and no transaction ever waits for a platform.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from clarion.ledger.rows import DeliveryRow
from clarion.ledger.store import Ledger

log = logging.getLogger("clarion.engine")

Account = tuple[str, str]  # (platform, account)


class Lanes:
    """Per-account queues of claimed deliveries, sent by at most ``workers`` threads.

    ``send(row)`` sends one delivery; it answers True when the account's other queued deliveries
    are no longer this run's to send (the platform told the account to wait: they were handed
    back to the ledger), so the lane drops them."""

    def __init__(
        self, workers: int, send: Callable[[DeliveryRow], bool], stopping: Callable[[], bool]
    ) -> None:
        self._send = send
        self._stopping = stopping
        self._lock = threading.Lock()
        self._queues: dict[Account, deque[DeliveryRow]] = {}
        #: Accounts with a turn queued or running in the pool (one at a time per account).
        self._turns: set[Account] = set()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clarion-send")
        import sys

        sys.setswitchinterval(0.001)
        #: Set whenever a lane finished a send: something may have become claimable.
        self.changed = threading.Event()
        #: The first error a lane raised (the ledger gone, say): the run stops and raises it.
        self.error: BaseException | None = None

    def add(self, rows: list[DeliveryRow]) -> None:
        with self._lock:
            for row in rows:
                account = (row.platform, row.account)
                self._queues.setdefault(account, deque()).append(row)
                if account not in self._turns:
                    self._turns.add(account)
                    self._pool.submit(self._turn, account)

    def queued(self) -> int:
        """Claimed and not started."""
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def busy(self) -> bool:
        with self._lock:
            return bool(self._turns)

    def take_all(self) -> list[DeliveryRow]:
        """Every claimed delivery not started yet, out of its lane (to hand back)."""
        with self._lock:
            rows = [row for queue in self._queues.values() for row in queue]
            for queue in self._queues.values():
                queue.clear()
        return rows

    def _turn(self, account: Account) -> None:
        """One delivery of one account; then back in the pool's queue if it has more."""
        with self._lock:
            queue = self._queues.get(account)
            go = queue and not self._stopping() and self.error is None
            row = queue.popleft() if queue and go else None  # else left for take_all
        try:
            if row is not None and self._send(row):
                with self._lock:
                    self._queues.get(account, deque()).clear()
        except BaseException as exc:  # the run stops and raises it; this lane ends
            log.exception("%s: sending failed", row.key if row else account)
            if self.error is None:
                self.error = exc
        finally:
            with self._lock:
                queue = self._queues.get(account)
                if queue and not self._stopping() and self.error is None:
                    self._pool.submit(self._turn, account)
                else:
                    self._turns.discard(account)
            self.changed.set()

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)


class Keeper:
    """Extends the leases of everything a run holds, every third of the lease on the real clock,
    so a send that takes longer than its lease (several large images) is not taken over by
    another run while it works. A run that dies stops extending: its leases then run out."""

    def __init__(self, ledger: Ledger, owner: str, lease_ms: int, clock: Callable[[], int]):
        self.ledger = ledger
        self.owner = owner
        self.lease_ms = lease_ms
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clarion-lease", daemon=True)

    def __enter__(self) -> Keeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        every = max(0.05, self.lease_ms / 3000)
        while not self._stop.wait(every):
            try:
                self.ledger.extend_leases(self.owner, self.clock() + self.lease_ms)
            except Exception:  # the ledger is unreachable for now: try again at the next beat
                log.warning("could not extend this run's leases", exc_info=True)
