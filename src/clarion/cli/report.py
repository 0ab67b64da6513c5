"""``clarion report``: what the week achieved, from each platform's own counts."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import output_format

if TYPE_CHECKING:
    from clarion.ledger.rows import DeliveryRow
    from clarion.ledger.store import Ledger
    from clarion.reporting.fetch import Group, GroupResult


@click.command("report")
@click.argument("campaigns", nargs=-1, required=True, metavar="CAMPAIGN...")
@output_format("table", "json", "csv", "html")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the screen (e.g. -o report.html).",
)
@click.option(
    "--refresh/--no-refresh",
    default=None,
    help="Read every post's counts again now (default: only posts whose counts were never read).",
)
@click.option("--yes", is_flag=True, help="Pay for reads without asking (X bills each read).")
@pass_app
def report_cmd(
    app: AppContext,
    campaigns: tuple[str, ...],
    fmt: str,
    output: Path | None,
    refresh: bool | None,
    yes: bool,
) -> None:
    """What CAMPAIGN achieved: each published post's likes, reposts, replies and more.

    CAMPAIGN is a campaign's slug or its file. The first report reads every published post's
    counts from its platform and keeps them in the ledger (a later report reads only the posts
    never read, such as a platform that failed); --refresh reads them all again, so the
    report shows how each post grew since ("+38 likes since Friday"). Reading X's counts costs
    money: Clarion says how much and asks first (--yes for cron). --format csv and json give
    one row per post and reading; --format html -o report.html a page for trustees. Exit status
    1 when some platform could not be read (the others are still shown).
    """
    from clarion import reporting

    ledger = app.ledger()
    try:
        slugs = reporting.slugs_of(ledger, campaigns)
    except reporting.UnknownCampaign as exc:
        raise click.ClickException(str(exc)) from None
    rows = reporting.published(ledger, slugs)
    failed = False
    asking = rows if refresh else _never_read(ledger, slugs, rows) if refresh is None else []
    if asking:
        failed = _refresh(app, ledger, asking, yes)
    made = reporting.make(ledger, slugs)
    if not rows:
        app.echo(
            f"Nothing of {', '.join(slugs)} has been published yet, so there is nothing to count.",
            err=True,
        )
        if fmt == "table" and output is None:
            return
    data = _formatted(made, fmt)
    if output is None:
        if fmt == "html" and sys.stdout.isatty():
            raise click.UsageError("--format html needs a file: add -o report.html")
        app.echo(data.rstrip("\n"))
    else:
        from clarion.cli.sheets import writing

        with writing(output):
            output.write_text(data, encoding="utf-8")
        app.echo(f"Wrote {output} ({len(data.encode()):,} bytes).", err=True)
    if failed:
        raise SystemExit(1)


def _formatted(made: object, fmt: str) -> str:
    from clarion.reporting.model import Report

    assert isinstance(made, Report)
    if fmt == "json":
        import json

        from clarion.reporting.as_json import as_json

        return json.dumps(as_json(made), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        from clarion.render.report_text import csv_text

        return csv_text(made)
    if fmt == "html":
        from clarion.render.report_html import render

        return render(made)
    from clarion.render.report_text import table

    return table(made)


def _never_read(ledger: Ledger, slugs: list[str], rows: list[DeliveryRow]) -> list[DeliveryRow]:
    """The published deliveries whose counts were never read (a platform that failed last time,
    a post published since): what a report without --refresh reads."""
    from clarion.ledger import metrics

    seen = {s.delivery_id for s in metrics.snapshots(ledger, slugs)}
    return [r for r in rows if r.id not in seen]


def _refresh(app: AppContext, ledger: Ledger, rows: list[DeliveryRow], yes: bool) -> bool:
    """Read every group's counts (asking before paying); True when some could not be read."""
    from clarion.cli.run import adapter_factory
    from clarion.reporting import fetch

    groups = fetch.groups(rows)
    declined = _consent(app, groups, yes)
    if not groups:
        return False
    shown = ", ".join(
        f"{_label(p)} {n}" for p, n in _per_platform(groups).items() if p not in declined
    )
    if shown:
        app.echo(f"Reading counts: {shown} posts…", err=True)
    started = time.monotonic()
    results = fetch.read_all(ledger, groups, adapter_factory(dry=False), declined=declined)
    _say(app, results, declined, time.monotonic() - started)
    return any(r.problem for r in results if r.group.platform not in declined)


def _consent(app: AppContext, groups: list[Group], yes: bool) -> dict[str, str]:
    """Platforms whose reads are not paid for this time -> why (recorded as their problem)."""
    from clarion import platforms
    from clarion.reporting.fetch import cost_mills

    declined: dict[str, str] = {}
    for platform, mills in cost_mills(groups).items():
        prices = platforms.get(platform).prices
        label = platforms.get(platform).label
        posts = sum(len(g.rows) for g in groups if g.platform == platform)
        cost = f"about ${mills / 1000:,.2f}"
        checked = f" (Clarion's price, checked {prices.checked})" if prices else ""
        line = f"Reading {label}'s counts of {posts} posts costs {cost}{checked}."
        if yes:
            app.echo(line, err=True)
            continue
        if sys.stdin.isatty():
            if click.confirm(line + " Read them?", default=False, err=True):
                continue
            declined[platform] = f"you chose not to pay {cost} this time"
        else:
            app.echo(line + " Not read: add --yes to pay for it.", err=True)
            declined[platform] = f"reading costs {cost}; `clarion report --yes` reads it"
    return declined


def _per_platform(groups: list[Group]) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in groups:
        out[g.platform] = out.get(g.platform, 0) + len(g.rows)
    return out


def _label(platform: str) -> str:
    from clarion import platforms

    return str(platforms.get(platform).label)


def _say(
    app: AppContext, results: list[GroupResult], declined: dict[str, str], seconds: float
) -> None:
    read = sum(r.counted + r.gone for r in results)
    calls = sum(r.calls for r in results)
    app.echo(f"Read {read} posts in {calls} calls ({seconds:.1f} s).", err=True)
    for r in results:
        if r.problem and r.group.platform not in declined:
            who = f" ({r.group.account})" if r.group.account != "default" else ""
            app.echo(app.style(f"{_label(r.group.platform)}{who}: {r.problem}", fg="red"), err=True)
