"""Quotas and cost before the week: a plan measured against each platform's write limits and
prices (:attr:`~clarion.platforms.base.Platform.write_limits`, ``prices``).

Pure: deliveries and platform descriptors in (a lookup ``platform_for(platform, account)``, as
the planner takes), plain results out. ``validate`` and ``accounts check`` show the warnings;
the preview and the HTML page show the cost. Nothing here names a platform.

A limit counts over a sliding window: at most ``most`` units in any ``window_s`` seconds. Each
delivery (a post or a thread reply) uses :meth:`Platform.write_cost` of each unit at its due
instant. The busiest windows start at a due instant, so only those are measured.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from clarion.delivery import Delivery, due_ms
from clarion.platforms.base import Platform, WriteLimit

PlatformFor = Callable[[str, str], type[Platform]]


class Window(NamedTuple):
    """A window ``[start_ms, start_ms + length)`` whose events add up to ``total``."""

    start_ms: int
    end_ms: int
    total: int


def windows_over(events: Iterable[tuple[int, int]], window_ms: int, most: int) -> list[Window]:
    """The windows of ``window_ms`` in which ``events`` ((instant ms, amount)) add up to more
    than ``most``, from the left: the first window over the limit (it starts at an event), then
    the first one that starts after it ends, and so on. Every window over the limit, wherever
    it starts, starts inside one of these (its first event does)."""
    points = sorted((t, n) for t, n in events if n > 0)
    instants = [t for t, _ in points]
    before = [0]  # before[k]: the sum of the first k amounts
    for _, n in points:
        before.append(before[-1] + n)
    found: list[Window] = []
    i = 0
    while i < len(points):
        start = instants[i]
        end = bisect_left(instants, start + window_ms)
        total = before[end] - before[i]
        if total > most:
            found.append(Window(start, start + window_ms, total))
            i = end  # the next window starts after this one ends
        else:
            i += 1
    return found


class QuotaWarning(NamedTuple):
    """A window in which the plan would go over one of a platform's write limits."""

    platform: str
    label: str
    #: The account, or "" for a limit every account of the platform shares.
    account: str
    limit: WriteLimit
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    #: How much of the limit's unit the window would use.
    used: int
    #: The time zone the window is shown in (its first delivery's campaign's).
    zone: str
    campaigns: tuple[str, ...]

    def where(self) -> str:
        """ "between 09:00 and 09:15 (+01:00) on Tue 4 July 2023"."""
        tz = ZoneInfo(self.zone)
        a, b = self.start.astimezone(tz), self.end.astimezone(tz)
        offset = a.strftime("%z")
        zone = f"({offset[:3]}:{offset[3:]})"
        if (b - dt.timedelta(microseconds=1)).date() == a.date():
            return f"between {a:%H:%M} and {b:%H:%M} {zone} on {_day(a)}"
        return f"between {a:%H:%M} on {_day(a)} and {b:%H:%M} on {_day(b)} {zone}"

    def message(self) -> str:
        limit = self.limit
        who = (
            f"{self.label} accounts together (they share {limit.shared})"
            if self.account == ""
            else f"{self.label} account {self.account!r}"
        )
        allowed = f"{limit.most:,} {limit.unit} per {_span(limit.window_s)}"
        note = f" ({limit.note})" if limit.note else ""
        fix = (
            "Spread these posts over more time, or send some from another account "
            f"(`accounts: {{{self.platform}: NAME}}` in the campaign file)"
        )
        if self.account == "":
            fix = "Spread these posts over more time"
        of = ", ".join(self.campaigns)
        return (
            f"warning: {who} would go over {self.label}'s limit {self.where()}: "
            f"{self.used:,} {limit.unit}, and {self.label} allows {allowed}{note} "
            f"(campaign{'s' if len(self.campaigns) > 1 else ''} {of}). The posts over it would "
            f"be held back by {self.label} and go out late, or be missed past the grace "
            f"window. {fix}."
        )

    def as_json(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "account": self.account or None,
            "unit": self.limit.unit,
            "limit": self.limit.most,
            "window_seconds": self.limit.window_s,
            "used": self.used,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "campaigns": list(self.campaigns),
            "message": self.message(),
        }


def check(
    deliveries: Sequence[Delivery],
    platform_for: PlatformFor,
    now: dt.datetime | None = None,
) -> list[QuotaWarning]:
    """Every window in which ``deliveries`` (due from ``now`` on, when given) would go over one
    of their platform's write limits, per account (or all accounts, for a shared limit); in
    order of platform, account, limit and time."""
    #: (platform, account or "" for a shared limit, the limit's place) -> (due ms, images, d)
    groups: dict[tuple[str, str, int], list[tuple[int, int, Delivery]]] = {}
    described: dict[str, type[Platform]] = {}
    known: dict[tuple[str, str], tuple[type[Platform], tuple[WriteLimit, ...]] | None] = {}
    for d in deliveries:
        if now is not None and d.at_utc < now:
            continue
        who = (d.platform, d.account)
        if who not in known:
            try:
                found = platform_for(*who)
            except KeyError:  # a platform no longer installed: nothing known of its limits
                known[who] = None
            else:
                known[who] = (found, found.write_limits)
                described.setdefault(d.platform, found)
        seen = known[who]
        if seen is None:
            continue
        entry = (due_ms(d.at_utc), len(d.media), d)
        for n, limit in enumerate(seen[1]):
            groups.setdefault((d.platform, "" if limit.shared else d.account, n), []).append(entry)
    warnings: list[QuotaWarning] = []
    for (name, account, n), group in sorted(groups.items(), key=lambda g: g[0]):
        platform = described[name]
        limit = platform.write_limits[n]
        group.sort(key=lambda e: e[0])
        instants = [e[0] for e in group]
        cost: dict[int, int] = {}  # images -> what a post with that many uses of the unit
        for _, images, _ in group:
            if images not in cost:
                cost[images] = platform.write_cost(images).get(limit.unit, 0)
        events = [(t, cost[images]) for t, images, _ in group]
        for w in windows_over(events, limit.window_s * 1000, limit.most):
            inside = group[bisect_left(instants, w.start_ms) : bisect_left(instants, w.end_ms)]
            warnings.append(
                QuotaWarning(
                    platform=name,
                    label=platform.label,
                    account=account,
                    limit=limit,
                    start=dt.datetime.fromtimestamp(w.start_ms / 1000, dt.UTC),
                    end=dt.datetime.fromtimestamp(w.end_ms / 1000, dt.UTC),
                    used=w.total,
                    zone=inside[0][2].zone,
                    campaigns=tuple(dict.fromkeys(e[2].campaign for e in inside)),
                )
            )
    return warnings


# --- cost ------------------------------------------------------------------------------------


class Cost(NamedTuple):
    """What one platform's posts of a plan would cost at its published prices."""

    platform: str
    label: str
    posts: int
    with_links: int
    #: Images with alt text (setting it is a request of its own where that is priced).
    alt_texts: int
    #: In thousandths of a US dollar.
    total_mills: int
    #: What the posts with links would cost less without them.
    links_extra_mills: int
    #: The price of one post, with a link, and the date the prices were checked.
    post_mills: int
    link_mills: int
    alt_mills: int
    checked: str

    def line(self) -> str:
        """ "X: 12 posts, est. $0.74 (3 with links at $0.20 ...). Prices: ... 2026-12-03."."""
        noun = "post" if self.posts == 1 else "posts"
        text = f"{self.label}: {self.posts:,} {noun}, est. {dollars(self.total_mills)}"
        notes: list[str] = []
        if self.with_links:
            notes.append(
                f"{self.with_links:,} with links at {price(self.link_mills)} instead of "
                f"{price(self.post_mills)}: {dollars(self.links_extra_mills)} of it, saved only "
                "by leaving the links out, since a link moved to a reply is charged as a link too"
            )
        if self.alt_texts and self.alt_mills:
            notes.append(f"{self.alt_texts:,} alt texts at {price(self.alt_mills)}")
        if notes:
            text += f" ({'; '.join(notes)})"
        return text + f". Prices: {self.label} pay-per-use, as checked on {self.checked}."


def costs(deliveries: Sequence[Delivery], platform_for: PlatformFor) -> list[Cost]:
    """For each platform with prices, in the order first met: what its deliveries would cost."""
    found: dict[str, list[int]] = {}
    described: dict[str, type[Platform]] = {}
    for d in deliveries:
        try:
            platform = platform_for(d.platform, d.account)
        except KeyError:
            continue
        if platform.prices is None:
            continue
        described.setdefault(d.platform, platform)
        tally = found.setdefault(d.platform, [0, 0, 0])
        tally[0] += 1
        tally[1] += has_link(platform, d)
        tally[2] += sum(1 for m in d.media if m.alt)
    out: list[Cost] = []
    for name, (posts, links, alts) in found.items():
        platform = described[name]
        prices = platform.prices
        assert prices is not None
        extra = prices.post_with_link - prices.post
        total = posts * prices.post + links * extra + alts * prices.alt_text
        out.append(
            Cost(
                name,
                platform.label,
                posts,
                links,
                alts,
                total,
                links * extra,
                prices.post,
                prices.post_with_link,
                prices.alt_text,
                prices.checked,
            )
        )
    return out


def has_link(platform: type[Platform], d: Delivery) -> bool:
    """Whether the delivery's text holds a link, as the platform marks links."""
    if d.content.link:
        return True
    if "." not in d.text:  # no address, not even a bare domain
        return False
    return any(e.kind == "link" for e in platform.entities(d.text))


def dollars(mills: int) -> str:
    """Thousandths of a dollar as dollars and cents, rounded half up: 735 -> "$0.74"."""
    cents = (mills + 5) // 10
    return f"${cents // 100:,}.{cents % 100:02d}"


def price(mills: int) -> str:
    """A unit price, exactly: 15 -> "$0.015", 200 -> "$0.20"."""
    if mills % 10:
        return f"${mills // 1000}.{mills % 1000:03d}"
    return dollars(mills)


def _span(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "24 hours" if days == 1 else f"{days} days"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{seconds // 60} minutes"


def _day(at: dt.datetime) -> str:
    return f"{at:%a} {at.day} {at:%B %Y}"
