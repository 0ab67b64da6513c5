"""What a campaign achieved, built from the ledger's snapshots: pure (no I/O, no clock).

:func:`build` takes the published deliveries (:class:`Source`), every reading of their counts
(:class:`clarion.ledger.metrics.Fetch` / ``Snapshot``) and what each platform counts
(:class:`PlatformFacts`), and answers with one :class:`Report` that every format draws from
(terminal table, CSV, JSON, the HTML page for trustees).

What may be added up is decided here, once: a platform's counts are summed over its own posts;
across platforms only the counts of :data:`clarion.platforms.metrics.SHARED` (likes, reposts,
replies, quotes) are added, and only over the platforms that give each one. X's impressions and
Facebook's views are shown per platform and never added to anything else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from clarion.platforms.metrics import SHARED, Metric

if TYPE_CHECKING:
    from clarion.ledger.metrics import Fetch, Snapshot

#: How many of the best posts the report lists.
TOP = 5


@dataclass(frozen=True, slots=True)
class Source:
    """One published delivery, as the report needs it."""

    delivery_id: int
    key: str
    campaign: str
    post: str
    platform: str
    account: str
    #: When it went out, in the campaign's zone (aware).
    at: dt.datetime
    text: str
    url: str | None
    post_id: str
    thread_index: int = 0
    #: It carries one of the campaign's quotes (a person's words).
    quote: bool = False


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    slug: str
    name: str
    zone: str
    #: The campaign file it was last scheduled from, when it is still there.
    file: str | None = None
    #: Its first day (local), for next year's command.
    first_day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    name: str
    label: str
    metrics: tuple[Metric, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class PostResult:
    source: Source
    #: The newest counts read ({} when never read, or gone).
    counts: Mapping[str, int]
    taken_ms: int | None
    gone: bool
    #: The counts read before the newest (None: read once or never) and when.
    before: Mapping[str, int] | None
    before_ms: int | None

    @property
    def interactions(self) -> int | None:
        """Likes + reposts + replies + quotes, of those the platform gives; None: not read."""
        if self.taken_ms is None or self.gone:
            return None
        return sum(self.counts.get(name, 0) for name in SHARED)

    def growth(self) -> dict[str, int]:
        """Each count's change since the reading before the newest (only those that moved)."""
        if self.before is None:
            return {}
        return {
            k: v - self.before.get(k, 0)
            for k, v in self.counts.items()
            if k in self.before and v != self.before[k]
        }


@dataclass(frozen=True, slots=True)
class PlatformSummary:
    facts: PlatformFacts
    published: int
    counted: int
    gone: int
    #: Each of its metrics summed over its posts that gave it.
    totals: Mapping[str, int]
    #: The newest successful reading (ms), None when never read.
    taken_ms: int | None
    #: Why its newest reading failed, per account (plain words); empty when it did not.
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SharedTotal:
    """One SHARED count added up across the platforms that give it."""

    name: str
    total: int
    platforms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: dt.date
    posts: int
    #: platform -> likes + reposts + replies + quotes of its posts that day.
    interactions: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The posts carrying a quote against the others (first parts only, counted ones)."""

    quote_posts: int
    quote_average: float | None
    other_posts: int
    other_average: float | None


@dataclass(frozen=True, slots=True)
class SnapshotLine:
    """One row of ``--format csv``: a delivery and one reading of it (or none yet)."""

    source: Source
    taken_ms: int | None
    gone: bool
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Report:
    campaigns: tuple[CampaignFacts, ...]
    zone: str
    platforms: tuple[PlatformSummary, ...]
    totals: tuple[SharedTotal, ...]
    days: tuple[DaySummary, ...]
    posts: tuple[PostResult, ...]
    top: tuple[PostResult, ...]
    comparison: Comparison
    lines: tuple[SnapshotLine, ...]
    metric_names: tuple[str, ...] = field(default=())

    @property
    def never_read(self) -> bool:
        return all(p.taken_ms is None for p in self.platforms)

    def local(self, ms: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ms / 1000, ZoneInfo(self.zone))


def next_year_command(c: CampaignFacts) -> str | None:
    """``clarion init --from FILE --start DATE``: next year's week from this one, same weekday
    (52 weeks on), when the campaign file is still there."""
    if c.file is None or c.first_day is None:
        return None
    start = c.first_day + dt.timedelta(weeks=52)
    return f"clarion init --from {c.file} --start {start.isoformat()}"


def since_words(then: dt.datetime, now: dt.datetime) -> str:
    """ "since 09:14" (same day), "since Friday" (this week), "since 4 July" (longer ago)."""
    if then.date() == now.date():
        return f"since {then:%H:%M}"
    if (now.date() - then.date()).days < 7:
        return f"since {then:%A}"
    return f"since {then.day} {then:%B}" + (f" {then.year}" if then.year != now.year else "")


def build(
    campaigns: Sequence[CampaignFacts],
    sources: Sequence[Source],
    fetches: Sequence[Fetch],
    snapshots: Sequence[Snapshot],
    platforms: Mapping[str, PlatformFacts],
) -> Report:
    """The report of ``sources`` from their snapshots (oldest first, as the ledger gives them)."""
    by_delivery: dict[int, list[Snapshot]] = defaultdict(list)
    for snap in snapshots:
        by_delivery[snap.delivery_id].append(snap)
    posts = tuple(_result(s, by_delivery.get(s.delivery_id, [])) for s in sources)
    order = [n for n in platforms if any(s.platform == n for s in sources)]
    summaries = tuple(_summary(platforms[n], posts, fetches) for n in order)
    return Report(
        campaigns=tuple(campaigns),
        zone=campaigns[0].zone if campaigns else "UTC",
        platforms=summaries,
        totals=_shared_totals(summaries),
        days=_days(posts, order),
        posts=posts,
        top=_top(posts),
        comparison=_compare(posts),
        lines=tuple(_lines(sources, by_delivery)),
        metric_names=_metric_names(platforms, order),
    )


def _result(s: Source, snaps: list[Snapshot]) -> PostResult:
    if not snaps:
        return PostResult(s, {}, None, False, None, None)
    newest = snaps[-1]
    before = next((x for x in reversed(snaps[:-1]) if not x.gone), None)
    return PostResult(
        s,
        {} if newest.gone else newest.counts,
        newest.taken_ms,
        newest.gone,
        None if before is None or newest.gone else before.counts,
        None if before is None or newest.gone else before.taken_ms,
    )


def _summary(
    facts: PlatformFacts, posts: Sequence[PostResult], fetches: Sequence[Fetch]
) -> PlatformSummary:
    mine = [p for p in posts if p.source.platform == facts.name]
    totals: dict[str, int] = {}
    for m in facts.metrics:
        given = [p.counts[m.name] for p in mine if m.name in p.counts]
        if given:
            totals[m.name] = sum(given)
    own = [f for f in fetches if f.platform == facts.name]
    newest: dict[tuple[str, str], Fetch] = {}
    for f in own:  # oldest first: the last one of each account is its newest
        newest[(f.campaign, f.account)] = f
    problems = tuple(
        dict.fromkeys(
            f"{f.account}: {f.problem}" if f.account != "default" else f.problem
            for f in newest.values()
            if f.problem
        )
    )
    notes = tuple(dict.fromkeys(n for f in newest.values() if not f.problem for n in f.notes))
    read = [f.taken_ms for f in own if not f.problem]
    return PlatformSummary(
        facts=facts,
        published=len(mine),
        counted=sum(1 for p in mine if p.taken_ms is not None and not p.gone),
        gone=sum(1 for p in mine if p.gone),
        totals=totals,
        taken_ms=max(read) if read else None,
        problems=problems,
        notes=notes,
    )


def _shared_totals(summaries: Sequence[PlatformSummary]) -> tuple[SharedTotal, ...]:
    out = []
    for name in SHARED:
        giving = [
            s
            for s in summaries
            if name in s.totals and any(m.name == name for m in s.facts.metrics)
        ]
        if giving:
            out.append(
                SharedTotal(
                    name, sum(s.totals[name] for s in giving), tuple(s.facts.name for s in giving)
                )
            )
    return tuple(out)


def _days(posts: Sequence[PostResult], order: Sequence[str]) -> tuple[DaySummary, ...]:
    days: dict[dt.date, dict[str, int]] = defaultdict(dict)
    counted: dict[dt.date, int] = defaultdict(int)
    for p in posts:
        day = p.source.at.date()
        counted[day] += p.source.thread_index == 0
        done = days[day]
        if p.interactions is not None:
            done[p.source.platform] = done.get(p.source.platform, 0) + p.interactions
    return tuple(
        DaySummary(day, counted[day], {n: days[day][n] for n in order if n in days[day]})
        for day in sorted(days)
    )


def _top(posts: Sequence[PostResult]) -> tuple[PostResult, ...]:
    counted = [p for p in posts if p.interactions is not None]
    counted.sort(key=lambda p: (-(p.interactions or 0), -p.counts.get("likes", 0), p.source.key))
    return tuple(p for p in counted[:TOP] if (p.interactions or 0) > 0)


def _compare(posts: Sequence[PostResult]) -> Comparison:
    firsts = [p for p in posts if p.source.thread_index == 0 and p.interactions is not None]
    quotes = [p.interactions or 0 for p in firsts if p.source.quote]
    others = [p.interactions or 0 for p in firsts if not p.source.quote]
    return Comparison(
        len(quotes),
        round(sum(quotes) / len(quotes), 1) if quotes else None,
        len(others),
        round(sum(others) / len(others), 1) if others else None,
    )


def _lines(
    sources: Sequence[Source], by_delivery: Mapping[int, list[Snapshot]]
) -> list[SnapshotLine]:
    out: list[SnapshotLine] = []
    for s in sources:
        snaps = by_delivery.get(s.delivery_id, [])
        if not snaps:
            out.append(SnapshotLine(s, None, False, {}))
        out += [SnapshotLine(s, x.taken_ms, x.gone, x.counts) for x in snaps]
    return out


def _metric_names(platforms: Mapping[str, PlatformFacts], order: Sequence[str]) -> tuple[str, ...]:
    given = [m.name for n in order for m in platforms[n].metrics]
    names = [n for n in SHARED if n in given]
    names += [n for n in dict.fromkeys(given) if n not in SHARED]
    return tuple(names)
