"""People's hands on the ledger: retry, cancel, pause, resume, resolve.

Each command parses its options, calls one ledger verb (:mod:`clarion.ledger.people`) and says
what it did. What undoes what: `cancel KEY` by `retry KEY`; `cancel CAMPAIGN` by
`retry CAMPAIGN`; `pause CAMPAIGN` by `resume CAMPAIGN`. `schedule` never undoes a person's cancel.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from clarion.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

T = TypeVar("T")


def _actor(command: str) -> str:
    try:
        who = getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        who = "someone"
    return f"{who} via clarion {command}"


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


def _do(app: AppContext, command: str, verb: Callable[[Ledger, str, int], T]) -> T:
    """Run one ledger verb as ``command``; a refusal is a plain-words error (exit 1)."""
    from clarion.ledger.states import TransitionError

    try:
        return verb(app.ledger(), _actor(command), _now())
    except TransitionError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("retry")
@click.argument("target", metavar="KEY|CAMPAIGN")
@pass_app
def retry_cmd(app: AppContext, target: str) -> None:
    """Send a failed, missed or cancelled delivery again (at its own time if still to come).

    KEY: that delivery, and its thread parts with it; if its time has passed it goes out at the
    next run, else at its own time. CAMPAIGN: every delivery `clarion cancel CAMPAIGN`
    cancelled waits again.
    """
    from clarion.ledger.rows import from_ms

    if ":" not in target:
        done = _do(app, "retry", lambda led, who, now: led.retry_campaign(target, who, now))
        app.echo(f"{target}: {done} cancelled deliveries waiting again.")
        return
    r = _do(app, "retry", lambda led, who, now: led.retry(target, who, now))
    parts = f" with {r.parts} thread part{'s' if r.parts != 1 else ''}" if r.parts else ""
    when = (
        "the next run sends it"
        if r.now
        else f"it goes out at its time, {from_ms(r.row.due_ms):%Y-%m-%d %H:%M} UTC"
    )
    app.echo(f"{target}: pending again{parts}; {when}.")


@click.command("cancel")
@click.argument("target", metavar="KEY|CAMPAIGN")
@pass_app
def cancel_cmd(app: AppContext, target: str) -> None:
    """Cancel one delivery (KEY) or every unsent delivery of a campaign.

    `clarion schedule` does not bring a cancelled delivery back; `clarion retry KEY` (or
    `clarion retry CAMPAIGN`, for a whole campaign) does.
    """
    if ":" in target:
        _do(app, "cancel", lambda led, who, now: led.cancel(target, who, now))
        app.echo(f"{target}: cancelled.")
        return
    done = _do(app, "cancel", lambda led, who, now: led.cancel_campaign(target, who, now))
    app.echo(f"{target}: {done} unsent deliveries cancelled.")


@click.command("pause")
@click.argument("campaign")
@pass_app
def pause_cmd(app: AppContext, campaign: str) -> None:
    """Hold every unsent delivery of CAMPAIGN until `clarion resume`."""
    done = _do(app, "pause", lambda led, who, now: led.pause_campaign(campaign, who, now))
    app.echo(f"{campaign}: paused ({done} deliveries held).")


@click.command("resume")
@click.argument("campaign")
@pass_app
def resume_cmd(app: AppContext, campaign: str) -> None:
    """Let a paused campaign's deliveries go out again (late ones become missed)."""
    done = _do(app, "resume", lambda led, who, now: led.resume_campaign(campaign, who, now))
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
    if bool(url) == not_published:
        raise click.UsageError("Say either --published URL or --not-published.")
    _do(app, "resolve", lambda led, who, now: led.resolve(key, url, post_id, who, now))
    app.echo(f"{key}: published." if url else f"{key}: will be sent again at the next run.")
