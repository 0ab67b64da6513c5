"""``clarion schedule``: validate, plan and sync campaigns into the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files, output_format

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.ledger.rows import CampaignRecord, Planned
    from clarion.planner import Delivery

DEFAULT_GRACE_MS = 15 * 60_000


@click.command("schedule")
@campaign_files
@output_format("table", "json")
@pass_app
def schedule_cmd(app: AppContext, files: tuple[Path, ...], fmt: str) -> None:
    """Validate campaigns and sync their plan into the ledger.

    New deliveries are added, changed unsent ones updated, removed unsent ones cancelled;
    published ones are never touched. Running it twice changes nothing. Nothing is written
    unless every file is valid (exit 1 with the problems).
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
            record, planned = to_ledger(loaded, mine)
            reports.append(ledger.sync(record, planned, "clarion schedule", now))
            advance(1)
    if fmt == "json":
        out = [
            {
                "campaign": r.campaign,
                "unchanged": r.unchanged,
                "changes": [{"key": c.key, "what": c.what, "reason": c.reason} for c in r.changes],
            }
            for r in reports
        ]
        app.echo(json.dumps({"version": 1, "campaigns": out}, indent=2, ensure_ascii=False))
        return
    for r in reports:
        counts = ", ".join(
            f"{r.count(w)} {w}" for w in ("added", "updated", "rescheduled", "cancelled", "ignored")
        )
        app.echo(f"{r.campaign}: {counts}, {r.unchanged} unchanged.")
        for c in r.changes:
            if c.what != "added":
                app.echo(f"  {c.what:11s} {c.key}: {c.reason}")


def to_ledger(loaded: Loaded, deliveries: list[Delivery]) -> tuple[CampaignRecord, list[Planned]]:
    """A campaign and its deliveries as the ledger stores them (no secrets, absolute media)."""
    from clarion.ledger.rows import CampaignRecord, Planned, ms

    c = loaded.campaign
    grace = c.grace if c.grace is not None else DEFAULT_GRACE_MS
    record = CampaignRecord(
        loaded.slug, c.name, str(loaded.source.path.resolve()), c.timezone, grace
    )
    # Publishing options are stored only when set, so ledgers scheduled before they existed
    # see no change in their deliveries.
    options: dict[str, Any] = {}
    if c.language:
        options["language"] = c.language
    if c.visibility != "public":
        options["visibility"] = c.visibility
    planned = [
        Planned(
            key=d.key,
            post=d.post,
            platform=d.platform,
            account=d.account,
            due_ms=ms(d.at_utc),
            thread_index=d.thread_index,
            reply_to=d.reply_to,
            payload={
                "text": d.text,
                "at": d.at.isoformat(),
                "length": d.length,
                "limit": d.limit,
                "images": [
                    {"path": i.path, "alt": i.alt, "file": str(i.file.resolve())} for i in d.images
                ],
                **({"quote_of": d.quote_of} if d.quote_of else {}),
                **options,
            },
        )
        for d in deliveries
    ]
    return record, planned
