"""schedule, run-due, status, history, retry, cancel, pause, resume, resolve, accounts check:
through click's CliRunner, on a real SQLite ledger, with the in-process fake platform."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from tests.fakes import FakeAdapter, FakePlatform, ledger_env
from tests.ledger.helpers import WEEK


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path)


def clarion(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def week(tmp_path: Path) -> str:
    path = tmp_path / "week.yaml"
    path.write_text(WEEK)
    return str(path)


def fake() -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", "default"), FakePlatform())


def status(env: dict[str, str]) -> dict[str, object]:
    out = clarion(env, "status", "--format", "json")
    return json.loads(out.output)  # type: ignore[no-any-return]


def test_schedule_reports_and_is_idempotent(env: dict[str, str], week: str, tmp_path: Path) -> None:
    first = clarion(env, "schedule", week)
    assert first.exit_code == 0
    assert (
        first.stdout
        == "week: 4 added, 0 updated, 0 rescheduled, 0 cancelled, 0 ignored, 0 unchanged.\n"
    )
    second = clarion(env, "schedule", week)
    assert (
        second.stdout
        == "week: 0 added, 0 updated, 0 rescheduled, 0 cancelled, 0 ignored, 4 unchanged.\n"
    )
    ledger_file = tmp_path / "data" / "ledger.sqlite3"
    assert stat.S_IMODE(os.stat(ledger_file).st_mode) == 0o600


def test_schedule_refuses_an_invalid_campaign(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(WEEK.replace("Europe/London", "Europe/Nowhere"))
    result = clarion(env, "schedule", str(path))
    assert result.exit_code == 1 and "Nothing was scheduled." in result.output


def test_run_due_publishes_and_status_shows_it(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    quiet = clarion(env, "run-due", "--pretend-now", "2022-07-04T07:00:00Z", "--log-file", "-")
    assert quiet.exit_code == 0 and quiet.output == ""
    result = clarion(env, "run-due", "--pretend-now", "2022-07-04T08:00:00Z", "--log-file", "-")
    assert result.exit_code == 0
    assert "published  week:launch:mastodon  https://fake.example/@clarion/" in result.output
    data = status(env)
    campaign = data["campaigns"][0]  # type: ignore[index]
    assert campaign["counts"]["published"] == 2 and campaign["counts"]["pending"] == 2
    assert campaign["next_due"]["key"] == "week:day2:mastodon"
    assert campaign["next_due"]["at"] == "2022-07-05 09:00 (+01:00)"
    history = json.loads(clarion(env, "history", "week:launch:mastodon", "--format", "json").output)
    assert [e["to"] for e in history["events"]] == ["pending", "claimed", "sending", "published"]
    assert history["events"][3]["from"] == "sending"


def test_dry_run_json_shows_payloads_and_records_nothing(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    out = clarion(env, "run-due", "--dry-run", "--now", "2022-07-04T08:00:00Z", "--format", "json")
    data = json.loads(out.output)
    assert data["version"] == 1 and data["dry_run"] is True
    assert [r["key"] for r in data["requests"]] == [
        "week:launch:mastodon",
        "week:launch:mastodon#2",
    ]
    assert data["requests"][0]["payload"]["text"] == "Launch"
    assert fake().received == []
    assert status(env)["campaigns"][0]["counts"]["pending"] == 4  # type: ignore[index]


def test_failed_then_retry(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    fake().script = ["refused"]
    result = clarion(env, "run-due", "--pretend-now", "2022-07-04T08:00:00Z", "--log-file", "-")
    assert result.exit_code == 1
    attention = status(env)["campaigns"][0]["attention"]  # type: ignore[index]
    assert attention[0]["key"] == "week:launch:mastodon" and attention[0]["state"] == "failed"
    assert "Text character limit" in attention[0]["reason"]
    retried = clarion(env, "retry", "week:launch:mastodon")
    assert retried.output == (
        "week:launch:mastodon: pending again with 1 thread part; the next run sends it.\n"
    )
    again = clarion(env, "run-due", "--log-file", "-")  # the real clock: due now
    assert again.exit_code == 1, again.output  # day2 and day3 (2022) are long past: missed
    assert fake().texts() == ["Launch", "Launch part two"]
    refused = clarion(env, "retry", "week:launch:mastodon")
    assert refused.exit_code == 1 and "only failed, missed, cancelled" in refused.output


def test_cancel_pause_resume(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    assert clarion(env, "cancel", "week:day3:mastodon").output == "week:day3:mastodon: cancelled.\n"
    assert "paused (3 deliveries held)" in clarion(env, "pause", "week").output
    assert (
        clarion(env, "run-due", "--pretend-now", "2022-07-04T08:00:00Z", "--log-file", "-").output
        == ""
    )
    assert fake().received == []
    assert "resumed (3 deliveries waiting again)" in clarion(env, "resume", "week").output
    clarion(env, "run-due", "--pretend-now", "2022-07-04T08:01:00Z", "--log-file", "-")
    assert fake().texts() == ["Launch", "Launch part two"]
    assert "1 unsent deliveries cancelled" in clarion(env, "cancel", "week").output


def test_resolve_an_unconfirmed_delivery(
    env: dict[str, str], week: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clarion.platforms.outcomes import Unknown

    clarion(env, "schedule", week)
    fake().script = ["timeout-lost"]
    # reconcile cannot tell, so the delivery stays unconfirmed for a person to settle
    monkeypatch.setattr(FakeAdapter, "reconcile", lambda self, request: Unknown("cannot tell"))
    result = clarion(env, "run-due", "--pretend-now", "2022-07-04T08:00:00Z", "--log-file", "-")
    assert result.exit_code == 1 and "unconfirmed" in result.output
    done = clarion(
        env, "resolve", "week:launch:mastodon", "--published", "https://fake.example/@clarion/77"
    )
    assert done.exit_code == 0
    clarion(env, "run-due", "--pretend-now", "2022-07-04T08:02:00Z", "--log-file", "-")
    part_two = fake().received[-1]
    assert part_two["text"] == "Launch part two" and part_two["in_reply_to_id"] == "77"
    usage = clarion(env, "resolve", "week:day2:mastodon")
    assert usage.exit_code == 2


def test_accounts_check_unpauses_after_a_revoked_token(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    fake().script = ["revoked"]
    clarion(env, "run-due", "--pretend-now", "2022-07-04T08:00:00Z", "--log-file", "-")
    data = status(env)
    assert data["paused_accounts"][0]["platform"] == "mastodon"  # type: ignore[index]
    assert data["campaigns"][0]["counts"]["paused"] == 3  # type: ignore[index]
    check = clarion(env, "accounts", "check", "--format", "json")
    assert check.exit_code == 0
    assert json.loads(check.output)["accounts"][0]["posts_as"] == "@clarion"
    after = status(env)
    assert after["paused_accounts"] == []
    assert after["campaigns"][0]["counts"]["pending"] == 3  # type: ignore[index]


def test_now_rehearses_it_never_acts(env: dict[str, str], week: str) -> None:
    clarion(env, "schedule", week)
    out = clarion(env, "run-due", "--now", "2022-07-04T08:00:00Z", "--log-file", "-")
    assert out.exit_code == 0, out.output
    assert "would send week:launch:mastodon to mastodon (default)" in out.stdout
    assert "(a rehearsal: nothing was sent or recorded)" in out.stderr
    assert fake().received == []
    assert status(env)["campaigns"][0]["counts"]["pending"] == 4  # type: ignore[index]
    both = clarion(
        env, "run-due", "--now", "2022-07-04T08:00:00Z", "--pretend-now", "2022-07-04T08:00:00Z"
    )
    assert both.exit_code == 2
    assert "--pretend-now" not in clarion(env, "run-due", "--help").output


def test_a_rehearsal_of_late_posts_prints_and_exits_as_the_real_run(
    env: dict[str, str], week: str
) -> None:
    clarion(env, "schedule", week)
    late = "2022-07-04T08:16:00Z"
    dry = clarion(env, "run-due", "--dry-run", "--now", late, "--log-file", "-")
    assert dry.exit_code == 1
    assert status(env)["campaigns"][0]["counts"]["missed"] == 0  # type: ignore[index]
    real = clarion(env, "run-due", "--pretend-now", late, "--log-file", "-")
    assert real.exit_code == 1
    lines = [line for line in real.stderr.splitlines() if line.startswith("missed")]
    assert len(lines) == 2 and "16 minutes later, past the 15 min grace window" in lines[0]
    assert [line for line in dry.stderr.splitlines() if line.startswith("missed")] == lines
    assert status(env)["campaigns"][0]["counts"]["missed"] == 2  # type: ignore[index]


def test_retry_before_its_time_keeps_its_time(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "future.yaml"
    path.write_text(WEEK.replace("2022-07", "2100-07"))
    clarion(env, "schedule", str(path))
    assert clarion(env, "cancel", "week:day2:mastodon").exit_code == 0
    out = clarion(env, "retry", "week:day2:mastodon")
    assert out.stdout == (
        "week:day2:mastodon: pending again; it goes out at its time, 2100-07-05 08:00 UTC.\n"
    )
    assert "4 unsent deliveries cancelled" in clarion(env, "cancel", "week").output
    assert "4 cancelled deliveries waiting again" in clarion(env, "retry", "week").output
    refused = clarion(env, "cancel", "nope")
    assert refused.exit_code == 1 and "No campaign 'nope'" in refused.output
