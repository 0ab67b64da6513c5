"""``clarion preview``: the plan of the week, exactly as it will be sent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.completion import PlatformChoice
from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import Day, campaign_files, output_format

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.delivery import Delivery, Media
    from clarion.planner import Fit
    from clarion.render.seen import Ledgered
    from clarion.signoff import SignOff


@click.command("preview")
@campaign_files
@click.option(
    "--platform",
    "only",
    multiple=True,
    type=PlatformChoice(),
    help="Show only this platform (repeat for several).",
)
@click.option(
    "--from", "start", type=Day(), help="First day to show: 2022-07-04, or 04/07/2022 (day first)."
)
@click.option("--to", "end", type=Day(), help="Last day to show (written like --from).")
@output_format("table", "json", "requests", "html", "ics")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of the screen (for html and ics).",
)
@pass_app
def preview_cmd(
    app: AppContext,
    files: tuple[Path, ...],
    only: tuple[str, ...],
    start: dt.date | None,
    end: dt.date | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Show what will go out where and when, with the final text of every post.

    Days are the campaign's local days; --from and --to take dates like 2022-07-04.
    --format requests prints each platform's exact request (what `run-due --dry-run` shows at
    the time), built by the same code that sends it. --format html writes one self-contained page
    of the week (open it offline, attach it to an email); --format ics a calendar file of the
    week's posts. Use -o FILE for both.
    An invalid campaign prints its problems and exits with status 1 (the html page shows them at
    its top).
    """
    from clarion.cli.validate import checked_or_exit

    if fmt in ("html", "ics"):
        _render(app, files, fmt, output, only, start, end)
        return
    result = checked_or_exit(app, files)
    chosen = _choose(result.deliveries, only, start, end)
    seen = ledger_view(app, [c.slug for c in result.campaigns], {d.key for d in result.deliveries})
    if fmt == "requests":
        app.echo(json.dumps(_requests(chosen), indent=2, ensure_ascii=False))
        return
    if fmt == "json":
        from clarion.planner import sort_key

        chosen.sort(key=sort_key)
        # One delivery per line: readable, and written as it goes (C encoder, little memory).
        encode = json.JSONEncoder(ensure_ascii=False).encode
        fits = result.fits
        for i in range(0, len(chosen), 1000):
            lead = "[\n  " if i == 0 else ",\n  "
            lines = ",\n  ".join(
                encode(as_json(d, fits[d.key], _state(seen, d))) for d in chosen[i : i + 1000]
            )
            click.echo(lead + lines, nl=False)
        click.echo("\n]" if chosen else "[]")
        return
    from clarion.cli.table import render_week

    app.echo(render_week(app, result.campaigns, chosen, result.fits, seen))
    for line in cost_lines(chosen):
        app.echo(line)


def cost_lines(chosen: list[Delivery]) -> list[str]:
    """What the shown posts would cost where a platform charges for posting (X's pay-per-use
    prices, from its descriptor): one line per such platform."""
    from clarion.platforms import limits, quotas

    return [c.line() for c in quotas.costs(chosen, limits.for_account)]


#: How the views name a delivery held for sign-off (``state`` in JSON, the table's badge).
AWAITING = "awaiting_signoff"


def ledger_view(app: AppContext, slugs: list[str], planned: set[str]) -> Ledgered | None:
    """What the ledger in use says of these campaigns' deliveries (``planned``: the keys the
    files plan now; the ledger's cancelled deliveries not among them were removed from the
    file); None when there is no ledger yet (a preview never creates one) or it has none of
    these campaigns."""
    from clarion.ledger import approvals
    from clarion.ledger.quick import sqlite_path
    from clarion.render.seen import Ledgered, Seen

    path = sqlite_path(app.database_url)
    if path is not None and not path.exists():
        return None
    ledger = app.ledger()
    scheduled = frozenset(slugs) & {c[0] for c in ledger.campaigns()}
    if not scheduled:
        return None
    found = ledger.view_states(sorted(scheduled))
    states = {k: Seen(v.state.value, v.platform_url, v.reason or None) for k, v in found.items()}
    # A pending delivery held for sign-off is shown as such, with why ("the text changed after
    # it was approved on 2 June by Sam"): run-due will not send it as it stands.
    for key, why in approvals.awaiting_in(ledger, sorted(scheduled)).items():
        if key in states:
            states[key] = Seen(AWAITING, None, why)
    removed: list[Delivery] = []
    for key, v in found.items():
        if key not in planned and v.state.value == "cancelled":
            row = ledger.get(key)
            if row is not None:
                removed.append(row.delivery)
    return Ledgered(states, scheduled, tuple(removed))


def known_names(app: AppContext) -> dict[tuple[str, str], str]:
    """Who each account posts as, as ``accounts check`` learned it (none without a ledger: a
    preview never creates one)."""
    from clarion.ledger import accounts
    from clarion.ledger.quick import sqlite_path

    path = sqlite_path(app.database_url)
    if path is not None and not path.exists():
        return {}
    return accounts.names(app.ledger())


def signoff_view(
    app: AppContext, campaigns: list[Loaded], deliveries: list[Delivery]
) -> dict[str, SignOff]:
    """Each campaign's last sign-off in the ledger in use and how the plan stands against it
    (none when there is no ledger yet: a preview never creates one)."""
    from clarion.ledger import approvals
    from clarion.ledger.quick import sqlite_path

    path = sqlite_path(app.database_url)
    if path is not None and not path.exists():
        return {}
    ledger = app.ledger()
    plans: dict[str, list[Delivery]] = {c.slug: [] for c in campaigns}
    for d in deliveries:
        plans.setdefault(d.campaign, []).append(d)
    return {
        c.slug: approvals.signoff(
            ledger, c.slug, plans[c.slug], require=c.campaign.approval == "required"
        )
        for c in campaigns
    }


def _state(seen: Ledgered | None, d: Delivery) -> str | None:
    found = seen.of(d) if seen is not None else None
    return found.state if found is not None else None


def as_json(d: Delivery, fit: Fit, state: str | None) -> dict[str, Any]:
    """The preview's JSON item: exactly these keys. ``state``: the delivery's state in the
    ledger, None when its campaign is not scheduled there."""
    return {
        "key": d.key,
        "campaign": d.campaign,
        "post": d.post,
        "platform": d.platform,
        "at": d.at.isoformat(),
        "at_utc": d.at_utc.replace(tzinfo=None).isoformat() + "Z",
        "text": d.text,
        "length": fit.length,
        "limit": fit.limit,
        "images": [{"path": m.path, "alt": m.alt, "sent": _sent(d, m)} for m in d.media],
        "thread_index": d.thread_index,
        "reply_to": d.reply_to,
        "state": state,
    }


def _sent(d: Delivery, m: Media) -> dict[str, Any] | None:
    """The image as the platform is sent it (prepared: upright, without its location, within
    the platform's limits): its file, sha256, bytes, width, height, type and what was done."""
    from clarion.platforms import images, limits

    try:
        return images.prepare(m.file, limits.for_account(d.platform, d.account), m.sha256).as_json()
    except (OSError, ValueError, LookupError):
        return None


def _requests(chosen: list[Delivery]) -> dict[str, Any]:
    """The request each delivery becomes, from its platform's adapter (``build``: nothing is
    sent, no credentials are read). A reply shows ``<id of KEY>`` where the id of the post it
    answers will go once that is published."""
    from clarion.cli.run import adapter_factory
    from clarion.planner import sort_key

    make = adapter_factory(dry=True)
    out = []
    for d in sorted(chosen, key=sort_key):
        request = make(d.platform, d.account).build(d)
        out.append(
            {
                "key": request.key,
                "platform": request.platform,
                "account": request.account,
                "due": request.due,
                "payload": request.payload,
                **({"images": list(request.images)} if request.images else {}),
            }
        )
    return {"version": 1, "requests": out}


def _choose(
    deliveries: list[Delivery],
    only: tuple[str, ...],
    start: dt.date | None,
    end: dt.date | None,
) -> list[Delivery]:
    """The deliveries on the chosen platforms and local days (--platform, --from, --to)."""
    return [
        d
        for d in deliveries
        if (not only or d.platform in only)
        and (start is None or d.at.date() >= start)
        and (end is None or d.at.date() <= end)
    ]


def _render(
    app: AppContext,
    files: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    only: tuple[str, ...],
    start: dt.date | None,
    end: dt.date | None,
) -> None:
    """The html page or the ics calendar of the week, to ``output`` or the screen."""
    from clarion.cli.validate import check, report_problems

    result, paths = check(files)
    chosen = _choose(result.deliveries, only, start, end)
    seen = ledger_view(app, [c.slug for c in result.campaigns], {d.key for d in result.deliveries})
    if fmt == "html":
        from clarion.cli.options import expand
        from clarion.render import html
        from clarion.render._html_partial import salvage

        # An invalid campaign still shows every card it can plan, its problems on them.
        result, faults = salvage(result, paths, expand(files)[1])
        chosen = _choose(result.deliveries, only, start, end)
        signoffs = signoff_view(app, result.campaigns, result.deliveries)
        page = html.render(
            result, chosen, ledger=seen, signoffs=signoffs, handles=known_names(app), faults=faults
        )
        data = page.encode("utf-8")
    else:
        if not result.ok:  # a calendar of a week that cannot go out would mislead
            report_problems(app, result.problems, len(paths), err=True)
            raise SystemExit(1)
        from clarion.render import ics

        data = ics.render(result, chosen, ledger=seen)
    if output is None:
        import sys

        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        app.echo(f"Wrote {output} ({len(data):,} bytes).", err=True)
    if not result.ok:
        report_problems(app, result.problems, len(paths), err=True)
        raise SystemExit(1)
