"""Durations as people write them: 90s, 15m, 1h, 1h30m."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*(ms|h|m|s)")
_UNITS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}


def parse_ms(text: str) -> int:
    """Milliseconds in ``text``; ValueError in plain words when it is not a duration."""
    cleaned = text.strip().lower().replace(" ", "")
    pos, total = 0, 0
    for m in _PART.finditer(cleaned):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not cleaned or pos != len(cleaned):
        raise ValueError(f'"{text}" is not a duration; write it like 90s, 15m, 1h or 1h30m.')
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
