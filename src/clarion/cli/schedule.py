"""``clarion schedule``: validate, plan and sync campaigns into the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files, output_format

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.ledger.rows import CampaignRecord

DEFAULT_GRACE_MS = 15 * 60_000


@click.command("schedule")
@campaign_files
@output_format("table", "json")
@pass_app
def schedule_cmd(app: AppContext, files: tuple[Path, ...], fmt: str) -> None:
    """Validate campaigns and sync their plan into the ledger.

    New deliveries are added; changed unsent ones updated ("rescheduled" when only their time
    changed); removed unsent ones cancelled, and pending again if put back; published ones are
    never touched. A delivery cancelled with `clarion cancel` stays cancelled (`clarion retry`
    sends it). Running it twice changes nothing. Nothing is written unless every file is valid
    (exit 1 with the problems).
    """
    import datetime as dt

    from clarion.cli.progress import progress
    from clarion.cli.validate import checked_or_exit
    from clarion.ledger.rows import ms

    result = checked_or_exit(app, files, nothing_done="Nothing was scheduled.")
    ledger = app.ledger()
    now = ms(dt.datetime.now(dt.UTC))
    reports = []
    with progress(len(result.campaigns), "Scheduling campaigns") as advance:
        for loaded in result.campaigns:
            mine = [d for d in result.deliveries if d.campaign == loaded.slug]
            reports.append(ledger.sync(to_ledger(loaded), mine, "clarion schedule", now))
            advance(1)
    if fmt == "json":
        out = [
            {
                "campaign": r.campaign,
                "unchanged": r.unchanged,
                "changes": [
                    {"key": c.key, "what": c.what, "reason": c.reason, "changed": list(c.changed)}
                    for c in r.changes
                ],
            }
            for r in reports
        ]
        app.echo(json.dumps({"version": 1, "campaigns": out}, indent=2, ensure_ascii=False))
        return
    for r in reports:
        kinds = ["added", "updated", "rescheduled", "cancelled", "ignored"]
        if r.count("restored"):
            kinds.insert(3, "restored")
        counts = ", ".join(f"{r.count(w)} {w}" for w in kinds)
        app.echo(f"{r.campaign}: {counts}, {r.unchanged} unchanged.")
        for c in r.changes:
            if c.what != "added":
                app.echo(f"  {c.what:11s} {c.key}: {c.reason}")


def to_ledger(loaded: Loaded) -> CampaignRecord:
    """A campaign as the ledger records it (its deliveries go in as they are planned)."""
    from clarion.ledger.rows import CampaignRecord

    c = loaded.campaign
    grace = c.grace if c.grace is not None else DEFAULT_GRACE_MS
    path = str(loaded.source.path.resolve())
    required = c.approval == "required"
    return CampaignRecord(loaded.slug, c.name, path, c.timezone, grace, required)
