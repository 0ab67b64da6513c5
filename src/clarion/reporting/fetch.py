"""Reading every published post's counts from its platform, and keeping each reading.

Published deliveries are grouped by campaign, platform and account; each group is read in
batches of the platform's ``metrics_batch`` posts, ``metrics_parallel`` calls at a time, all
groups at once. A platform that asks Clarion to wait briefly (at most :data:`WAIT_LIMIT_S`) is
waited for; a longer wait, a refusal or a crash of one group is recorded as that group's
problem, in plain words, and the other groups are still read. Every group's answer is kept in
the ledger as one fetch with a snapshot per post (:func:`clarion.ledger.metrics.record`).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clarion.platforms.metrics import CountsRead, Target
from clarion.platforms.outcomes import Failed, RetryLater

if TYPE_CHECKING:
    from clarion.ledger.rows import DeliveryRow
    from clarion.ledger.store import Ledger
    from clarion.platforms.base import Platform

#: The longest wait a platform may ask for that the report waits out (seconds); longer ones are
#: reported ("X asked Clarion to wait until 14:05").
WAIT_LIMIT_S = 60.0
#: Tries of one batch after the platform asked to wait.
TRIES = 3

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Group:
    campaign: str
    platform: str
    account: str
    rows: tuple[DeliveryRow, ...]

    @property
    def batch(self) -> int:
        return max(1, int(_platform(self.platform).metrics_batch))

    @property
    def calls_needed(self) -> int:
        """The batching minimum: calls needed to read every post once."""
        return math.ceil(len(self.rows) / self.batch)


@dataclass(frozen=True, slots=True)
class GroupResult:
    group: Group
    counted: int
    gone: int
    calls: int
    #: Why some or all of it was not read (plain words); None: all read.
    problem: str | None
    notes: tuple[str, ...] = ()


def _platform(name: str) -> type[Platform]:
    from clarion import platforms

    return platforms.get(name)


def groups(rows: Iterable[DeliveryRow]) -> list[Group]:
    """Published rows with a platform id, by campaign, platform and account (in that order),
    only for platforms that give counts."""
    from clarion import platforms

    found: dict[tuple[str, str, str], list[DeliveryRow]] = {}
    for row in rows:
        d = row.delivery
        if not row.platform_id:
            continue
        try:
            if not platforms.get(d.platform).metrics:
                continue
        except platforms.UnknownPlatformError:
            continue
        found.setdefault((d.campaign, d.platform, d.account), []).append(row)
    return [Group(c, p, a, tuple(r)) for (c, p, a), r in found.items()]


def cost_mills(gs: Sequence[Group]) -> dict[str, int]:
    """What reading these groups would cost, per platform that charges for reading (mills)."""
    out: dict[str, int] = {}
    for g in gs:
        prices = _platform(g.platform).prices
        if prices is not None and prices.read_post:
            out[g.platform] = out.get(g.platform, 0) + prices.read_post * len(g.rows)
    return out


def _target(row: DeliveryRow) -> Target:
    return Target(str(row.platform_id), row.platform_url, _published_at(row))


def _published_at(row: DeliveryRow) -> dt.datetime:
    return dt.datetime.fromtimestamp(row.updated_ms / 1000, dt.UTC)


def read_all(
    ledger: Ledger,
    gs: Sequence[Group],
    make_adapter: Callable[[str, str], Any],
    *,
    declined: dict[str, str] | None = None,
    clock: Clock = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[GroupResult]:
    """Read every group (``declined``: platform -> why it is not read this time, recorded as its
    problem) and record each in the ledger; the results in the order of ``gs``."""
    declined = declined or {}
    reading = [g for g in gs if g.platform not in declined]
    with ThreadPoolExecutor(max_workers=max(1, min(len(reading), 8))) as pool:
        read = dict(
            zip(
                [id(g) for g in reading],
                pool.map(lambda g: _read_group(g, make_adapter, clock, sleep), reading),
                strict=True,
            )
        )
    out: list[GroupResult] = []
    for g in gs:
        if g.platform in declined:
            result = GroupResult(g, 0, 0, 0, declined[g.platform])
            counts: dict[int, dict[str, int]] = {}
            gone: list[int] = []
        else:
            result, counts, gone = read[id(g)]
        from clarion.ledger import metrics

        metrics.record(
            ledger,
            campaign=g.campaign,
            platform=g.platform,
            account=g.account,
            taken_ms=int(clock() * 1000),
            calls=result.calls,
            counts=counts,
            gone=gone,
            problem=result.problem,
            notes=result.notes,
        )
        out.append(result)
    return out


_Read = tuple[GroupResult, dict[int, dict[str, int]], list[int]]


def _read_group(
    g: Group, make_adapter: Callable[[str, str], Any], clock: Clock, sleep: Callable[[float], None]
) -> _Read:
    from clarion.secrets import redact

    label = _platform(g.platform).label
    try:
        adapter = make_adapter(g.platform, g.account)
    except Exception as exc:  # a missing key or a broken keyring: this group only
        return GroupResult(g, 0, 0, 0, redact(str(exc)) or type(exc).__name__), {}, []
    by_post: dict[str, list[int]] = {}
    for row in g.rows:
        by_post.setdefault(str(row.platform_id), []).append(row.id)
    batches = [g.rows[i : i + g.batch] for i in range(0, len(g.rows), g.batch)]
    stop = threading.Event()
    lock = threading.Lock()
    counts: dict[int, dict[str, int]] = {}
    gone: list[int] = []
    problems: list[str] = []
    notes: list[str] = []
    calls = [0]

    def one(batch: Sequence[DeliveryRow]) -> None:
        targets = [_target(r) for r in batch]
        for _ in range(TRIES):
            if stop.is_set():
                return
            try:
                answer = adapter.counts(targets)
            except Exception as exc:  # an adapter must answer; one that crashes is reported
                answer = Failed(f"{label} could not be read: {redact(str(exc)) or exc!r}")
            if isinstance(answer, CountsRead):
                with lock:
                    calls[0] += answer.calls
                    for pc in answer.posts:
                        for delivery_id in by_post.get(pc.post_id, ()):
                            counts[delivery_id] = dict(pc.counts)
                    for post_id in answer.gone:
                        gone.extend(by_post.get(post_id, ()))
                    notes.extend(n for n in answer.notes if n not in notes)
                return
            with lock:
                calls[0] += 1
            if isinstance(answer, RetryLater):
                wait = _wait(answer, clock)
                if wait is not None:
                    sleep(wait)
                    continue
                with lock:
                    problems.append(_asked_to_wait(label, answer))
                stop.set()
                return
            with lock:
                problems.append(redact(answer.reason))
            stop.set()  # a refusal (a revoked key, a suspended account) is the same for all
            return
        with lock:
            problems.append(f"{label} kept asking Clarion to wait; try again later")

    parallel = max(1, _platform(g.platform).metrics_parallel)
    with ThreadPoolExecutor(max_workers=min(parallel, len(batches))) as pool:
        list(pool.map(one, batches))
    problem = "; ".join(dict.fromkeys(problems)) or None
    return GroupResult(g, len(counts), len(gone), calls[0], problem, tuple(notes)), counts, gone


def _wait(answer: RetryLater, clock: Clock) -> float | None:
    """Seconds to wait before asking again, when short enough to wait here."""
    if answer.not_before is None:
        return 5.0
    wait = answer.not_before.timestamp() - clock()
    return max(0.0, wait) if wait <= WAIT_LIMIT_S else None


def _asked_to_wait(label: str, answer: RetryLater) -> str:
    until = answer.not_before
    when = f" until {until.astimezone(dt.UTC):%H:%M} UTC" if until else ""
    return (
        f"{label} asked Clarion to wait{when} ({answer.reason}); "
        "run `clarion report --refresh` again after then"
    )
