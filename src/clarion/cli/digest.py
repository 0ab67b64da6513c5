"""``clarion digest``: what went out, what goes out today, what needs a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import Instant, output_format

if TYPE_CHECKING:
    import datetime as dt


@click.command("digest")
@click.option(
    "--send",
    is_flag=True,
    help="Also send it to every CLARION_NOTIFY target; the next digest then starts from now.",
)
@click.option(
    "--pretend-now",
    type=Instant(),
    hidden=True,
    help="For tests only: the digest as of this instant.",
)
@output_format("text", "json")
@pass_app
def digest_cmd(app: AppContext, send: bool, pretend_now: dt.datetime | None, fmt: str) -> None:
    """The daily digest: what went out, what goes out today, what needs a person.

    What went out since the last digest sent (with links), what goes out for the rest of today
    (local times) and what needs a person, with the command that fixes each. Printing alone
    sends nothing and changes nothing. With --send (for cron: `0 8 * * * clarion digest --send`)
    it also goes to every CLARION_NOTIFY target; exit status 1 if none got it.
    """
    import json

    from clarion.alerts import build_digest, send_digest
    from clarion.settings import SettingsError

    ledger = app.ledger()
    try:
        made = build_digest(ledger, pretend_now)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        app.echo(json.dumps(made.as_json(), indent=2, ensure_ascii=False))
    else:
        app.echo(made.text())
    if not send:
        return
    sent = send_digest(ledger, made)
    if sent.source is None:
        from clarion.cli.notify import NOT_SET

        app.echo(NOT_SET, err=True)
        raise SystemExit(1)
    for r in sent.results:
        if not r.ok:
            app.echo(f"digest not sent to {r.target}: {r.error}", err=True)
    if not sent.ok:
        app.echo("The digest reached no target; `clarion notify test` checks them.", err=True)
        raise SystemExit(1)
