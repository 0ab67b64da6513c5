"""``clarion accounts``: can each account the ledger uses post, as whom, until when."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from clarion.cli.completion import PlatformChoice
from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import output_format

if TYPE_CHECKING:
    import datetime as dt

    from clarion.ledger.store import Ledger
    from clarion.platforms.adapter import AccountStatus
    from clarion.platforms.base import Platform
    from clarion.platforms.quotas import QuotaWarning


@click.group("accounts")
def accounts_group() -> None:
    """Save and check the platform accounts your campaigns post with."""


@accounts_group.command("check")
@click.option("--platform", "only", type=PlatformChoice(), help="Check only this platform.")
@output_format("table", "json")
@pass_app
def check_cmd(app: AppContext, only: str | None, fmt: str) -> None:
    """Check every account the scheduled campaigns use: can it post, as whom, until when.

    An account that passes is un-paused (its held deliveries wait again). Exit status 1 if
    any account cannot post.
    """
    import datetime as dt

    from clarion.cli.run import adapter_factory
    from clarion.platforms.adapter import AccountStatus, adapter_class
    from clarion.platforms.expiry import describe

    ledger = app.ledger()
    used = ledger.accounts_in_use()
    if only and not any(platform == only for platform, _ in used):
        used = [*used, (only, "default")]  # checked before any campaign is scheduled on it
    make = adapter_factory(dry=False)
    results: list[AccountStatus] = []
    for platform, account in sorted(used):
        if only and platform != only:
            continue
        if adapter_class(platform) is None:
            results.append(
                AccountStatus(
                    platform, account, False, problem="no adapter is installed for this platform"
                )
            )
            continue
        try:
            results.append(make(platform, account).check())
        except Exception as exc:  # a broken credential store must not hide the others
            from clarion.secrets import redact

            results.append(AccountStatus(platform, account, False, problem=redact(str(exc))))
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    from clarion.ledger import accounts

    for status in results:
        if status.ok:
            _unpause(ledger, status.platform, status.account, now)
        if status.ok and status.posts_as:
            accounts.remember(ledger, status.platform, status.account, status.posts_as, now)
    clock = dt.datetime.now(dt.UTC)
    keys, quota = _before_week(ledger, results, only, clock)
    if fmt == "json":
        app.echo(
            json.dumps(
                {
                    "version": 1,
                    "accounts": [
                        {
                            "platform": s.platform,
                            "account": s.account,
                            "ok": s.ok,
                            "posts_as": s.posts_as,
                            "expires": s.expires,
                            "expires_at": s.expires_at.isoformat() if s.expires_at else None,
                            "key_expires": describe(s, clock),
                            "problem": s.problem,
                            "quota": s.details.get("quota"),
                            "details": dict(s.details),
                        }
                        for s in results
                    ],
                    "key_warnings": keys,
                    "quota_warnings": [w.as_json() for w in quota],
                },
                indent=2,
            )
        )
    else:
        if not results:
            app.echo(
                "No account is in use: no scheduled campaign has posts still to send. Schedule "
                "one (`clarion schedule FILE`), or check a platform's default account now with "
                "`clarion accounts check --platform NAME`."
            )
        for s in results:
            mark = app.style("ok", fg="green") if s.ok else app.style("cannot post", fg="red")
            line = f"{s.platform:9s} {s.account:14s} {mark}"
            if s.posts_as:
                line += f"  as {s.posts_as}"
            line += f"  key expires: {describe(s, clock)}"
            if s.details.get("quota"):
                line += f"  quota: {s.details['quota']}"
            if s.problem:
                line += f"  {s.problem}"
            app.echo(line)
        for text in [*keys, *(w.message() for w in quota)]:
            app.echo(app.style(text, fg="yellow"), err=True)
    raise SystemExit(0 if all(s.ok for s in results) else 1)


@accounts_group.command("login")
@click.argument("platform", type=PlatformChoice())
@click.option(
    "--account",
    default="default",
    show_default=True,
    help="The account's name, as campaigns pick it (`accounts: {x: press-office}`).",
)
@click.option(
    "--oauth2",
    is_flag=True,
    help="X: authorise Clarion in the browser (OAuth 2.0); the key then renews itself.",
)
@click.option(
    "--port",
    type=click.IntRange(1024, 65535),
    default=8765,
    show_default=True,
    help="With --oauth2: the port of the app's callback, http://127.0.0.1:PORT/callback.",
)
@click.option(
    "--paste-refresh-token",
    "paste",
    is_flag=True,
    help="With --oauth2: paste a refresh token you already have instead of the browser.",
)
@pass_app
def login_cmd(
    app: AppContext, platform: str, account: str, oauth2: bool, port: int, paste: bool
) -> None:
    """Save an account's keys in the system keyring, then check that it can post.

    Asks for each setting (shown as you type) and each secret (hidden). Press Enter to keep a
    value Clarion already has (from the environment, a .env file or the keyring). Secrets are
    never printed and never written to campaign files or the ledger.

    For X, --oauth2 opens X's authorisation page instead: sign in as the account, click
    "Authorize app", and Clarion keeps a key that renews itself.
    """
    from clarion import credentials
    from clarion.platforms import get
    from clarion.platforms.adapter import adapter_class
    from clarion.secrets import redact

    cls = adapter_class(platform)
    described = get(platform)
    label = described.label
    # The platform's credentials (an adapter inherits them from its platform unless it declares
    # its own, as one installed through CLARION_ADAPTERS may).
    secrets = cls.secret_names if cls else described.secret_names
    settings = cls.setting_names if cls else described.setting_names
    if cls is None or not (secrets or settings):
        app.echo(f"Clarion cannot publish to {label} yet, so it has no keys to save.", err=True)
        raise SystemExit(1)
    try:
        credentials.env_name(platform, account, "name")
    except credentials.CredentialsError as exc:
        raise click.BadParameter(str(exc), param_hint="--account") from None
    if oauth2 or paste:
        if not described.oauth2_login:
            raise click.BadParameter(
                f"{label} accounts do not log in with OAuth 2.0 here", param_hint="--oauth2"
            )
        import importlib

        module, _, function = described.oauth2_login.partition(":")
        flow = getattr(importlib.import_module(module), function)
        app.echo(f"{label} OAuth 2.0, account {account!r} (Enter keeps what Clarion has):")
        raise SystemExit(flow(account, port=port, paste=paste, echo=app.echo))
    app.echo(f"Keys for {label}, account {account!r} (Enter keeps what Clarion already has):")
    values: dict[str, str] = {}
    for name in (n for n in (*settings, *secrets) if n not in described.oauth2_names):
        secret = name in secrets
        variable = credentials.env_name(platform, account, name)
        known = credentials.where(platform, account, name)
        hint = f" [have it, from {known}]" if known else ""
        value = click.prompt(
            f"  {name.replace('_', ' ')} ({variable}){hint}",
            default="",
            show_default=False,
            hide_input=secret,
        ).strip()
        if value:
            values[name] = value
    if not values:
        app.echo("Nothing new to save.")
    else:
        try:
            credentials.store(platform, account, values)
        except credentials.CredentialsError as exc:
            app.echo(redact(str(exc)), err=True)
            raise SystemExit(1) from None
        app.echo(f"Saved {len(values)} value(s) in the system keyring.")
    status = cls(account).check()
    if status.ok:
        line = f"{label} account {account!r} can post"
        line += f" as {status.posts_as}" if status.posts_as else ""
        line += f" (expires {status.expires})" if status.expires else ""
        app.echo(line + ".")
        return
    problem = redact(status.problem or "no reason given")
    app.echo(f"{label} account {account!r} cannot post: {problem}", err=True)
    raise SystemExit(1)


def _before_week(
    ledger: Ledger, results: list[AccountStatus], only: str | None, now: dt.datetime
) -> tuple[list[str], list[QuotaWarning]]:
    """What to know before the week, from the deliveries still to send: every key that expires
    within 7 days or before its account's last one, and every window in which an account's
    posts would go over its platform's write limits. Warnings: they change no exit status."""
    from clarion import platforms
    from clarion.ledger.states import IN_FLIGHT, WAITING, State
    from clarion.platforms import expiry, limits, quotas

    unsent = [
        r.delivery
        for r in ledger.rows(states=(*WAITING, *IN_FLIGHT, State.PAUSED))
        if not only or r.delivery.platform == only
    ]
    last: dict[tuple[str, str], dt.datetime] = {}
    for d in unsent:
        at = last.get((d.platform, d.account))
        if at is None or d.at_utc > at:
            last[(d.platform, d.account)] = d.at_utc
    keys: list[str] = []
    for s in results:
        try:
            described: type[Platform] | None = platforms.get(s.platform)
        except platforms.UnknownPlatformError:
            described = None
        found = expiry.warning(s, described, now, last.get((s.platform, s.account)))
        if found:
            keys.append(found)
    return keys, quotas.check(unsent, limits.for_account, now)


def _unpause(ledger: Ledger, platform: str, account: str, now: int) -> None:
    ledger.unpause_account(platform, account, "clarion accounts check", now)
