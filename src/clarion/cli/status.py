"""``clarion status`` and ``clarion history``: what the ledger says, for people and scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import output_format

if TYPE_CHECKING:
    import datetime as dt

    from clarion.ledger.store import Ledger


def local(instant: dt.datetime, zone: str) -> str:
    """An instant as local time with its offset, e.g. 2022-07-04 09:00 (+01:00)."""
    from zoneinfo import ZoneInfo

    t = instant.astimezone(ZoneInfo(zone))
    off = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} ({off[:3]}:{off[3:]})"


@click.command("status")
@click.argument("campaign", required=False)
@output_format("table", "json")
@pass_app
def status_cmd(app: AppContext, campaign: str | None, fmt: str) -> None:
    """Counts by state, the next delivery due, and every delivery that needs attention.

    Needs attention: failed, unconfirmed and missed deliveries, each with its reason; and
    paused accounts. Give CAMPAIGN (its slug) to see one campaign.
    """
    from clarion.ledger.states import State

    ledger = app.ledger()
    known = [c.slug for c in ledger.campaigns()]
    if campaign and campaign not in known:
        raise click.ClickException(
            f"No campaign {campaign!r} in the ledger. Scheduled: "
            + (", ".join(known) or "none")
            + "."
        )
    out: list[dict[str, Any]] = []
    for summary in ledger.status(campaign):
        zone, upcoming = summary.info.timezone, summary.next_due
        out.append(
            {
                "campaign": summary.info.slug,
                "name": summary.info.name,
                "timezone": zone,
                "paused": summary.info.paused,
                "counts": {s.value: summary.counts.get(s, 0) for s in State},
                "next_due": None
                if upcoming is None
                else {
                    "key": upcoming.key,
                    "at": local(upcoming.due, zone),
                    "at_utc": upcoming.due.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "attention": [
                    {"key": r.key, "state": r.state.value, "due": local(r.due, zone), "reason": why}
                    for r, why in summary.attention
                ],
            }
        )
    accounts = [
        {"platform": a.platform, "account": a.account, "reason": a.reason}
        for a in ledger.paused_accounts()
    ]
    notifiers = notifier_entries(ledger)
    if fmt == "json":
        app.echo(
            json.dumps(
                {
                    "version": 1,
                    "campaigns": out,
                    "paused_accounts": accounts,
                    "alerts_undelivered": notifiers,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not out:
        app.echo("Nothing scheduled yet. Run: clarion schedule campaigns/YOUR-CAMPAIGN.yaml")
    for c in out:
        head = f"{c['campaign']} — {c['name']} ({c['timezone']})"
        app.echo(app.style(head, bold=True) + ("  [paused]" if c["paused"] else ""))
        shown = [f"{k} {v}" for k, v in c["counts"].items() if v]
        app.echo("  " + (" · ".join(shown) or "no deliveries"))
        if c["next_due"]:
            app.echo(f"  next due: {c['next_due']['at']}  {c['next_due']['key']}")
        if c["attention"]:
            app.echo("  needs attention:")
            for a in c["attention"]:
                app.echo(f"    {a['state']:11s} {a['key']}  due {a['due']}: {a['reason']}")
    if accounts:
        app.echo(app.style("Paused accounts:", bold=True))
        for acc in accounts:
            app.echo(
                f"  {acc['platform']} {acc['account']}: {acc['reason']} "
                "(run `clarion accounts check` once it is fixed)"
            )
    if notifiers:
        app.echo(app.style("Alerts not delivered:", bold=True))
        for n in notifiers:
            app.echo(
                f"  {n['target']}: {n['undelivered']} not delivered, last tried {n['last_tried']}: "
                f"{n['error']} ({'tried again by the next run' if n['retrying'] else 'given up'}; "
                "`clarion notify test` checks it)"
            )


@click.command("history")
@click.argument("key")
@output_format("table", "json")
@pass_app
def history_cmd(app: AppContext, key: str, fmt: str) -> None:
    """Every change of one delivery: when, who, from which state to which, and why."""
    ledger = app.ledger()
    row = ledger.get(key)
    if row is None:
        raise click.ClickException(f"No delivery {key!r} in the ledger.")
    events = ledger.events(key)
    if fmt == "json":
        app.echo(
            json.dumps(
                {
                    "version": 1,
                    "key": key,
                    "state": row.state.value,
                    "events": [
                        {
                            "at": e.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                            "actor": e.actor,
                            "from": e.from_state.value if e.from_state else None,
                            "to": e.to_state.value,
                            "reason": e.reason,
                        }
                        for e in events
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    app.echo(f"{key}: {row.state.value}" + (f"  {row.platform_url}" if row.platform_url else ""))
    for e in events:
        src = e.from_state.value if e.from_state else "—"
        app.echo(
            f"  {e.at:%Y-%m-%d %H:%M:%S}Z  {src:>11s} → {e.to_state.value:11s} "
            f"{e.actor}: {e.reason}"
        )


def notifier_entries(ledger: Ledger) -> list[dict[str, Any]]:
    """Alert targets that did not get some alerts in the last week (clarion.alerts)."""
    from clarion.alerts import notifier_problems

    return [
        {
            "target": p.target,
            "undelivered": p.undelivered,
            "error": p.error,
            "last_tried": p.last_tried.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "retrying": p.retrying,
        }
        for p in notifier_problems(ledger)
    ]
