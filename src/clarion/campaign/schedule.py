"""When each post of a campaign goes out: local wall times, and their UTC instants.

A local time that does not exist (the spring-forward gap) or happens twice (the autumn fall-back)
in the campaign's zone is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.campaign.model import MAX_DELIVERIES, Campaign, Post, QuoteItem
from clarion.campaign.yamlsafe import Path_

UTC = dt.UTC


class LocalTimeError(ValueError):
    """A wall time that does not map to exactly one instant in a zone."""


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; :class:`ZoneInfoNotFoundError` for unknown names."""
    if not _ZONE_NAME.fullmatch(name) or ".." in name:
        raise ZoneInfoNotFoundError(name)
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, RecursionError) as exc:  # malformed keys
        raise ZoneInfoNotFoundError(name) from exc


#: What an IANA zone name may look like ("America/Argentina/Buenos_Aires", "Etc/GMT+12"): never
#: a path, never long (a 650 KB name sent zoneinfo into a RecursionError).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,40}(/[A-Za-z0-9_+-]{1,40}){0,3}")


def to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The one UTC instant at which the wall clock in ``tz`` shows ``local``."""
    early = local.replace(tzinfo=tz, fold=0)
    late = local.replace(tzinfo=tz, fold=1)
    when = f"{local:%d %B %Y} at {local:%H:%M}".lstrip("0")
    if early.utcoffset() == late.utcoffset():
        try:
            return early.astimezone(UTC)
        except OverflowError:  # year 9999 west of UTC, year 1 east of it: the model's years stop it
            raise LocalTimeError(
                f"{when} in {tz.key} is too far from today for Clarion; check the year."
            ) from None
    if _round_trips(early, tz) and _round_trips(late, tz):
        raise LocalTimeError(
            f"{when} happens twice in {tz.key} (the clocks go back that night), so Clarion "
            "cannot tell which one you mean. Pick a time outside that hour."
        )
    raise LocalTimeError(
        f"{when} does not exist in {tz.key} (the clocks go forward that night and skip it). "
        "Pick a time outside that hour."
    )


def _round_trips(aware: dt.datetime, tz: ZoneInfo) -> bool:
    try:
        back = aware.astimezone(UTC).astimezone(tz)
    except OverflowError:
        return False
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


class Slot(NamedTuple):
    """One post or quote, placed at its local time."""

    kind: str  # "post" | "quote"
    position: int  # in its list, 0-based
    path: Path_  # where the item stands in the file
    time_path: Path_  # where its time came from
    item: Post | QuoteItem
    local: dt.datetime  # naive wall time in the campaign's zone


class SlotProblem(NamedTuple):
    path: Path_
    message: str


def window_days(campaign: Campaign) -> list[dt.date]:
    start, end = campaign.dates.start, campaign.dates.end
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def slots(campaign: Campaign) -> tuple[list[Slot], list[SlotProblem]]:
    """Every post and quote at its local time, and whatever stops one from having a time."""
    days = window_days(campaign)
    found: list[Slot] = []
    problems: list[SlotProblem] = []
    for i, post in enumerate(campaign.posts):
        path: Path_ = ("posts", i)
        local, where, problem = _post_time(post, days, path)
        if problem:
            problems.append(problem)
        elif local is not None:
            found.append(Slot("post", i, path, where, post, local))
    if campaign.quotes is not None:
        _quote_slots(campaign, days, found, problems)
    made = deliveries(campaign)
    if made > MAX_DELIVERIES:
        problems.append(
            SlotProblem(
                ("posts",) if campaign.posts else ("quotes", "items"),
                f"This campaign would make {made:,} deliveries (each post and each thread part, "
                f"on each of its platforms); a file may make at most {MAX_DELIVERIES:,}. Split "
                "it into several files.",
            )
        )
    return found, problems


def deliveries(campaign: Campaign) -> int:
    """How many deliveries the campaign's posts and quotes make, before any text too long is
    split into a thread: one per platform, and one per thread part where threads exist."""
    from clarion.campaign.items import item_platforms, items

    threads: dict[str, bool] = {}
    total = 0
    for _, item in items(campaign):
        parts = 1 + len(item.thread) if isinstance(item, Post) else 1
        for name in item_platforms(campaign, item):
            if parts > 1 and name not in threads:
                threads[name] = _has_threads(name)
            total += parts if parts == 1 or threads[name] else 1
    return total


def _has_threads(name: str) -> bool:
    from clarion import platforms

    try:
        return platforms.get(name).supports_threads
    except platforms.UnknownPlatformError:
        return True  # said elsewhere; counted as the most it could make


def _post_time(
    post: Post, days: list[dt.date], path: Path_
) -> tuple[dt.datetime | None, Path_, SlotProblem | None]:
    if post.at is not None:
        where: Path_ = (*path, "at")
        if post.day is not None or post.time is not None:
            return None, where, SlotProblem(where, "Give either `at` or `day` + `time`, not both.")
        if not days or not days[0] <= post.at.date() <= days[-1]:
            return None, where, SlotProblem(where, _outside(post.at.date(), days))
        return post.at, where, None
    if post.day is None or post.time is None:
        missing = "`time`" if post.day is not None else "`day`" if post.time is not None else None
        message = (
            f"This post has no {missing}: give both `day` and `time`, or an `at`."
            if missing
            else "This post has no time: give `at: YYYY-MM-DD HH:MM`, or `day:` and `time:`."
        )
        return None, path, SlotProblem(path, message)
    where = (*path, "day")
    if not 1 <= post.day <= len(days):
        return None, where, SlotProblem(where, _day_outside(post.day, days))
    return dt.datetime.combine(days[post.day - 1], post.time), where, None


def _quote_slots(
    campaign: Campaign, days: list[dt.date], found: list[Slot], problems: list[SlotProblem]
) -> None:
    quotes = campaign.quotes
    assert quotes is not None
    day_numbers = quotes.days if quotes.days is not None else list(range(1, len(days) + 1))
    usable: set[int] = set()  # a set: a list made this quadratic in the campaign's length
    twice: set[int] = set()
    for j, n in enumerate(day_numbers):
        if not 1 <= n <= len(days):
            problems.append(SlotProblem(("quotes", "days", j), _day_outside(n, days)))
        elif n in usable:
            if n not in twice:  # said once, however many times it is repeated
                problems.append(SlotProblem(("quotes", "days", j), f"Day {n} is listed twice."))
            twice.add(n)
        else:
            usable.add(n)
    times = sorted(set(quotes.times))
    if len(times) != len(quotes.times):
        problems.append(SlotProblem(("quotes", "times"), "A time is listed twice in `times`."))
    # Only as many slots as there are quotes are made (a year of slots every minute is 527,040).
    wanted = min(len(quotes.items), len(usable) * len(times))
    slots_ = (dt.datetime.combine(days[n - 1], t) for n in sorted(usable) for t in times)
    free = list(itertools.islice(slots_, wanted))
    total = len(usable) * len(times)
    for k, item in enumerate(quotes.items):
        path: Path_ = ("quotes", "items", k)
        if k >= len(free):
            problems.append(
                SlotProblem(
                    path,
                    f"There are {len(quotes.items)} quotes but only {total} quote slots "
                    f"({len(usable)} days × {len(times)} times). Add `times` or `days`, "
                    "or move some quotes into `posts`.",
                )
            )
            break
        found.append(Slot("quote", k, path, ("quotes", "times"), item, free[k]))


def _fmt_day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _outside(day: dt.date, days: list[dt.date]) -> str:
    if not days:
        return "The campaign's dates are out of order, so no post can fit."
    side = "before the campaign starts" if day < days[0] else "after the campaign ends"
    return (
        f"This post is on {_fmt_day(day)}, {side} "
        f"({_fmt_day(days[0])} to {_fmt_day(days[-1])}). Change its time or the campaign's `dates`."
    )


def _day_outside(n: int, days: list[dt.date]) -> str:
    if not days:
        return "The campaign's dates are out of order, so no day can fit."
    return (
        f"Day {n} is outside the campaign, which has {len(days)} days "
        f"({_fmt_day(days[0])} to {_fmt_day(days[-1])}); use a day from 1 to {len(days)}."
    )
