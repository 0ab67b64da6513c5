"""``clarion status --check``: the verdict (a pure function of the ledger's facts) and the one
plugin line a monitoring system reads, with the Nagios/Icinga exit statuses 0, 1, 2 (3 for a
campaign that is not there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from clarion.ledger.states import State
from clarion.monitoring.check import Facts, Level, assess
from tests.fakes import FakeAdapter, ledger_env
from tests.ledger.helpers import WEEK

LABELS = [
    "failed",
    "unconfirmed",
    "missed",
    "paused_accounts",
    "overdue",
    "stranded",
    "pending",
    "published",
    "awaiting_signoff",
]


def test_nothing_wrong_is_ok() -> None:
    verdict = assess(Facts(counts={State.PENDING: 3, State.PUBLISHED: 2}))
    assert verdict.level == Level.OK and verdict.findings == ()
    assert list(verdict.perfdata) == LABELS  # the same labels on every line, zeros included
    assert verdict.perfdata["pending"] == 3 and verdict.perfdata["published"] == 2


def test_what_needs_a_person_is_a_warning() -> None:
    for facts in (
        Facts(counts={State.FAILED: 1}),
        Facts(counts={State.UNCONFIRMED: 2}),
        Facts(counts={State.MISSED: 1}),
        Facts(paused_accounts=1),
        Facts(stranded=1),  # the next run takes it back
        Facts(heartbeat="NOT heard by https://hc-ping.com: could not connect"),
        Facts(notifiers=("mailto://…: connection refused",)),
    ):
        assert assess(facts).level == Level.WARNING, facts
    assert assess(Facts(counts={State.PAUSED: 4, State.CANCELLED: 1})).level == Level.OK


def test_publishing_not_happening_is_critical_and_comes_first() -> None:
    for facts in (
        Facts(overdue=1),
        Facts(stranded=2, abandoned=1),
        Facts(ledger_error="unable to open database file"),
    ):
        assert assess(facts).level == Level.CRITICAL, facts
    verdict = assess(Facts(counts={State.FAILED: 2, State.UNCONFIRMED: 1}, overdue=3))
    assert [f.words for f in verdict.findings] == [
        "3 posts overdue with no run",
        "2 failed",
        "1 unconfirmed",
    ]
    mixed = assess(Facts(stranded=3, abandoned=1))
    assert [f.words for f in mixed.findings] == [
        "1 claim of a gone run not taken back",
        "2 claims of a gone run (the next run takes them back)",
    ]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path)


def clarion(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def one_line(result: Result) -> str:
    assert result.output.count("\n") == 1, result.output
    return result.output.rstrip("\n")


def test_the_plugin_line_through_a_week(env: dict[str, str], tmp_path: Path) -> None:
    empty = clarion(env, "status", "--check")
    assert (empty.exit_code, one_line(empty)) == (
        0,
        "CLARION OK - all well | failed=0 unconfirmed=0 missed=0 paused_accounts=0 overdue=0 "
        "stranded=0 pending=0 published=0 awaiting_signoff=0",
    )
    week = tmp_path / "week.yaml"
    week.write_text(WEEK)  # July 2022: every post is long past, and no run has happened
    assert clarion(env, "schedule", str(week)).exit_code == 0
    overdue = clarion(env, "status", "--check")
    assert overdue.exit_code == 2
    assert one_line(overdue).startswith("CLARION CRITICAL - 4 posts overdue with no run | ")
    assert " overdue=4 " in overdue.output
    ran = clarion(env, "run-due")  # a run marks them missed: a person is needed, not a run
    assert ran.exit_code == 1
    missed = clarion(env, "status", "--check")
    assert missed.exit_code == 1
    assert one_line(missed).startswith(
        "CLARION WARNING - 4 missed | failed=0 unconfirmed=0 missed=4"
    )
    assert clarion(env, "cancel", "week").exit_code == 0
    # missed ones stay missed until a person retries them: still a warning
    assert clarion(env, "status", "--check").exit_code == 1
    other = clarion(env, "status", "nope", "--check")
    assert (other.exit_code, one_line(other)) == (
        3,
        "CLARION UNKNOWN - no campaign 'nope' in the ledger",
    )


def test_a_ledger_that_cannot_be_opened_is_critical(tmp_path: Path) -> None:
    bad = tmp_path / "ledger.sqlite3"
    bad.write_text("this is not a database\n" * 100)
    result = clarion({"CLARION_DATABASE_URL": f"sqlite:///{bad}"}, "status", "--check")
    assert result.exit_code == 2
    assert one_line(result).startswith("CLARION CRITICAL - the ledger cannot be opened: ")
    assert "file is not a database" in result.output and " | " not in result.output
    gone = clarion(
        {"CLARION_DATABASE_URL": "postgresql://clarion:pw@127.0.0.1:1/none"}, "status", "--check"
    )
    assert gone.exit_code == 2
    assert one_line(gone).startswith("CLARION CRITICAL - the ledger cannot be opened: ")
    assert "pw" not in gone.output.replace("pending", "")


def test_facts_from_a_ledger_a_run_on_another_machine_left(tmp_path: Path) -> None:
    """Another machine's run cannot be looked at: its claims count as gone once their lease has
    run out, and as abandoned (critical) 5 minutes after that."""
    from clarion.ledger import health, open_ledger
    from clarion.ledger.rows import ms
    from clarion.monitoring.facts import gather
    from tests.ledger.helpers import schedule, utc

    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        schedule(ledger, tmp_path, WEEK.replace("2022-07", "2100-07"))
        now = ms(utc("2100-07-04T08:00:00Z"))
        real = ms(utc("2030-01-01T12:00:00Z"))  # the real clock the leases are measured on
        owner = "run-due pid 4242 on some-other-machine"
        claimed = ledger.claim(now, owner, real + 60_000, 10)
        assert len(claimed) == 1  # the launch (its thread part waits for it)
        assert health.stranded(ledger, real) == []  # lease running, owner unknowable: alive
        (left,) = health.stranded(ledger, real + 60_001)
        assert (left.why, left.expired, left.from_ms) == ("its lease ran out", True, None)
        soon = gather(ledger, now_ms=real + 120_000)
        assert (soon.stranded, soon.abandoned, assess(soon).level) == (1, 0, Level.WARNING)
        late = gather(ledger, now_ms=real + 60_000 + 5 * 60_000 + 1)
        assert (late.stranded, late.abandoned, assess(late).level) == (1, 1, Level.CRITICAL)
        assert gather(ledger, "week", now_ms=real + 600_000).abandoned == 1
        assert gather(ledger, "other", now_ms=real + 600_000).stranded == 0
    finally:
        ledger.close()


def test_an_alert_that_did_not_reach_its_target_is_a_warning(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.fakes import FakePlatform
    from tests.net import closed_port

    env = {
        **env,
        "CLARION_NOTIFY": f"json://127.0.0.1:{closed_port()}/nobody",
        "CLARION_ENV_FILE": str(tmp_path / "none.env"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    week = tmp_path / "week.yaml"
    week.write_text(WEEK.replace("2022-07", "2100-07"))
    assert clarion(env, "schedule", str(week)).exit_code == 0
    FakeAdapter.platforms.setdefault(("mastodon", "default"), FakePlatform()).script = ["refused"]
    ran = clarion(env, "run-due", "--pretend-now", "2100-07-04T08:00:00Z", "--log-file", "-")
    assert ran.exit_code == 1
    check = clarion(env, "status", "--check")
    assert check.exit_code == 1
    assert one_line(check).startswith("CLARION WARNING - 1 failed, ")
    assert "1 alert target not reached | " in check.output
