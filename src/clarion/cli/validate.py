"""``clarion validate``: check campaign files against every platform's rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files, expand, output_format

if TYPE_CHECKING:
    from clarion.campaign.problems import Problem
    from clarion.checking import Checked
    from clarion.delivery import Delivery


@click.command("validate")
@campaign_files
@output_format("text", "json")
@pass_app
def validate_cmd(app: AppContext, files: tuple[Path, ...], fmt: str) -> None:
    """Check campaign files before the week starts.

    Every problem is listed at once as FILE:LINE:COL: message. Exit status: 0 when every file
    is valid, 1 when any problem was found, 2 when the command was used wrongly.
    """
    _no_collection_at_exit()
    result, paths = check(files)
    if fmt == "json":
        import json  # only for --format json (start-up time)

        app.echo(json.dumps([p.as_json() for p in result.problems], indent=2, ensure_ascii=False))
        report_quotas(app, result.deliveries)
    else:
        report_problems(app, result.problems, len(paths))
        report_warnings(app, result.warnings)
        report_quotas(app, result.deliveries)
        per_campaign = Counter(d.campaign for d in result.deliveries)
        for loaded in result.campaigns:
            n = per_campaign[loaded.slug]
            c = loaded.campaign
            app.echo(
                f"{loaded.source.display}: {app.style('OK', fg='green', bold=True)} — "
                f"{c.name}: {n} deliveries on {', '.join(c.platforms)}, "
                f"{c.dates.start:%d %b} to {c.dates.end:%d %b %Y} ({c.timezone})."
            )
    raise SystemExit(0 if result.ok else 1)


@cache
def _no_collection_at_exit() -> None:
    """Spare the process a last sweep of the cyclic garbage collector when it exits.

    As Python shuts down it collects over every object still alive, and validating leaves many
    (pydantic's schemas and validators, compiled patterns, classes): about 100 million instructions
    at the end of `clarion validate` of one file, twice what the libraries alone leave (start-up
    time, issue 2). ``gc.freeze()``, run as an exit handler, moves them out of the collector's
    sight; Python exits right after (and never promises to finalise cycles at exit anyway). Output
    is written and flushed as before; files are closed by their ``with`` blocks.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)


def checked_or_exit(
    app: AppContext, files: tuple[Path, ...], *, nothing_done: str | None = None
) -> Checked:
    """Expand and check campaign files for a command that needs them all valid: on any
    problem, print the problems (and what was not done) to stderr and exit with status 1."""
    result, paths = check(files)
    if not result.ok:
        report_problems(app, result.problems, len(paths), err=True)
        if nothing_done:
            app.echo(nothing_done, err=True)
        raise SystemExit(1)
    report_warnings(app, result.warnings)
    return result


def check(files: tuple[Path, ...]) -> tuple[Checked, list[Path]]:
    """Expand FILE... and check every campaign, drawing the quote cards they need."""
    from clarion.checking import check_files
    from clarion.cli.progress import progress
    from clarion.render.cards import prepare

    paths, shown = expand(files)
    if not paths:
        raise click.UsageError("No campaign files found (looked for *.yaml and *.yml).")
    with progress(len(paths), "Checking campaign files") as advance:
        return check_files(paths, shown, advance, prepare=prepare), paths


def report_warnings(app: AppContext, warnings: Sequence[Problem]) -> None:
    """Warnings (posts already past): shown, but they stop nothing. On stderr."""
    for w in warnings:
        app.echo(app.style(str(w), fg="yellow"), err=True)


def report_quotas(app: AppContext, deliveries: Sequence[Delivery]) -> None:
    """Warnings (on stderr) for every window in which the posts still to come would go over a
    platform's write limit, per account, across all the campaigns checked together. They stop
    nothing: the exit status stays as it is."""
    import datetime as dt

    from clarion.platforms import limits, quotas

    for w in quotas.check(deliveries, limits.for_account, dt.datetime.now(dt.UTC)):
        app.echo(app.style(w.message(), fg="yellow"), err=True)


#: Problems printed per file in text; the JSON output lists every one.
SHOWN_PER_FILE = 200


def report_problems(
    app: AppContext, problems: Sequence[Problem], files: int, *, err: bool = False
) -> None:
    """Print problems one per line (at most :data:`SHOWN_PER_FILE` of each file, then how many
    more), then a count, in words."""
    shown: dict[str, int] = {}
    for p in problems:
        n = shown[p.file] = shown.get(p.file, 0) + 1
        if n <= SHOWN_PER_FILE:
            app.echo(str(p), err=err)
    for file, n in shown.items():
        if n > SHOWN_PER_FILE:
            app.echo(
                f"{file}: … and {n - SHOWN_PER_FILE:,} more problems. Fix the ones above first "
                "(they often cause the rest), or see every one with --format json.",
                err=err,
            )
    if problems:
        bad = len({p.file for p in problems})
        noun = "problem" if len(problems) == 1 else "problems"
        app.echo(
            app.style(
                f"{len(problems)} {noun} in {bad} of {files} file{'s' if files > 1 else ''}.",
                fg="red",
                bold=True,
            ),
            err=err,
        )
