"""Option bundles shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clarion.cli.files import CAMPAIGN_SUFFIXES
from clarion.cli.files import campaign_files as complete

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
