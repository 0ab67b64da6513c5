"""``clarion import`` and ``clarion export``: the week to and from a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a file that cannot be written (no such folder, no permission, disk full) into a
    message in words instead of a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise click.ClickException(
            f"Clarion could not write {path}: {exc.strerror or exc}. Check that the folder can "
            "be written to, or choose another with -o."
        ) from None


@click.command("import")
@click.argument("sheet", type=click.Path(path_type=Path), metavar="PLAN.csv|PLAN.xlsx")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The campaign file to write, e.g. campaigns/carers-week-2026.yaml.",
)
@click.option("--name", help="The campaign's title (default: from the file name).")
@click.option(
    "--timezone",
    default="Europe/London",
    show_default=True,
    help="The zone the sheet's times are in (an IANA name).",
)
@click.option("--slug", help="Short name used in delivery keys (default: the file name).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@pass_app
def import_cmd(
    app: AppContext,
    sheet: Path,
    output: Path,
    name: str | None,
    timezone: str,
    slug: str | None,
    force: bool,
) -> None:
    """Turn a planning spreadsheet (one row a post) into a commented campaign file.

    Columns (any order, names matched loosely): Date, Time, Platforms, Text, Link, Image,
    Alt text, Hashtags, and optionally Id and Thread. Dates are read day first (16/05/2024 is
    16 May). Every problem is listed with its row and column, and nothing is written until
    there are none. See docs/spreadsheets.md.
    """
    from clarion.campaign.sheetyaml import convert

    if output.exists() and not force:
        raise click.ClickException(f"{output} already exists; choose another name or add --force.")
    stem = output.name.removesuffix(".yaml").removesuffix(".yml")
    result = convert(sheet, slug=slug or stem, name=name, timezone=timezone, shown=str(sheet))
    for note in result.notes:
        app.echo(app.style(note, fg="yellow"), err=True)
    if result.text is None:
        for problem in result.problems:
            app.echo(problem, err=True)
        n = len(result.problems)
        app.echo(
            app.style(
                f"{n} problem{'s' if n != 1 else ''}; nothing was written. Fix the sheet and "
                "import it again.",
                fg="red",
                bold=True,
            ),
            err=True,
        )
        raise SystemExit(1)
    with writing(output):
        output.write_text(result.text, encoding="utf-8")
    app.echo(
        f"Wrote {output}: {result.posts} post{'s' if result.posts != 1 else ''}. "
        f"Check it with: clarion validate {output}"
    )


@click.command("export")
@campaign_files
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="csv or xlsx (default: from the output file's name).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The spreadsheet to write, e.g. week.xlsx.",
)
@pass_app
def export_cmd(app: AppContext, files: tuple[Path, ...], fmt: str | None, output: Path) -> None:
    """Write the plan as a spreadsheet, one row a delivery, with its final text and state.

    For people who review the week in a spreadsheet: when and where each post goes, exactly
    what it says, its length against the platform's limit, its link and images, and its state
    in the ledger once scheduled.
    """
    from clarion.cli.preview import ledger_view
    from clarion.cli.validate import checked_or_exit
    from clarion.render.sheets import write

    suffix = output.suffix.lower()
    chosen = fmt or {".xlsx": "xlsx", ".csv": "csv"}.get(suffix)
    if chosen is None or suffix != f".{chosen}":
        raise click.UsageError(
            f"{output}: name the file .csv or .xlsx, as its format"
            + (f" (--format {fmt} writes a .{fmt} file)." if fmt else ".")
        )
    result = checked_or_exit(app, files, nothing_done="Nothing was exported.")
    seen = ledger_view(app, [c.slug for c in result.campaigns], {d.key for d in result.deliveries})
    with writing(output):
        n = write(
            output, chosen, result.deliveries, result.fits, lambda d: seen.of(d) if seen else None
        )
    app.echo(f"Wrote {output}: {n:,} deliveries.")
