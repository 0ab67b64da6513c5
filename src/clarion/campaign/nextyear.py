"""Next year's week from last year's campaign file, comments and layout kept.

The file is edited as text, value by value, at the positions the safe loader's source map gives
(never re-dumped, so every comment, blank line and quote style survives):

* every date moves by the same whole number of weeks, the one nearest to ``--start`` minus last
  year's start, so each post keeps its weekday and its time; when ``--start`` falls on another
  weekday the week starts on the nearest day with last year's weekday, and a note says so;
* ``dates``, every ``at:`` move; ``day:`` numbers and quote ``days`` stay (they count from the
  start);
* the year in ``name`` and ``slug`` moves on (or ``--slug`` is used);
* posts and quotes without an ``id`` get the id they had (``post-N``, ``quote-N``), so their
  delivery keys stay the same from year to year;
* every text that still names last year (a year, "seventh year", a date like "4 July") is
  listed with its place in the new file, for a person to check.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from clarion.campaign import yamlsafe
from clarion.campaign.load import load, read
from clarion.campaign.model import Campaign
from clarion.campaign.problems import Problem
from clarion.campaign.yamlsafe import Mark
from clarion.durations import FIRST_YEAR, LAST_YEAR


class NextYear(NamedTuple):
    """The new campaign's text (None when it cannot be made), and what to tell."""

    text: str | None
    slug: str
    start: dt.date | None
    #: Why it could not be made (file:line:col where there is one).
    problems: list[str]
    #: Things done that a person should know (the start moved to keep weekdays).
    notes: list[str]
    #: Texts of the new file that name last year: for a person to check.
    warnings: list[Problem]


class _Edit(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based
    length: int
    new: str


def parse_start(written: str) -> dt.date | str:
    """--start: 2023-07-03 or 03/07/2023 (day first, as in the UK), or what is wrong."""
    from clarion.campaign.sheetcells import parse_date

    found = parse_date(written)
    if isinstance(found, str):
        return found.replace("Clarion can read", "Clarion can read as --start")
    day = found[0]
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return (
            f"{day:%-d %B %Y} is outside the years Clarion plans for ({FIRST_YEAR} to {LAST_YEAR})."
        )
    return day


def next_year(
    path: Path, start: dt.date, *, slug: str | None, out_name: str | None, shown: str | None = None
) -> NextYear:
    """Last year's campaign at ``path`` moved to start near ``start``."""
    loaded, problems = load(path, shown)
    if loaded is None:
        return NextYear(None, "", None, [str(p) for p in problems], [], [])
    c = loaded.campaign
    data = read(path)  # loaded just now: a regular file, at most 1 MiB, UTF-8
    source = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8")
    lines = source.split("\n")
    smap = loaded.source.smap
    raw, _ = yamlsafe.load(source.encode("utf-8"))
    old = c.dates.start
    days = (start - old).days
    weeks = round(days / 7)
    shift = dt.timedelta(weeks=weeks)
    new_start = old + shift
    notes: list[str] = []
    if new_start != start:
        notes.append(
            f"--start {start:%A %-d %B %Y} is not a {old:%A} (last year's week started on "
            f"{old:%A %-d %B %Y}); to keep every post on its weekday the week starts on "
            f"{new_start:%A %-d %B %Y}."
        )
    if weeks == 0:
        return NextYear(
            None,
            "",
            None,
            [
                f"--start {start} is within a few days of last year's start ({old}): give next "
                "year's date, e.g. " + f"{old + dt.timedelta(weeks=52):%Y-%m-%d}."
            ],
            [],
            [],
        )
    last_day = c.dates.end + shift
    if not (new_start.year >= FIRST_YEAR and last_day.year <= LAST_YEAR):
        return NextYear(
            None,
            "",
            None,
            [
                f"--start {start}: the week would run {new_start:%-d %B %Y} to "
                f"{last_day:%-d %B %Y}, outside the years Clarion plans for ({FIRST_YEAR} to "
                f"{LAST_YEAR}). Check the year."
            ],
            [],
            [],
        )
    years = new_start.year - old.year
    edits: list[_Edit] = []
    fail: list[str] = []

    def move_date(path_: yamlsafe.Path_, value: dt.date | dt.datetime) -> None:
        mark = smap.value(path_)
        edit = _date_edit(lines, mark, value + shift)
        if edit is None:
            fail.append(
                f"{loaded.source.display}:{mark.line}:{mark.column}: could not move this "
                "date; write it as YYYY-MM-DD."
            )
        else:
            edits.append(edit)

    move_date(("dates", "start"), c.dates.start)
    move_date(("dates", "end"), c.dates.end)
    for i, post in enumerate(c.posts):
        if post.at is not None:
            move_date(("posts", i, "at"), post.at)
        if post.id is None:
            edits.append(_id_edit(lines, smap.value(("posts", i)), f"post-{i + 1}"))
    if c.quotes is not None:
        for k, q in enumerate(c.quotes.items):
            if q.id is None:
                edits.append(_id_edit(lines, smap.value(("quotes", "items", k)), f"quote-{k + 1}"))
    old_slug = loaded.slug
    new_slug = slug or _bump(old_slug, old.year, years) or out_name or old_slug
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", new_slug):
        fail.append(
            f'"{new_slug}" cannot be a slug (the short name in delivery keys): use lower-case '
            "letters, digits and -, e.g. carers-week-2026."
        )
    elif new_slug == old_slug:
        fail.append(
            f"The new campaign's slug would be `{old_slug}`, last year's: its posts would be "
            "taken for last year's. Give --slug (e.g. --slug "
            f"{old_slug}-{new_start.year}) or an output file named for next year."
        )
    if isinstance(raw, dict) and "slug" in raw:
        mark = smap.value(("slug",))
        edits.append(_Edit(mark.line, mark.column, _token_length(lines, mark), new_slug))
    elif out_name is None or new_slug != out_name:
        mark = smap.key(("name",))
        edits.append(_Edit(mark.line, 1, 0, f"slug: {new_slug}\n"))
    name_mark = smap.value(("name",))
    bumped = _bump(c.name, old.year, years)
    if bumped and name_mark.line <= len(lines):
        line = lines[name_mark.line - 1]
        col = line.find(str(old.year), name_mark.column - 1)
        if col >= 0:
            edits.append(_Edit(name_mark.line, col + 1, 4, str(old.year + years)))
    if fail:
        return NextYear(None, new_slug, new_start, fail, notes, [])
    new_text = _apply(lines, edits)
    warnings = _mentions(new_text, f"{out_name or new_slug}.yaml", old.year)
    raw_new, _ = yamlsafe.load(new_text.encode("utf-8"))
    try:
        Campaign.model_validate(raw_new)
    except ValidationError as exc:  # not expected: every value moved was checked above
        return NextYear(
            None,
            new_slug,
            new_start,
            [
                f"The moved campaign would not be valid: {e['msg']} ({e['loc']})."
                for e in exc.errors()
            ],
            notes,
            [],
        )
    return NextYear(new_text, new_slug, new_start, [], notes, warnings)


_DATE = re.compile(r"""(["']?)(\d{4}-\d{2}-\d{2})""")


def _date_edit(lines: list[str], mark: Mark, new: dt.date | dt.datetime) -> _Edit | None:
    if mark.line > len(lines):
        return None
    m = _DATE.match(lines[mark.line - 1], mark.column - 1)
    if m is None:
        return None
    return _Edit(mark.line, m.start(2) + 1, 10, f"{new:%Y-%m-%d}")


def _token_length(lines: list[str], mark: Mark) -> int:
    m = re.compile(r"""["']?[a-z0-9-]+["']?""").match(lines[mark.line - 1], mark.column - 1)
    return len(m.group()) if m else 0


def _id_edit(lines: list[str], mark: Mark, ident: str) -> _Edit:
    """Insert ``id: ident`` as the first field of the mapping at ``mark``."""
    line = lines[mark.line - 1]
    if line[mark.column - 1 : mark.column] == "{":
        return _Edit(mark.line, mark.column + 1, 0, f"id: {ident}, ")
    return _Edit(mark.line, mark.column, 0, f"id: {ident}\n" + " " * (mark.column - 1))


def _apply(lines: list[str], edits: list[_Edit]) -> str:
    out = list(lines)
    for e in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        line = out[e.line - 1]
        out[e.line - 1] = line[: e.column - 1] + e.new + line[e.column - 1 + e.length :]
    return "\n".join(out)


def _bump(text: str, year: int, years: int) -> str | None:
    """``text`` with ``year`` moved on by ``years`` (coproduction-week-2022 -> ...-2023)."""
    if not re.search(rf"(?<!\d){year}(?!\d)", text):
        return None
    return re.sub(rf"(?<!\d){year}(?!\d)", str(year + years), text)


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINALS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    "thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth"
)


def _patterns(year: int) -> list[tuple[re.Pattern[str], str]]:
    years = "|".join(str(y) for y in (year - 1, year, year + 1))
    return [
        (re.compile(rf"(?<!\d)(?:{years})(?!\d)"), "names the year {0}"),
        (
            re.compile(
                rf"\b(?:{_ORDINALS}|\d+(?:st|nd|rd|th))\s+(?:year|annual|anniversary)\b", re.I
            ),
            'says "{0}": is it one more this year?',
        ),
        (
            re.compile(
                rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?)?\s+(?:of\s+)?{_MONTH}\b",
                re.I,
            ),
            'names the date "{0}"',
        ),
        (re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.I), 'names the date "{0}"'),
        (re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])"), 'names the date "{0}"'),
    ]


#: Fields whose values are not texts a reader sees (dates are moved, ids are names).
_NOT_TEXT = {"id", "at", "day", "time", "platforms", "version", "timezone", "slug", "dates"}


def _mentions(text: str, shown: str, year: int) -> list[Problem]:
    """Every place a text of the new file names last year, as file:line:col warnings."""
    raw, smap = yamlsafe.load(text.encode("utf-8"))
    starts = _line_starts(text)
    marks = sorted(
        {_offset(starts, m) for m in smap.values.values()}
        | {_offset(starts, m) for m in smap.keys.values()}
        | {len(text)}
    )
    found: list[Problem] = []
    seen: set[int] = set()
    for path, _value in _strings(raw, ()):
        if path[:1] in (("dates",), ("name",)) or set(map(str, path)) & _NOT_TEXT:
            continue
        begin = _offset(starts, smap.values[path])
        end = next(m for m in marks if m > begin)
        span = _without_comments(text[begin:end])
        for pattern, words in _patterns(year):
            for m in pattern.finditer(span):
                at = begin + m.start()
                if at in seen:
                    continue
                seen.add(at)
                line = text.count("\n", 0, at) + 1
                col = at - starts[line - 1] + 1
                phrase = " ".join(m.group().split())
                found.append(
                    Problem(
                        shown,
                        line,
                        col,
                        f"warning: this text {words.format(phrase)}; check it for this year.",
                    )
                )
    return sorted(found)


def _strings(value: Any, path: yamlsafe.Path_) -> list[tuple[yamlsafe.Path_, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, (*path, k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, (*path, i))]
    return []


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _offset(starts: list[int], mark: Any) -> int:
    return int(starts[mark.line]) + int(mark.column) if mark.line < len(starts) else starts[-1]


def _without_comments(span: str) -> str:
    """Comment lines blanked (same length), so a comment after a text is not read as it."""
    return re.sub(r"(?m)^[ \t]*#.*$", lambda m: " " * len(m.group()), span)
