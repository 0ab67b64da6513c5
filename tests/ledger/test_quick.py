"""The cron fast path answers "nothing to do" only when that is certain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clarion.ledger import open_ledger, schema
from clarion.ledger.quick import SCHEMA_VERSION, nothing_to_do
from clarion.ledger.rows import ms
from tests.conftest import ROOT
from tests.ledger.helpers import run, schedule, utc


def test_schema_version_matches_the_migrations() -> None:
    assert SCHEMA_VERSION == schema.LATEST


def test_nothing_to_do_follows_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert nothing_to_do(url, 0)  # no ledger yet: nothing scheduled
    ledger = open_ledger(url)
    schedule(ledger, tmp_path)
    assert nothing_to_do(url, ms(utc("2022-07-04T07:59:00Z")))
    assert not nothing_to_do(url, ms(utc("2022-07-04T08:00:00Z")))  # launch is due
    run(ledger, "2022-07-04T08:00:00Z")
    assert nothing_to_do(url, ms(utc("2022-07-04T08:01:00Z")))
    ledger.close()


def test_postgres_always_takes_the_full_path() -> None:
    assert not nothing_to_do("postgresql://u:p@127.0.0.1/db", 0)


def test_run_due_with_nothing_due_is_quiet_and_imports_little(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = open_ledger(url)
    schedule(ledger, tmp_path)
    ledger.close()
    code = (
        "import sys; from clarion.cli import main\n"
        "try:\n    main(['--database', sys.argv[1], 'run-due', '--now', '2022-07-04T07:00:00Z'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = [m for m in ('clarion.engine', 'logging', 'pydantic', 'yaml', 'platformdirs') "
        "if m in sys.modules]\nprint('heavy:', heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout == "heavy: []\n" and out.stderr == ""


def test_durations() -> None:
    from clarion.durations import parse_ms, show

    assert parse_ms("90s") == 90_000
    assert parse_ms("15m") == 900_000
    assert parse_ms("1h30m") == 5_400_000
    assert parse_ms("500ms") == 500
    assert show(5_400_000) == "1h30m"
    for bad in ("", "15", "m", "1 day", "15x"):
        try:
            parse_ms(bad)
        except ValueError as exc:
            assert "is not a duration" in str(exc)
        else:
            raise AssertionError(bad)


def test_the_console_script_answers_the_idle_tick_without_click(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = open_ledger(url)
    schedule(ledger, tmp_path)  # the 2022 example: every post is past, so not idle
    ledger.close()
    idle = f"sqlite:///{tmp_path / 'empty.sqlite3'}"  # never created: nothing scheduled
    code = (
        "import sys; sys.argv = ['clarion', *sys.argv[1:]]\n"
        "from clarion.entry import main\nmain()\n"
        "print('loaded:', [m for m in ('click', 'clarion.cli') if m in sys.modules])"
    )
    for argv in (["--database", idle, "run-due"], [f"--database={idle}", "run-due"]):
        out = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT
        )
        assert (out.returncode, out.stdout, out.stderr) == (0, "loaded: []\n", "")


def test_the_idle_tick_leaves_everything_else_to_the_command_line(tmp_path: Path) -> None:
    from clarion.entry import idle_tick

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = open_ledger(url)
    schedule(ledger, tmp_path)
    ledger.close()
    assert not idle_tick(["--database", url, "run-due"])  # posts are due (and late)
    empty = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    assert idle_tick(["--database", empty, "run-due"])
    for argv in (
        ["--database", empty, "run-due", "--dry-run"],
        ["--database", empty, "run-due", "--catch-up"],
        ["--database", empty, "status"],
        ["run-due", "--help"],
        ["--database", "postgresql://u:p@127.0.0.1/db", "run-due"],
        [],
    ):
        assert not idle_tick(argv), argv
