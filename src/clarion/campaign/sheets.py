"""A planning spreadsheet (CSV or .xlsx, one row a post) read into campaign posts.

Column headers are matched loosely (case, spaces and punctuation ignored, common synonyms
known: "Post text", "Copy", "Message"; "Channels", "Networks"; "Alt", "Image description" …).
Every problem names the row as the spreadsheet numbers it (the header is row 1) and the column
by its letter and header, and all of them are collected before anything is written.
:mod:`clarion.campaign.sheetyaml` writes the posts read here as a commented campaign file.

Dates in text are read day first (16/05/2024 is 16 May), as UK charities write them; a date
that only makes sense month first (05/16/2024) is refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, NamedTuple

from clarion.campaign.sheetcells import (
    BY_HEADER,
    PLATFORM_WORDS,
    column_letter,
    hashtags,
    normalise,
    parse_date,
    parse_time,
)
from clarion.campaign.sheetfiles import MAX_ROWS, Unreadable, csv_rows, xlsx_rows
from clarion.durations import FIRST_YEAR, LAST_YEAR

#: The largest sheet read, in bytes.
MAX_SHEET_BYTES = 10 * 1024 * 1024


class SheetProblem(NamedTuple):
    """One thing wrong with the sheet, at a row and column as the spreadsheet shows them."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (f"row {self.row}" if self.row else "", self.column or "") if p
        )
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


class Row(NamedTuple):
    """One post read from the sheet."""

    number: int
    id: str | None
    at: dt.datetime
    platforms: tuple[str, ...]
    text: str
    link: str | None
    images: tuple[tuple[str, str], ...]
    hashtags: tuple[str, ...]
    thread: tuple[str, ...]


class Sheet(NamedTuple):
    """What was read: the posts, the problems (none for a sheet that can be imported) and
    notes (columns left unused)."""

    rows: list[Row]
    problems: list[SheetProblem]
    notes: list[str]


def read(path: Path, shown: str | None = None) -> Sheet:
    """Read a .csv or .xlsx planning sheet into posts, or problems."""
    shown = shown or str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            return _refused(shown, "This is not a file. Give the path of a .csv or .xlsx sheet.")
        if size > MAX_SHEET_BYTES:
            return _refused(
                shown,
                f"This sheet is {size:,} bytes; Clarion reads sheets of at most "
                f"{MAX_SHEET_BYTES:,} bytes. Keep one campaign's posts in it.",
            )
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = xlsx_rows(path)
        elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
            table = csv_rows(path.read_bytes())
        else:
            return _refused(
                shown,
                "Clarion imports .csv and .xlsx sheets. In your spreadsheet program use "
                "File > Save as (or Download) and choose CSV or Excel (.xlsx).",
            )
    except FileNotFoundError:
        return _refused(shown, "This file does not exist. Check the name and folder.")
    except OSError as exc:
        return _refused(shown, f"Clarion could not read this file: {exc.strerror or exc}.")
    except Unreadable as exc:
        return _refused(shown, str(exc))
    return _posts(shown, table)


def _refused(shown: str, message: str) -> Sheet:
    return Sheet([], [SheetProblem(shown, None, None, message)], [])


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: Headers only `clarion export` writes together (normalised): such a sheet is a review copy.
EXPORTED = frozenset({"key", "campaign", "platform", "state"})


def _posts(shown: str, table: list[tuple[int, list[Any]]]) -> Sheet:
    rows = [(n, values) for n, values in table if not all(_blank(v) for v in values)]
    if not rows:
        return _refused(shown, "This sheet is empty: give a header row, then one row a post.")
    header_no, header = rows[0]
    titles = {normalise(str(c)) for c in header if not _blank(c)}
    if titles >= EXPORTED:
        return _refused(
            shown,
            "This sheet was written by `clarion export` (one row a delivery, for reviewing); "
            "`clarion import` reads a planning sheet (one row a post). To change the week, edit "
            "the campaign file it was exported from, then export it again.",
        )
    columns: dict[str, tuple[int, str]] = {}
    problems: list[SheetProblem] = []
    notes: list[str] = []
    for i, cell in enumerate(header):
        if _blank(cell):
            continue
        title = str(cell).strip()
        field = BY_HEADER.get(normalise(title))
        label = f"column {column_letter(i)} ({title})"
        if field is None:
            notes.append(f"{shown}: {label} is not a column Clarion uses; it was left out.")
        elif field in columns:
            problems.append(
                SheetProblem(
                    shown,
                    header_no,
                    label,
                    f"a second {field} column (column {column_letter(columns[field][0])} "
                    f"({columns[field][1]}) is read as the {field} already); keep only one of "
                    "them, or rename the other.",
                )
            )
        else:
            columns[field] = (i, title)
    for needed in ("date", "text"):
        if needed not in columns:
            problems.append(
                SheetProblem(
                    shown,
                    header_no,
                    None,
                    f"no {needed} column found. Name one column {_HINTS[needed]} "
                    f"(columns found: {', '.join(str(c) for c in header if not _blank(c))}).",
                )
            )
    if problems:
        return Sheet([], problems, notes)
    if len(table) > MAX_ROWS + 1:
        problems.append(
            SheetProblem(shown, None, None, f"more than {MAX_ROWS:,} rows; split the sheet.")
        )
    out: list[Row] = []
    for number, values in rows[1:]:
        reader = _RowReader(shown, number, values, columns)
        row = reader.read()
        problems.extend(reader.problems)
        if row is not None:
            out.append(row)
    first: dict[str, int] = {}
    for row in out:
        if row.id is not None and row.id in first:
            i, title = columns["id"]
            problems.append(
                SheetProblem(
                    shown,
                    row.number,
                    f"column {column_letter(i)} ({title})",
                    f'the id "{row.id}" is already the id of row {first[row.id]}; '
                    "give each post its own.",
                )
            )
        elif row.id is not None:
            first[row.id] = row.number
    if not out and not problems:
        problems.append(SheetProblem(shown, None, None, "the sheet has a header but no posts."))
    return Sheet(out, problems, notes)


_HINTS = {"date": '"Date" (or "Day")', "text": '"Text" (or "Post text", "Copy", "Message")'}


class _RowReader:
    def __init__(
        self, shown: str, number: int, values: list[Any], columns: dict[str, tuple[int, str]]
    ) -> None:
        self.shown = shown
        self.number = number
        self.values = values
        self.columns = columns
        self.problems: list[SheetProblem] = []

    def get(self, field: str) -> Any:
        if field not in self.columns:
            return None
        i = self.columns[field][0]
        value = self.values[i] if i < len(self.values) else None
        return None if _blank(value) else value

    def text(self, field: str) -> str | None:
        value = self.get(field)
        if value is None:
            return None
        return "\n".join(
            line.rstrip()
            for line in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        ).strip()

    def bad(self, field: str, message: str) -> None:
        i, title = self.columns.get(field, (None, field))
        column = f"column {column_letter(i)} ({title})" if i is not None else None
        self.problems.append(SheetProblem(self.shown, self.number, column, message))

    def read(self) -> Row | None:
        day, day_time = self._date()
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.bad(
                "date",
                f"{day:%d %B %Y} is outside the years Clarion plans for "
                f"({FIRST_YEAR} to {LAST_YEAR}). Check the year.",
            )
            day = None
        at_time = self._time(day_time)
        text = self.text("text")
        if text is None:
            self.bad("text", "this post has no text. Write what it says, or delete the row.")
        platforms = self._platforms()
        images = self._images()
        tags = tuple(hashtags(self.text("hashtags") or ""))
        thread = tuple(p.strip() for p in re.split(r"\n\s*\n", self.text("thread") or "") if p)
        ident = self.text("id")
        if ident is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", ident):
            self.bad(
                "id",
                f'"{ident}" cannot be an id: use letters, digits, -, _ and . only '
                "(e.g. launch-day), at most 64.",
            )
        if self.problems or day is None or at_time is None or text is None:
            return None
        return Row(
            self.number,
            ident,
            dt.datetime.combine(day, at_time),
            platforms,
            text,
            self.text("link"),
            images,
            tags,
            thread,
        )

    def _date(self) -> tuple[dt.date | None, dt.time | None]:
        value = self.get("date")
        if value is None:
            self.bad("date", "this post has no date. Write it as 16/05/2024 or 2024-05-16.")
            return None, None
        if isinstance(value, dt.datetime):
            t = value.time()
            return value.date(), (t if t != dt.time(0) else None)
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.bad("date", f'"{value}" is a number, not a date. Write it as 16/05/2024.')
            return None, None
        found = parse_date(str(value))
        if isinstance(found, str):
            self.bad("date", found)
            return None, None
        return found

    def _time(self, from_date: dt.time | None) -> dt.time | None:
        value = self.get("time")
        if value is None:
            if from_date is not None:
                return from_date
            if "time" not in self.columns:
                self.bad("date", 'no time for this post: add a "Time" column (e.g. 09:30).')
            else:
                self.bad("time", "this post has no time. Write it as 09:30 (24-hour) or 9:30am.")
            return None
        if isinstance(value, dt.datetime):
            return value.time().replace(second=0, microsecond=0)
        if isinstance(value, dt.time):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
            return (dt.datetime.min + value).time().replace(second=0, microsecond=0)
        if isinstance(value, float) and 0 <= value < 1:  # a spreadsheet's fraction of a day
            minutes = round(value * 24 * 60)
            return dt.time(*divmod(minutes, 60)) if minutes < 24 * 60 else dt.time(23, 59)
        found = parse_time(str(value))
        if isinstance(found, str):
            self.bad("time", found)
            return None
        return found

    def _platforms(self) -> tuple[str, ...]:
        written = self.text("platforms")
        if written is None or normalise(written) in ("all", "allplatforms", "everywhere"):
            return ()
        out: list[str] = []
        for word in re.split(r"[,;/&+\n]|\band\b", written):
            if not word.strip():
                continue
            name = PLATFORM_WORDS.get(normalise(word))
            if name is None:
                self.bad(
                    "platforms",
                    f'"{word.strip()}" is not a platform Clarion posts to. Write any of X, '
                    "Facebook, Mastodon, Bluesky, separated by commas (or leave it empty for all).",
                )
            elif name not in out:
                out.append(name)
        return tuple(out)

    def _images(self) -> tuple[tuple[str, str], ...]:
        written = self.text("image")
        alt = self.text("alt")
        if written is None:
            if alt is not None:
                self.bad("alt", "alt text but no image: give the image file in the image column.")
            return ()
        paths = [p.strip() for p in re.split(r"[\n;]", written) if p.strip()]
        alts = [alt] if len(paths) == 1 and alt else [a.strip() for a in (alt or "").split("\n\n")]
        alts = [a for a in alts if a]
        if len(alts) != len(paths):
            self.bad(
                "alt" if "alt" in self.columns else "image",
                f"{len(paths)} image(s) but {len(alts)} alt text(s). Every image needs alt text "
                "(what it shows, for people using screen readers); for several images put one "
                "alt text per image, separated by a blank line.",
            )
            return ()
        return tuple(zip(paths, alts, strict=True))
