"""``clarion run-due`` (the cron entry point) and ``clarion daemon``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import Duration, Instant, output_format
from clarion.durations import GRACE, LEASE

if TYPE_CHECKING:
    from pathlib import Path

    from clarion.engine import RunOptions, RunReport

F = TypeVar("F", bound=Callable[..., Any])


def run_options(func: F) -> F:
    """Options shared by run-due and the daemon."""
    for decorator in reversed(
        [
            click.option(
                "--grace",
                type=Duration((*GRACE[:2], "`--grace`")),
                help="How late a post may still go out "
                "(overrides each campaign's `grace`; default 15m).",
            ),
            click.option(
                "--catch-up",
                is_flag=True,
                help="Send posts later than the grace window instead of marking them missed.",
            ),
            click.option(
                "--lease",
                type=Duration(LEASE),
                default="5m",
                show_default=True,
                help="How long a claim holds before another run may take it over.",
            ),
            click.option(
                "--workers",
                type=click.IntRange(1, 256),
                help="How many posts to send at once, never two from one account "
                "(default: CLARION_WORKERS, else 64).",
            ),
            click.option(
                "--allow-overlap",
                is_flag=True,
                help="Run even while another run on "
                "this machine is working (several workers on one PostgreSQL ledger).",
            ),
            click.option(
                "--log-file",
                type=click.Path(),
                help="Where to log (default: your log folder; '-' for none).",
            ),
            click.option(
                "-v", "--verbose", count=True, help="Also log to the terminal (-vv: debug)."
            ),
        ]
    ):
        func = decorator(func)
    return func


@click.command("run-due")
@click.option(
    "--now",
    type=Instant(),
    help="Rehearse this instant: print what a run then would send, mark missed or leave for "
    "a person, and exit as it would. Sends nothing, records nothing (implies --dry-run).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Send nothing, record nothing: print what a run now would do, in the same words "
    "(the exact requests it would send), and exit as it would.",
)
@click.option(
    "--pretend-now",
    type=Instant(),
    hidden=True,
    help="For tests only: really send and record, acting as if it were this instant "
    "(leases stay on the real clock).",
)
@run_options
@output_format("table", "json")
@pass_app
def run_due_cmd(
    app: AppContext,
    now: dt.datetime | None,
    dry_run: bool,
    pretend_now: dt.datetime | None,
    grace: int | None,
    catch_up: bool,
    lease: int,
    workers: int | None,
    allow_overlap: bool,
    log_file: str | None,
    verbose: int,
    fmt: str,
) -> None:
    """Publish every delivery that is due, once.

    For cron, every minute: `* * * * * clarion run-due`.

    Quiet when nothing is due. Exit status: 0 when all went well (or nothing was due), 1 when
    anything failed, is unconfirmed or was missed, 2 on usage errors, 143 (SIGTERM) or 130
    (Ctrl-C) when stopped early: the sends in flight were finished and recorded, the rest waits
    for the next run. `--now` and `--dry-run` rehearse: nothing is sent or recorded, and the exit
    status is the one a real run would have.
    """
    if now is not None and pretend_now is not None:
        raise click.UsageError("Give either --now (a rehearsal) or --pretend-now, not both.")
    dry_run = dry_run or now is not None
    instant = now or pretend_now
    if not catch_up:
        from clarion.ledger.quick import nothing_to_do

        at = instant or dt.datetime.now(dt.UTC)
        if nothing_to_do(app.database_url, int(at.timestamp() * 1000), paused=dry_run):
            from clarion.monitoring.idle import after_idle

            after_idle(rehearsal=dry_run)  # an idle minute is a finished run too: heartbeat
            return  # the cron case: quiet, exit 0, nothing else imported
    from clarion import logs
    from clarion.engine import RunOptions

    logs.setup(verbose, None if log_file is None else _path(log_file))
    opts = RunOptions(
        now=instant,
        dry_run=dry_run,
        grace_ms=grace,
        catch_up=catch_up,
        lease_ms=lease,
        workers=workers_setting(workers),
        platforms=timeouts_checked(publishable()),
    )
    ledger = app.ledger()
    lock = None if (allow_overlap or dry_run) else _lock(ledger.db.where)
    if lock is False:
        app.echo(
            "Another run-due is already working on this ledger on this machine; "
            "this one stops. (Use --allow-overlap to run several workers.)",
            err=True,
        )
        return
    from clarion.cli.stopping import Stopping

    stop = Stopping()
    try:
        with stop.handling(not dry_run):
            report = run_once(app, replace(opts, should_stop=stop.requested))
    finally:
        if lock is not None:
            lock.close()  # released now, not whenever the handle is collected
    print_report(app, report, fmt, opts)
    from clarion.monitoring.heartbeat import after_run

    after_run(rehearsal=opts.dry_run, stopped=bool(stop.exit_code))
    raise SystemExit(stop.exit_code or report.exit_code)


def timeouts_checked(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names``, once every ``CLARION_<PLATFORM>_TIMEOUT`` of them is a number of seconds from
    1 to 600; otherwise the run is refused, each bad variable named (as for CLARION_WORKERS)."""
    from clarion.settings.environment import SettingsError, environ

    snapshot, problems = environ(), []
    for name in names:
        try:
            snapshot.timeout(name)
        except SettingsError as exc:
            problems += exc.problems
    if problems:
        raise click.ClickException("; ".join(problems) + ".")
    return names


def workers_setting(given: int | None) -> int:
    """``--workers``, else ``CLARION_WORKERS``, else the default."""
    if given is not None:
        return given
    from clarion.settings.environment import SettingsError, environ

    try:
        return environ().workers
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _path(value: str) -> Path:
    from pathlib import Path

    return Path(value)


def run_once(app: AppContext, opts: RunOptions) -> RunReport:
    from clarion.engine import Engine

    engine = Engine(app.ledger(), adapter_factory(dry=opts.dry_run))
    report = engine.run(opts)
    if not opts.dry_run:  # alerts, from the ledger's state; never raises
        from clarion.alerts import after_run

        after_run(app.ledger(), adapter_factory(dry=False), opts.now, stop=opts.should_stop)
    return report


def publishable() -> tuple[str, ...]:
    """Platforms with an adapter installed: the only ones a run claims deliveries for."""
    from clarion.platforms import NAMES
    from clarion.platforms.adapter import adapter_class

    return tuple(name for name in NAMES if adapter_class(name) is not None)


def adapter_factory(dry: bool) -> Callable[[str, str], Any]:
    from clarion import platforms
    from clarion.platforms.adapter import DryRunAdapter, adapter_class

    def make(platform: str, account: str) -> Any:
        cls = adapter_class(platform)
        if cls is None:
            if dry:
                return DryRunAdapter(platforms.get(platform), account)
            raise click.ClickException(
                f"Clarion cannot publish to {platform} yet: no adapter is installed for it."
            )
        return cls(account)

    return make


def _lock(where: str) -> Any:
    """A per-machine lock on this ledger, held until the process ends; False if taken."""
    import fcntl
    import hashlib

    from clarion import folders

    name = hashlib.sha256(where.encode()).hexdigest()[:16]
    folder = folders.data() / "locks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = (folder / f"run-due-{name}.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    return handle


def print_report(app: AppContext, report: RunReport, fmt: str, opts: RunOptions) -> None:
    import json

    if fmt == "json":
        app.echo(
            json.dumps(
                {
                    "version": 1,
                    "dry_run": opts.dry_run,
                    "results": [
                        {
                            "key": r.key,
                            "platform": r.platform,
                            "state": r.state.value,
                            "detail": r.detail,
                            "url": r.url,
                        }
                        for r in report.results
                    ],
                    "waiting_without_adapter": report.waiting,
                    "awaiting_signoff": [
                        {"key": r.key, "platform": r.platform, "reason": r.detail}
                        for r in report.awaiting
                    ],
                    "requests": [
                        {
                            "key": q.key,
                            "platform": q.platform,
                            "account": q.account,
                            "due": q.due,
                            "payload": q.payload,
                            **({"images": list(q.images)} if q.images else {}),
                        }
                        for q in report.dry_run
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for q in report.dry_run:
        when = f" at {q.due}" if q.due else ""
        app.echo(f"would send {q.key} to {q.platform} ({q.account}){when}:")
        app.echo("  " + json.dumps(q.payload, indent=2, ensure_ascii=False).replace("\n", "\n  "))
        for image in q.images:
            app.echo(
                f"  image {image['path']}: sent as {image['width']:,} × {image['height']:,}, "
                f"{image['bytes']:,} bytes, sha256 {image['sha256']}"
            )
    for platform, count in report.waiting.items():
        app.echo(
            f"waiting    {count} due deliveries for {platform}: no adapter is installed for it, "
            "so nothing was sent there",
            err=True,
        )
    for r in report.awaiting:
        label = app.style("sign-off", fg="yellow", bold=True)
        app.echo(
            f"{label:10s} {r.key}  {r.detail}; `clarion diff` shows what changed, "
            "`clarion approve FILE --by NAME` lets it go",
            err=True,
        )
    from clarion.ledger.states import State

    for r in report.results:
        colour = {State.PUBLISHED: "green", State.RETRY: "yellow"}.get(r.state, "red")
        line = f"{app.style(r.state.value, fg=colour, bold=True):10s} {r.key}"
        line += f"  {r.url}" if r.url else f"  {r.detail}"
        app.echo(line, err=r.state not in (State.PUBLISHED, State.RETRY))
    if report.rehearsal and (report.dry_run or report.results or report.waiting or report.awaiting):
        app.echo("(a rehearsal: nothing was sent or recorded)", err=True)


@click.command("daemon")
@run_options
@pass_app
def daemon_cmd(
    app: AppContext,
    grace: int | None,
    catch_up: bool,
    lease: int,
    workers: int | None,
    allow_overlap: bool,
    log_file: str | None,
    verbose: int,
) -> None:
    """Run in the foreground, publishing each post at its time (instead of cron).

    Wakes at the next due instant, and at least every minute to pick up edits; stops cleanly
    on SIGTERM or Ctrl-C without leaving a claim behind.
    """
    from clarion import logs
    from clarion.daemon import Daemon
    from clarion.engine import RunOptions

    logs.setup(verbose, None if log_file is None else _path(log_file))
    ledger = app.ledger()
    # Kept referenced until the daemon stops: a dropped handle is closed, releasing the lock.
    lock = None if allow_overlap else _lock(ledger.db.where)
    if lock is False:
        raise click.ClickException(
            "Another run-due or daemon is working on this ledger on this "
            "machine. (Use --allow-overlap to run several workers.)"
        )
    opts = RunOptions(
        grace_ms=grace,
        catch_up=catch_up,
        lease_ms=lease,
        workers=workers_setting(workers),
        platforms=timeouts_checked(publishable()),
    )

    def one_run(stop: Callable[[], bool]) -> RunReport:
        return run_once(app, replace(opts, should_stop=stop))

    try:
        Daemon(one_run, ledger).serve()
    finally:
        if lock is not None:
            lock.close()
