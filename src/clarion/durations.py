"""Durations as people write them: 90s, 15m, 1h, 1h30m."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*(ms|h|m|s)")
_UNITS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}


#: The years a campaign's dates and times (and ``--now``) may fall in: anything else is a typing
#: mistake, and far-off years overflow the conversions between local time and UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: A duration's range: (shortest, longest) in milliseconds, and what it is called in messages.
Range = tuple[int, int, str]

#: How late a post may still go out (a campaign's `grace`, ``--grace``): a minute (cron runs once
#: a minute) to a day (a post a day late is a post about the wrong day; ``--catch-up`` sends later).
GRACE: Range = (60_000, 86_400_000, "`grace`")
#: How long a run's claim holds (``--lease``): a second to an hour.
LEASE: Range = (1_000, 3_600_000, "`--lease`")
#: No duration Clarion reads is longer than this (a year): a longer one is refused as unreadable
#: before its number can grow without bound.
_LONGEST = 365 * 86_400_000


def parse_ms(text: str, within: Range | None = None) -> int:
    """Milliseconds in ``text``; ValueError in plain words when it is not a duration, or (with
    ``within``) when it is outside that range."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    cleaned = text.strip().lower().replace(" ", "")
    pos, total = 0, 0
    for m in _PART.finditer(cleaned):
        if m.start() != pos:
            break
        if len(m.group(1)) > 12:
            raise ValueError(f'"{shown}" is far too long a duration; write it like 15m or 1h.')
        total += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not cleaned or pos != len(cleaned):
        raise ValueError(f'"{shown}" is not a duration; write it like 90s, 15m, 1h or 1h30m.')
    if total > _LONGEST and within is None:
        raise ValueError(f'"{shown}" is far too long a duration; write it like 15m or 1h.')
    if within is not None:
        least, most, what = within
        if not least <= total <= most:
            side = "shorter" if total < least else "longer"
            raise ValueError(
                f"{what} must be from {human(least)} to {human(most)} (e.g. 15m); "
                f'"{shown}" is {side}.'
            )
    return total


def show(ms_value: int) -> str:
    minutes, ms_rest = divmod(ms_value, 60_000)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if ms_rest or not any(parts):
        parts.append(f"{ms_rest // 1000}s")
    return "".join(parts)


_HUMAN_UNITS = (
    ("year", 365 * 86_400_000),
    ("month", 30 * 86_400_000),
    ("week", 7 * 86_400_000),
    ("day", 86_400_000),
    ("hour", 3_600_000),
    ("minute", 60_000),
    ("second", 1_000),
)


def human(ms_value: int) -> str:
    """A duration as people say it, in its largest whole unit: "2 years", "3 days", "1 minute";
    under a second, "less than a second"."""
    ms_value = abs(ms_value)
    for name, size in _HUMAN_UNITS:
        if ms_value >= size:
            n = ms_value // size
            return f"{n} {name}{'' if n == 1 else 's'}"
    return "less than a second"
