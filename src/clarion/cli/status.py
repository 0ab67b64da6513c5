"""``clarion status`` and ``clarion history``: what the ledger says, for people and scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import output_format

if TYPE_CHECKING:
    import datetime as dt

    from clarion.ledger.approvals import Awaiting
    from clarion.ledger.health import Stranded
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
@click.option(
    "--check",
    is_flag=True,
    help="For monitoring systems (Nagios, Icinga, Uptime Kuma...): one line, exit 0 OK, "
    "1 WARNING (a person is needed), 2 CRITICAL (publishing is not happening).",
)
@pass_app
def status_cmd(app: AppContext, campaign: str | None, fmt: str, check: bool) -> None:
    """Counts by state, the next delivery due, and every delivery that needs attention.

    Needs attention: failed, unconfirmed and missed deliveries, each with its reason; deliveries
    left claimed or half-sent by a run that is gone; and paused accounts. Give CAMPAIGN (its
    slug) to see one campaign. `--check` prints one line for a monitoring system instead.
    """
    if check:
        raise SystemExit(check_line(app, campaign))
    from clarion.ledger import health
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
    left = health.stranded(ledger, real_now_ms())  # claims whose run is gone
    held = signoff_entries(ledger)
    for summary in ledger.status(campaign):
        zone, upcoming = summary.info.timezone, summary.next_due
        waits = held.get(summary.info.slug, [])
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
                "awaiting_signoff": len(waits),
                "attention": [
                    {"key": r.key, "state": r.state.value, "due": local(r.due, zone), "reason": why}
                    for r, why in summary.attention
                ]
                + [
                    {
                        "key": w.row.key,
                        "state": "awaiting sign-off",
                        "due": local(w.row.due, zone),
                        "reason": f"{w.cause}; {fix}",
                    }
                    for w, fix in waits
                ],
                "stranded": [
                    stranded_entry(s, zone) for s in left if s.row.campaign == summary.info.slug
                ],
            }
        )
    accounts = [
        {"platform": a.platform, "account": a.account, "reason": a.reason}
        for a in ledger.paused_accounts()
    ]
    notifiers = notifier_entries(ledger)
    beat = heartbeat_entry()
    if fmt == "json":
        app.echo(
            json.dumps(
                {
                    "version": 1,
                    "campaigns": out,
                    "paused_accounts": accounts,
                    "alerts_undelivered": notifiers,
                    "heartbeat": beat,
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
        if c["awaiting_signoff"]:
            shown.append(f"awaiting sign-off {c['awaiting_signoff']}")
        app.echo("  " + (" · ".join(shown) or "no deliveries"))
        if c["next_due"]:
            app.echo(f"  next due: {c['next_due']['at']}  {c['next_due']['key']}")
        if c["attention"]:
            app.echo("  needs attention:")
            for a in c["attention"]:
                app.echo(f"    {a['state']:11s} {a['key']}  due {a['due']}: {a['reason']}")
        if c["stranded"]:
            app.echo("  left by a run that is gone:")
            for a in c["stranded"]:
                app.echo(f"    {a['state']:11s} {a['key']}  {a['why']}; {a['next']}")
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
                f"  {n['target']}: {n['undelivered']} not delivered, last tried "
                f"{on_this_machine(n['last_tried'])}: "
                f"{n['error']} ({'tried again by the next run' if n['retrying'] else 'given up'}; "
                "`clarion notify test` checks it)"
            )
    if beat is not None and beat["ok"] is False:
        app.echo(
            f"Last heartbeat NOT heard by {beat['target']}: {beat['detail']} "
            f"(at {on_this_machine(beat['at'])}); "
            "an outside monitor may report that Clarion stopped: check CLARION_HEARTBEAT_URL "
            "and this machine's network"
        )


def signoff_entries(ledger: Ledger) -> dict[str, list[tuple[Awaiting, str]]]:
    """Campaign -> its waiting deliveries held for sign-off, each with the commands that fix it."""
    from clarion.ledger import approvals, notices

    out: dict[str, list[tuple[Awaiting, str]]] = {}
    for w in approvals.awaiting(ledger):
        file = notices.campaign_file(ledger, w.row.campaign) or "CAMPAIGN.yaml"
        fix = f"see `clarion diff {file}`, then `clarion approve {file} --by NAME`"
        out.setdefault(w.row.campaign, []).append((w, fix))
    return out


def real_now_ms() -> int:
    import time

    return int(time.time() * 1000)


def stranded_entry(s: Stranded, zone: str) -> dict[str, Any]:
    """A delivery a gone run left claimed or half-sent: what happened, what happens next, and
    what to do."""
    from clarion.ledger.rows import from_ms
    from clarion.ledger.states import State

    row = s.row
    when = "the next run"
    if s.from_ms is not None:
        when = f"the first run after {local(from_ms(s.from_ms), zone)}"
    if row.state == State.CLAIMED:
        then = f"nothing was sent: {when} sends it (or marks it missed if it is too late)"
    else:
        then = (
            f"it was being sent: {when} asks {row.platform} whether the post arrived "
            "(unconfirmed until then)"
        )
    todo = "nothing to do if cron or the daemon runs `clarion run-due`; otherwise run it now"
    return {
        "key": row.key,
        "state": row.state.value,
        "owner": row.lease_owner,
        "lease_until": None
        if row.lease_until_ms is None
        else local(from_ms(row.lease_until_ms), zone),
        "why": f"its run ({row.lease_owner}) is gone: {s.why}",
        "next": f"{then}; {todo}",
        "taken_back_at_once": s.from_ms is None,
    }


def heartbeat_entry() -> dict[str, Any] | None:
    """The last heartbeat (CLARION_HEARTBEAT_URL) of this machine, when one is set up: when,
    heard or not, by which host (never the URL's path, which holds its token)."""
    from clarion.monitoring import heartbeat

    found = heartbeat.find_url()
    if found is None:
        return None
    done = heartbeat.last()
    if done is None:
        return {"at": None, "ok": None, "detail": "no run has pinged it yet", "target": None}
    return {
        "at": time_utc(done.at_ms),
        "ok": done.ok,
        "detail": done.detail,
        "target": done.target,
    }


def on_this_machine(iso: str | None) -> str:
    """An instant of the JSON (``2026-12-03T14:38:35Z``) as this machine's local time with its
    offset, as the table shows times: 2026-12-03 14:38 (+00:00)."""
    import datetime as dt

    if not iso:
        return "never"
    t = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    off = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} ({off[:3]}:{off[3:]})"


def time_utc(at_ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_line(app: AppContext, campaign: str | None) -> int:
    """``status --check``: the verdict of :func:`clarion.monitoring.check.assess` as one plugin
    line; the exit status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN for a campaign not there)."""
    from clarion.monitoring.check import Facts, assess
    from clarion.secrets import redact

    try:
        from clarion.monitoring.facts import gather

        ledger = app.ledger()
        if campaign and campaign not in {c.slug for c in ledger.campaigns()}:
            app.echo(f"CLARION UNKNOWN - no campaign {campaign!r} in the ledger")
            return 3
        notifiers = tuple(f"{n['target']}: {n['error']}" for n in notifier_entries(ledger))
        facts = gather(ledger, campaign, notifiers=notifiers)
    except Exception as exc:  # the ledger cannot be opened or read: that is the news
        words = str(exc).strip().splitlines()
        facts = Facts(ledger_error=redact(words[0] if words else type(exc).__name__))
    verdict = assess(facts)
    said = ", ".join(f.words for f in verdict.findings) or "all well"
    perf = " ".join(f"{k}={v}" for k, v in verdict.perfdata.items())
    app.echo(f"CLARION {verdict.label} - {said}" + (f" | {perf}" if perf else ""))
    return int(verdict.level)


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
