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
