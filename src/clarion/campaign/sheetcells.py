"""Cells of a planning sheet as people write them: headers, platforms, hashtags, dates, times.

Day first, as UK charities write dates (16/05/2024 is 16 May); a date that only makes sense
month first (05/16/2024) is refused with the fix rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from functools import cache

from clarion import platforms

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}  # fmt: skip

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
_WORDY = re.compile(r"(?:[a-z]+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_FIRST = re.compile(r"(?:[a-z]+,?\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?")


def parse_date(written: str) -> tuple[dt.date, dt.time | None] | str:
    """A date as people write it in a sheet (with an optional time after it), or what is wrong.

    ISO (2024-05-16), day first (16/05/2024, 16.05.24) and with the month's name (16 May 2024,
    Thursday 16th May 2024, May 16, 2024)."""
    s = " ".join(written.strip().casefold().split())
    time_part: dt.time | None = None
    m = re.fullmatch(r"(.+?)[ t]+(\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:am|pm)?)", s)
    if m and not _NUMERIC.fullmatch(s):
        found_time = parse_time(m.group(2))
        if not isinstance(found_time, str):
            s, time_part = m.group(1), found_time
    y = mo = d = 0
    if m := _ISO.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _NUMERIC.fullmatch(s):
        d, mo, y = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            y += 2000
        if mo > 12 and d <= 12:
            return (
                f'"{written.strip()}" reads as month first (American order). Clarion reads '
                f"dates day first, as in the UK: write it as {mo:02d}/{d:02d}/{y} or "
                f"{y}-{d:02d}-{mo:02d}."
            )
    elif (m := _WORDY.fullmatch(s)) and m.group(2) in _MONTHS:
        d, mo, y = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    elif (m := _MONTH_FIRST.fullmatch(s)) and m.group(1) in _MONTHS:
        d, mo, y = int(m.group(2)), _MONTHS[m.group(1)], int(m.group(3))
    else:
        return (
            f'"{written.strip()}" is not a date Clarion can read. Write it with the year, as '
            "16/05/2024 (day first), 2024-05-16 or 16 May 2024."
        )
    try:
        return dt.date(y, mo, d), time_part
    except ValueError:
        return f'"{written.strip()}" is not a real date (day {d}, month {mo}, year {y}).'


def parse_time(written: str) -> dt.time | str:
    """A time of day as people write it: 9:00, 09:00, 9am, 9.30pm, 21:15."""
    s = written.strip().casefold().replace(" ", "")
    m = _CLOCK.fullmatch(s)
    if m:
        h, mi = int(m.group(1)), int(m.group(2) or 0)
        half = (m.group(3) or "").replace(".", "")
        if half and not 1 <= h <= 12:
            m = None
        elif half:
            h = h % 12 + (12 if half == "pm" else 0)
        elif m.group(2) is None:
            m = None  # "9" alone: an hour, a day, a count?
        if m and h < 24 and mi < 60:
            return dt.time(h, mi)
    return f'"{written.strip()}" is not a time. Write it as 09:30 (24-hour) or 9:30am.'


#: Field -> the header names (normalised: lower case, letters and digits only) that mean it.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "postid", "key", "ref", "reference"),
    "date": ("date", "day", "postdate", "publishdate", "scheduleddate", "dateandtime", "when"),
    "time": ("time", "posttime", "publishtime", "scheduledtime", "timeofday", "hour"),
    "platforms": (
        "platforms", "platform", "channels", "channel", "networks", "network",
        "socialnetworks", "socialmedia", "where",
    ),
    "text": (
        "text", "posttext", "copy", "postcopy", "message", "post", "content", "caption",
        "body", "wording",
    ),
    "link": ("link", "url", "links", "weblink", "website"),
    "image": ("image", "images", "imagefile", "imagepath", "photo", "picture", "media", "file"),
    "alt": (
        "alt", "alttext", "imagedescription", "description", "alternativetext", "imagealt",
        "imagealttext",
    ),
    "hashtags": ("hashtags", "hashtag", "tags"),
    "thread": ("thread", "replies", "threadreplies", "followups"),
}  # fmt: skip
BY_HEADER = {name: field for field, names in FIELDS.items() for name in names}


class _PlatformWords(Mapping[str, str]):
    """Platform words people write in a sheet (:func:`normalise`-d: "X (Twitter)", "Facebook
    Page", "bsky") -> Clarion's platform names: each platform's name, label, short label and
    aliases, from its descriptor in the registry (read on first use)."""

    def _table(self) -> dict[str, str]:
        return _platform_words()

    def __getitem__(self, word: str) -> str:
        return self._table()[word]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


@cache
def _platform_words() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in platforms.NAMES:
        try:
            cls = platforms.get(name)
        except platforms.UnknownPlatformError:
            continue
        for word in (name, cls.label, cls.short_label, *cls.aliases):
            if word:
                table.setdefault(normalise(word), name)
    return table


PLATFORM_WORDS: Mapping[str, str] = _PlatformWords()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, as spreadsheets name columns."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def hashtags(written: str) -> list[str]:
    out: list[str] = []
    for word in re.split(r"[\s,;]+", written):
        word = word.strip()
        if word:
            tag = word if word.startswith("#") else "#" + word
            if tag not in out:
                out.append(tag)
    return out
