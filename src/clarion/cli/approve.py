"""``clarion approve`` and ``clarion diff``: the manager's sign-off, and what changed since."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files, output_format

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.delivery import Delivery
    from clarion.ledger.store import Ledger
    from clarion.signoff import DeliveryDiff, SignOff

_BY_HELP = 'Who approves, as others will read it: --by "Sam Jones".'


def _files_words(files: tuple[Path, ...]) -> str:
    return " ".join(str(f) for f in files)


@click.command("approve")
@campaign_files
@click.option("--by", "by", default=None, help=_BY_HELP)
@click.option("--note", default=None, help="A note kept with the sign-off (optional).")
@click.option(
    "--plan",
    "plan",
    default=None,
    metavar="HASH",
    help="The plan hash on the page you read: refuse if the plan changed since.",
)
@pass_app
def approve_cmd(
    app: AppContext, files: tuple[Path, ...], by: str | None, note: str | None, plan: str | None
) -> None:
    """Sign off campaigns: record exactly what will be sent, and who approved it.

    A campaign with `approval: required` sends only approved content: a post changed after its
    approval waits for a new sign-off. Approving does not schedule: run `clarion schedule` too
    (before or after). An invalid campaign cannot be approved (exit 1 with its problems).
    """
    from clarion.cli.validate import checked_or_exit
    from clarion.ledger import approvals
    from clarion.ledger.rows import ms
    from clarion.signoff import matches, plan_hash, short

    who = (by or "").strip()
    if not who:
        raise click.UsageError(
            "Say who approves with --by, e.g. "
            f'clarion approve {_files_words(files)} --by "Sam Jones".'
        )
    result = checked_or_exit(app, files, nothing_done="Nothing was approved.")
    everything = list(result.deliveries)
    now_plan = plan_hash(everything)
    if plan is not None and not matches(plan, now_plan):
        app.echo(
            f"The plan changed since the page you read was made (page: {plan.strip()[:12]}…, "
            f"now: {short(now_plan)}…). Make the page again with clarion preview "
            f"{_files_words(files)} --format html -o week.html and read it before approving.",
            err=True,
        )
        raise SystemExit(1)
    ledger = app.ledger()
    at = dt.datetime.now(dt.UTC)
    for loaded in result.campaigns:
        mine = [d for d in everything if d.campaign == loaded.slug]
        digest = approvals.record(ledger, loaded.slug, mine, who, ms(at), note)
        required = loaded.campaign.approval == "required"
        count = f"{len(mine)} {'delivery' if len(mine) == 1 else 'deliveries'}"
        app.echo(
            f"Approved {count} of {loaded.slug} (plan {short(digest)}) by {who}, "
            f"{approvals.local_words(at, loaded.campaign.timezone)}."
            + ("" if required else " (This campaign does not say `approval: required`.)")
        )
    if len(result.campaigns) > 1:
        app.echo(f"Plan of all of them: {short(now_plan)}.")


def _ledger_if_any(app: AppContext) -> Ledger | None:
    """The ledger in use, or None when there is none yet (a diff never creates one)."""
    from clarion.ledger.quick import sqlite_path

    path = sqlite_path(app.database_url)
    if path is not None and not path.exists():
        return None
    return app.ledger()


def signoffs(
    app: AppContext, campaigns: Sequence[Loaded], deliveries: Sequence[Delivery]
) -> dict[str, SignOff]:
    """Each campaign's :class:`~clarion.signoff.SignOff` (by slug): its last sign-off and how
    ``deliveries`` (the plan now) stand against it. Never creates a ledger."""
    from clarion.ledger import approvals
    from clarion.signoff import SignOff, plan_hash, standings

    ledger = _ledger_if_any(app)
    out: dict[str, SignOff] = {}
    for loaded in campaigns:
        mine = [d for d in deliveries if d.campaign == loaded.slug]
        required = loaded.campaign.approval == "required"
        if ledger is None:
            out[loaded.slug] = SignOff(
                loaded.slug, None, None, None, None, plan_hash(mine), standings(mine, {}), required
            )
        else:
            out[loaded.slug] = approvals.signoff(ledger, loaded.slug, mine, require=required)
    return out


@click.command("diff")
@campaign_files
@output_format("table", "json")
@pass_app
def diff_cmd(app: AppContext, files: tuple[Path, ...], fmt: str) -> None:
    """What changed since the last sign-off, delivery by delivery.

    A word diff of each text ([-removed-] {+added+}), time, image and account changes in words,
    new deliveries and those removed since. Exit 0 when nothing changed, 1 when something did
    (or it was never signed off), 2 when a campaign is invalid (as diff(1)).
    """
    from clarion.cli.validate import checked_or_exit
    from clarion.ledger import approvals
    from clarion.signoff import diff, short

    try:
        result = checked_or_exit(app, files, nothing_done="Nothing was compared.")
    except SystemExit:
        raise SystemExit(2) from None  # as diff(1): trouble, neither "same" nor "different"
    ledger = _ledger_if_any(app)
    out: list[dict[str, Any]] = []
    changed = False
    for loaded in result.campaigns:
        mine = [d for d in result.deliveries if d.campaign == loaded.slug]
        last = approvals.last(ledger, loaded.slug) if ledger is not None else None
        latest = approvals.latest(ledger, loaded.slug) if ledger is not None else {}
        found = diff(mine, latest, last.plan_hash if last else None) if last else []
        changed = changed or last is None or bool(found)
        if fmt == "json":
            out.append(_json(loaded.slug, last, found, len(mine)))
            continue
        if last is None:
            app.echo(f"{loaded.slug}: never signed off ({len(mine)} deliveries).")
            continue
        head = f"{loaded.slug}: signed off by {last.by}, "
        head += approvals.local_words(last.at_utc, loaded.campaign.timezone)
        head += f" (plan {short(last.plan_hash)})"
        if not found:
            app.echo(head + ": nothing changed since.")
            continue
        noun = "delivery differs" if len(found) == 1 else "deliveries differ"
        app.echo(head + f"; {len(found)} {noun} since:")
        for item in found:
            _show(app, item)
    if fmt == "json":
        app.echo(json.dumps({"version": 1, "campaigns": out}, indent=2, ensure_ascii=False))
    raise SystemExit(1 if changed else 0)


def _show(app: AppContext, item: DeliveryDiff) -> None:
    if item.what == "new":
        app.echo(f"  {app.style('new', fg='yellow', bold=True)}      {item.key}: never approved")
        return
    if item.what == "removed":
        app.echo(
            f"  {app.style('removed', fg='red', bold=True)}  {item.key}: "
            "approved, no longer in the plan"
        )
        return
    app.echo(f"  {app.style('changed', fg='yellow', bold=True)}  {item.key}:")
    for c in item.changes:
        if c.field != "text":
            app.echo(f"    {c.words}")
            continue
        parts = []
        for w in c.text:
            if w.kind == "removed":
                parts.append(app.style(f"[-{w.text}-]", fg="red"))
            elif w.kind == "added":
                parts.append(app.style(f"{{+{w.text}+}}", fg="green"))
            else:
                parts.append(w.text)
        joined = "".join(p if p.endswith((" ", "\n")) else p + " " for p in parts).rstrip()
        app.echo("    text: " + joined.replace("\n", "\n          "))


def _json(slug: str, last: Any, found: list[DeliveryDiff], planned: int) -> dict[str, Any]:
    return {
        "campaign": slug,
        "signed_off": None
        if last is None
        else {
            "by": last.by,
            "at": last.at_utc.isoformat(),
            "note": last.note,
            "plan": last.plan_hash,
        },
        "planned": planned,
        "changed": [
            {
                "key": item.key,
                "what": item.what,
                "changes": [
                    {
                        "field": c.field,
                        "words": c.words,
                        **(
                            {"text": [{"kind": w.kind, "text": w.text} for w in c.text]}
                            if c.text
                            else {}
                        ),
                    }
                    for c in item.changes
                ],
            }
            for item in found
        ],
    }
