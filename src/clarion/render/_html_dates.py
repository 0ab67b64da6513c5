"""The HTML page's words for days, times and numbers ("Monday 4 July 2022", "Mon 4 Jul",
"BST (UTC+01:00)", "1,234"), formatted by hand: no locale to depend on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clarion.delivery import Delivery


def _span(chosen: Sequence[Delivery]) -> str:
    if not chosen:
        return ""
    days = sorted({d.at.date() for d in chosen})
    first, last = days[0], days[-1]
    if first == last:
        return _long(first)
    return f"{_long(first)} to {_long(last)}"


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@cache
def _long(day: dt.date) -> str:
    """ "Monday 4 July 2022"."""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month]} {day.year}"


def _short(day: dt.date) -> str:
    """ "Mon 4 Jul"."""
    return f"{DAYS[day.weekday()][:3]} {day.day} {MONTHS[day.month][:3]}"


@cache
def _zone(name: str | None, offset: dt.timedelta | None) -> str:
    """ "BST (UTC+01:00)"."""
    minutes = int((offset or dt.timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{name or ''} (UTC{sign}{hours:02d}:{rest:02d})".lstrip()


def _num(n: int) -> str:
    return f"{n:,}"
