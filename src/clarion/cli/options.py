"""Option bundles shared by several commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clarion.cli.files import CAMPAIGN_SUFFIXES
from clarion.cli.files import campaign_files as complete
from clarion.durations import FIRST_YEAR, LAST_YEAR

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

F = TypeVar("F", bound=Callable[..., Any])


def campaign_files(func: F) -> F:
    """FILE... : campaign files, or folders whose *.yaml files are all read."""
    return click.argument(
        "files",
        nargs=-1,
        required=True,
        type=click.Path(path_type=Path),
        metavar="FILE...",
        shell_complete=_complete_campaign_files,
    )(func)


def _complete_campaign_files(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion: *.yaml and *.yml files, and folders (:mod:`clarion.cli.files`)."""
    return complete(incomplete)


def output_format(*choices: str) -> Callable[[F], F]:
    """--format with the given choices; the first is the default."""

    def decorator(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="How to print the result: " + " or ".join(choices) + ".",
        )(func)

    return decorator


def expand(files: tuple[Path, ...]) -> tuple[list[Path], list[str]]:
    """Files as given, with folders replaced by the campaign files inside them (sorted)."""
    paths: list[Path] = []
    for f in files:
        if f.is_dir():
            paths += sorted(p for p in f.iterdir() if p.suffix in CAMPAIGN_SUFFIXES and p.is_file())
        else:
            paths.append(f)
    return paths, [str(p) for p in paths]


class Instant(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    name = "ISO-INSTANT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 instant like 2022-07-04T08:00:00Z.", param, ctx
            )
        if parsed.tzinfo is None:
            self.fail(
                f"{value!r} has no UTC offset; add Z or +01:00 so the instant is exact.", param, ctx
            )
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:  # 9999 west of UTC would overflow
            self.fail(
                f"{value!r} is in the year {parsed.year}; give an instant from {FIRST_YEAR} to "
                f"{LAST_YEAR}, like 2022-07-04T08:00:00Z.",
                param,
                ctx,
            )
        return parsed.astimezone(dt.UTC)


class Duration(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A duration such as 15m, within ``within`` (a :data:`clarion.durations.Range`)."""

    name = "DURATION"

    def __init__(self, within: tuple[int, int, str]) -> None:
        self.within = within

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from clarion.durations import parse_ms

        if isinstance(value, int):
            return value
        try:
            return parse_ms(str(value), self.within)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Day(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A calendar day: 2024-05-16 (ISO), or 16/05/2024 read day first, as in the UK.

    The one place a command option's date is read (``--from``/``--to`` of preview, …)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_day(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def parse_day(written: str) -> dt.date:
    """``written`` as a date (see :class:`Day`); ValueError with the words to show."""
    import re

    shown = written if len(written) <= 30 else written[:27] + "..."
    text = written.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    uk = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif uk:
        day, month, year = (int(g) for g in uk.groups())
        if month > 12 and day <= 12:
            raise ValueError(
                f"{shown!r} has no month {month}: Clarion reads dates written with / day first, "
                f"as in the UK. Write the date as {year:04d}-{day:02d}-{month:02d} "
                f"(year-month-day), or {month:02d}/{day:02d}/{year}."
            )
    else:
        raise ValueError(
            f"{shown!r} is not a date Clarion can read. Write the date as 2024-05-16 "
            "(year-month-day), or 16/05/2024 (day first)."
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"{shown!r} is in the year {year}; give a date from {FIRST_YEAR} to {LAST_YEAR}."
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"{shown!r} is not a real date (there is no day {day} in month {month} of {year}). "
            "Write the date as 2024-05-16 (year-month-day)."
        ) from None
