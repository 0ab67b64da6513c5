"""People's hands on the ledger: retry, cancel, pause, resume, resolve."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Any

import click

from clarion.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from clarion.ledger.rows import DeliveryRow
    from clarion.ledger.store import Ledger


def _actor(command: str) -> str:
    try:
        who = getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        who = "someone"
    return f"{who} via clarion {command}"


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


def _row(ledger: Ledger, key: str) -> DeliveryRow:
    row = ledger.get(key)
    if row is None:
        raise click.ClickException(f"No delivery {key!r} in the ledger (see `clarion status`).")
    return row


def _do(ledger: Ledger, row: DeliveryRow, to: Any, why: str, actor: str, **fields: Any) -> None:
    from clarion.ledger.store import TransitionError

    try:
        ledger.person_move(row, to, why, actor, _now(), **fields)
    except TransitionError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("retry")
@click.argument("key")
@pass_app
def retry_cmd(app: AppContext, key: str) -> None:
    """Send a failed, missed or cancelled delivery again, at the next run."""
    from clarion.ledger.states import State

    ledger = app.ledger()
    row = _row(ledger, key)
    if row.state not in (State.FAILED, State.MISSED, State.CANCELLED, State.RETRY):
        raise click.ClickException(
            f"{key} is {row.state.value}; only failed, missed, cancelled "
            "or retrying deliveries can be retried."
        )
    now = _now()
    due = max(row.due_ms, now)
    why = "retry asked for by a person" + ("" if due == row.due_ms else "; due now")
    actor = _actor("retry")
    _do(
        ledger,
        row,
        State.PENDING,
        why,
        actor,
        due_ms=due,
        attempts=0,
        not_before_ms=None,
        last_error=None,
    )
    # Its thread parts follow it again (they could not go out without it).
    follow = 0
    child = ledger.select("reply_to = ?", (key,))
    while child:
        part = child[0]
        if part.state in (State.FAILED, State.MISSED, State.CANCELLED):
            ledger.move(
                part,
                State.PENDING,
                f"follows {key}, retried by a person",
                actor,
                now,
                due_ms=max(part.due_ms, due),
                attempts=0,
                not_before_ms=None,
                last_error=None,
            )
        elif part.state in (State.PENDING, State.RETRY, State.PAUSED):
            ledger.db.execute(
                "UPDATE deliveries SET due_ms = ? WHERE id = ?", (max(part.due_ms, due), part.id)
            )
        else:
            break
        follow += 1
        child = ledger.select("reply_to = ?", (part.key,))
    parts = f" with {follow} thread part{'s' if follow != 1 else ''}" if follow else ""
    app.echo(f"{key}: pending again{parts}; the next run sends it.")


@click.command("cancel")
@click.argument("target", metavar="KEY|CAMPAIGN")
@pass_app
def cancel_cmd(app: AppContext, target: str) -> None:
    """Cancel one delivery (KEY) or every unsent delivery of a campaign."""
    from clarion.ledger.states import State

    ledger = app.ledger()
    actor = _actor("cancel")
    if ":" in target:
        _do(ledger, _row(ledger, target), State.CANCELLED, "cancelled by a person", actor)
        app.echo(f"{target}: cancelled.")
        return
    rows = ledger.select("campaign = ? AND state IN ('pending', 'retry', 'paused')", (target,))
    if not rows and target not in {c[0] for c in ledger.campaigns()}:
        raise click.ClickException(f"No campaign or delivery {target!r} in the ledger.")
    done = sum(
        ledger.move(r, State.CANCELLED, "campaign cancelled by a person", actor, _now())
        for r in rows
    )
    app.echo(f"{target}: {done} unsent deliveries cancelled.")


def _set_paused(ledger: Ledger, slug: str, paused: bool) -> None:
    if (
        ledger.db.execute("UPDATE campaigns SET paused = ? WHERE slug = ?", (int(paused), slug))
        == 0
    ):
        raise click.ClickException(f"No campaign {slug!r} in the ledger.")


@click.command("pause")
@click.argument("campaign")
@pass_app
def pause_cmd(app: AppContext, campaign: str) -> None:
    """Hold every unsent delivery of CAMPAIGN until `clarion resume`."""
    from clarion.ledger.states import State

    ledger = app.ledger()
    _set_paused(ledger, campaign, True)
    rows = ledger.select("campaign = ? AND state IN ('pending', 'retry')", (campaign,))
    done = sum(
        ledger.move(r, State.PAUSED, "campaign paused by a person", _actor("pause"), _now())
        for r in rows
    )
    app.echo(f"{campaign}: paused ({done} deliveries held).")


@click.command("resume")
@click.argument("campaign")
@pass_app
def resume_cmd(app: AppContext, campaign: str) -> None:
    """Let a paused campaign's deliveries go out again (late ones become missed)."""
    from clarion.ledger.states import State

    ledger = app.ledger()
    _set_paused(ledger, campaign, False)
    blocked = {(p, a) for p, a, _ in ledger.paused_accounts()}
    rows = [
        r
        for r in ledger.select("campaign = ? AND state = 'paused'", (campaign,))
        if (r.platform, r.account) not in blocked
    ]
    done = sum(
        ledger.move(r, State.PENDING, "campaign resumed by a person", _actor("resume"), _now())
        for r in rows
    )
    app.echo(f"{campaign}: resumed ({done} deliveries waiting again).")


@click.command("resolve")
@click.argument("key")
@click.option("--published", "url", metavar="URL", help="It is on the platform, at URL.")
@click.option("--id", "post_id", help="The platform's id of the post (default: from the URL).")
@click.option("--not-published", is_flag=True, help="It is not on the platform: send it again.")
@pass_app
def resolve_cmd(
    app: AppContext, key: str, url: str | None, post_id: str | None, not_published: bool
) -> None:
    """Settle an unconfirmed delivery after checking the platform by hand."""
    from clarion.ledger.states import State

    if bool(url) == not_published:
        raise click.UsageError("Say either --published URL or --not-published.")
    ledger = app.ledger()
    row = _row(ledger, key)
    if row.state != State.UNCONFIRMED:
        raise click.ClickException(f"{key} is {row.state.value}, not unconfirmed.")
    actor = _actor("resolve")
    if url:
        pid = post_id or url.rstrip("/").rsplit("/", 1)[-1]
        _do(
            ledger,
            row,
            State.PUBLISHED,
            f"a person confirmed it is published at {url}",
            actor,
            platform_url=url,
            platform_id=pid,
            lease_owner=None,
            lease_until_ms=None,
        )
        app.echo(f"{key}: published.")
    else:
        _do(
            ledger,
            row,
            State.RETRY,
            "a person confirmed it is not on the platform",
            actor,
            due_ms=max(row.due_ms, _now()),
            not_before_ms=None,
        )
        app.echo(f"{key}: will be sent again at the next run.")
