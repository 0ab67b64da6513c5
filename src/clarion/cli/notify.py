"""``clarion notify test``: does every alert target get Clarion's alerts?"""

from __future__ import annotations

import click

from clarion.cli.context import AppContext, pass_app

NOT_SET = (
    "CLARION_NOTIFY is not set, so Clarion sends no alerts. Set it to one or more apprise URLs "
    "(separated by spaces or commas), in the environment, the .env file or the system keyring, "
    "for example:\n"
    "  CLARION_NOTIFY='mailtos://alerts:PASSWORD@smtp.example.org?to=comms@example.org'\n"
    "  keyring set clarion notify      (asks for the value; kept in the system keyring)\n"
    "See docs/running.md, 'Alerts and the daily digest'."
)


@click.group("notify")
def notify_group() -> None:
    """Alerts: where they go (CLARION_NOTIFY) and whether they get there."""


@notify_group.command("test")
@pass_app
def test_cmd(app: AppContext) -> None:
    """Send a test alert to every target in CLARION_NOTIFY and say which got it.

    Exit status 1 if any target did not get it (or none is set).
    """
    from clarion.alerts import send_test

    sent = send_test()
    if sent.source is None:
        app.echo(NOT_SET, err=True)
        raise SystemExit(1)
    if not sent.results:
        app.echo(f"CLARION_NOTIFY ({sent.source}) holds no URL.", err=True)
        raise SystemExit(1)
    app.echo(f"Targets from {sent.source}:")
    for r in sent.results:
        if r.ok:
            app.echo(f"  {app.style('sent', fg='green', bold=True)}      {r.target}")
        else:
            app.echo(f"  {app.style('not sent', fg='red', bold=True)}  {r.target}: {r.error}")
    if not all(r.ok for r in sent.results):
        raise SystemExit(1)
