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
