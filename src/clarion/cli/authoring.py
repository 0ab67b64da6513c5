"""``clarion init`` and ``clarion schema``: help with writing campaign files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from clarion.cli.context import AppContext, pass_app


@click.command("init")
@click.argument("file", required=False, type=click.Path(path_type=Path), metavar="[FILE]")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option(
    "--from",
    "last",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Last year's campaign: write next year's from it (with --start).",
)
@click.option("--start", help="With --from: next year's first day, e.g. 2023-07-03 or 03/07/2023.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Same as FILE."
)
@click.option("--slug", help="With --from: the new campaign's slug (default: the year moved on).")
@pass_app
def init_cmd(
    app: AppContext,
    file: Path | None,
    force: bool,
    last: Path | None,
    start: str | None,
    output: Path | None,
    slug: str | None,
) -> None:
    """Write a commented starter campaign to FILE (default campaigns/my-campaign.yaml).

    With --from LAST.yaml --start DATE: write next year's campaign from last year's instead.
    Every date moves by whole weeks, so each post keeps its weekday and time; the year in the
    name and slug moves on; every post keeps its id; comments stay. Texts that still name last
    year (a year, "seventh year", a date) are listed as FILE:LINE:COL warnings to check.
    """
    if last is not None or start is not None:
        _next_year(app, last, start, output or file, slug, force)
        return
    from importlib.resources import files

    target = output or file or Path("campaigns/my-campaign.yaml")
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; choose another name or add --force.")
    text = files("clarion").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    app.echo(f"Wrote {target}. Edit it, then run: clarion validate {target}")


def _next_year(
    app: AppContext,
    last: Path | None,
    start: str | None,
    target: Path | None,
    slug: str | None,
    force: bool,
) -> None:
    from clarion.campaign.nextyear import next_year, parse_start

    if last is None or start is None:
        raise click.UsageError(
            "Give both --from (last year's campaign file) and --start (next year's first day), "
            "e.g. clarion init --from campaigns/carers-week-2025.yaml --start 2026-06-08."
        )
    day = parse_start(start)
    if isinstance(day, str):
        raise click.UsageError(f"--start: {day}")
    stem = target.name.removesuffix(".yaml").removesuffix(".yml") if target else None
    result = next_year(last, day, slug=slug, out_name=stem)
    for note in result.notes:
        app.echo(app.style(note, fg="yellow"), err=True)
    if result.text is None:
        for problem in result.problems:
            app.echo(problem, err=True)
        app.echo(app.style("Nothing was written.", fg="red", bold=True), err=True)
        raise SystemExit(1)
    if target is None:
        target = last.with_name(f"{result.slug}.yaml")
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; choose another name or add --force.")
    from clarion.cli.sheets import writing

    with writing(target):
        target.write_text(result.text, encoding="utf-8")
    for w in result.warnings:
        app.echo(app.style(str(w._replace(file=str(target))), fg="yellow"), err=True)
    n = len(result.warnings)
    app.echo(
        f"Wrote {target} (slug {result.slug}, from {result.start:%A %-d %B %Y}). "
        + (f"{n} text{'s' if n != 1 else ''} to check above. " if n else "")
        + f"Then run: clarion validate {target}"
    )


@click.command("schema")
@pass_app
def schema_cmd(app: AppContext) -> None:
    """Print the JSON Schema of the campaign format, for editors.

    Save it next to your campaigns and start a campaign file with
    `# yaml-language-server: $schema=clarion.schema.json` for completion and checks as you type.
    """
    from clarion.campaign.model import Campaign

    schema = Campaign.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Clarion campaign (format version 1)"
    app.echo(json.dumps(schema, indent=2, ensure_ascii=False))
