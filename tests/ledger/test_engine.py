"""The engine over a real ledger (SQLite and PostgreSQL) with an in-process fake platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from clarion.delivery import Delivery
from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Request
from clarion.platforms.outcomes import ReconcileOutcome
from tests.fakes import TOKEN, FakeAdapter, FakePlatform
from tests.ledger.helpers import WEEK, run, schedule, states, utc


def fake(account: str = "default") -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", account), FakePlatform())


def test_schedule_twice_changes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    first = schedule(ledger, tmp_path)[0]
    assert first.count("added") == 4 and first.unchanged == 0
    second = schedule(ledger, tmp_path)[0]
    assert second.changes == [] and second.unchanged == 4
    assert len(ledger.events("week:launch:mastodon")) == 1


def test_editing_unsent_updates_and_published_is_ignored(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T08:00:30Z")  # launch + its thread part published
    edited = WEEK.replace("text: Launch\n", "text: Launch (edited)\n").replace(
        "Day two", "Day two (edited)"
    )
    report = schedule(ledger, tmp_path, edited)[0]
    by_key = {c.key: c for c in report.changes}
    assert by_key["week:launch:mastodon"].what == "ignored"
    assert by_key["week:launch:mastodon"].reason == "already published, change ignored"
    assert by_key["week:day2:mastodon"].what == "updated"
    assert ledger.get("week:day2:mastodon").text == "Day two (edited)"  # type: ignore[union-attr]
    assert fake().texts() == ["Launch", "Launch part two"]


def test_removed_unsent_post_is_cancelled(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    without = WEEK.replace("  - id: day3\n    at: 2022-07-06 09:00\n    text: Day three\n", "")
    report = schedule(ledger, tmp_path, without)[0]
    assert [(c.key, c.what) for c in report.changes] == [("week:day3:mastodon", "cancelled")]
    assert states(ledger)["week:day3:mastodon"] == "cancelled"


def test_nothing_due_is_quiet(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    report = run(ledger, "2022-07-04T07:59:59Z")
    assert report.results == [] and report.exit_code == 0
    assert fake().received == []


def test_thread_parts_follow_their_parent_with_its_id(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert [r.key for r in report.results] == ["week:launch:mastodon", "week:launch:mastodon#2"]
    parent, child = fake().received
    assert child["in_reply_to_id"] == parent["id"]
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.platform_url == f"https://fake.example/@clarion/{parent['id']}"


def test_each_post_published_exactly_once_over_a_rehearsed_week(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    for now in (
        "2022-07-04T08:00:00Z",
        "2022-07-04T08:01:00Z",
        "2022-07-05T08:00:10Z",
        "2022-07-05T08:00:10Z",
        "2022-07-06T08:14:00Z",
        "2022-07-06T09:00:00Z",
    ):
        run(ledger, now)
    assert sorted(fake().texts()) == sorted(["Launch", "Launch part two", "Day two", "Day three"])
    assert set(states(ledger).values()) == {"published"}


def test_late_beyond_grace_is_missed_with_a_reason(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    report = run(ledger, "2022-07-04T08:16:00Z")  # 16 minutes late, grace is 15
    assert {r.key: r.state for r in report.results} == {
        "week:launch:mastodon": State.MISSED,
        "week:launch:mastodon#2": State.MISSED,
    }
    assert report.exit_code == 1
    why = ledger.events("week:launch:mastodon")[-1].reason
    assert "past the 15 min grace window" in why and "--catch-up" in why
    assert fake().received == []


def test_catch_up_sends_late_posts(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    report = run(ledger, "2022-07-04T10:00:00Z", catch_up=True)
    assert [r.state for r in report.results] == [State.PUBLISHED, State.PUBLISHED]


def test_daemon_down_for_an_hour(ledger: Ledger, tmp_path: Path) -> None:
    text = WEEK.replace(
        "  - id: day2\n    at: 2022-07-05 09:00", "  - id: day2\n    at: 2022-07-04 09:50"
    )
    schedule(ledger, tmp_path, text)
    # Nothing ran from 07:55 to 08:55 UTC. The run at 08:55 finds launch (due 08:00 UTC) 55 minutes
    # late and day2 (09:50 BST = 08:50 UTC) 5 minutes late, within grace.
    report = run(ledger, "2022-07-04T08:55:00Z")
    assert {r.key: r.state for r in report.results} == {
        "week:launch:mastodon": State.MISSED,
        "week:launch:mastodon#2": State.MISSED,
        "week:day2:mastodon": State.PUBLISHED,
    }
    assert fake().texts() == ["Day two"]


def test_clock_jumping_back_resends_nothing(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T08:00:00Z")
    run(ledger, "2022-07-04T07:00:00Z")  # the clock went back an hour
    run(ledger, "2022-07-04T08:00:00Z")  # and forward again
    assert fake().texts() == ["Launch", "Launch part two"]


def test_429_waits_for_the_reset_then_publishes(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["429"]
    fake().reset_at = utc("2022-07-04T08:03:00Z")
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert report.results[0].state == State.RETRY
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.not_before_ms is not None
    assert row.not_before_ms >= 1656921780000  # not before the reset
    assert run(ledger, "2022-07-04T08:02:00Z").results == []
    report = run(ledger, "2022-07-04T08:04:00Z")
    assert [r.state for r in report.results] == [State.PUBLISHED, State.PUBLISHED]
    assert fake().texts() == ["Launch", "Launch part two"]


def test_connection_failure_before_sending_retries(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["500-before", "500-before"]
    run(ledger, "2022-07-04T08:00:00Z")
    run(ledger, "2022-07-04T08:00:05Z")
    run(ledger, "2022-07-04T08:00:10Z")
    assert fake().texts() == ["Launch", "Launch part two"]
    assert ledger.get("week:launch:mastodon").attempts == 3  # type: ignore[union-attr]


def test_retries_are_bounded(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["500-before"] * 10
    for second in range(0, 60, 5):
        run(ledger, f"2022-07-04T08:00:{second:02d}Z")
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.state == State.FAILED
    assert row.attempts == 5 and "gave up after 5 attempts" in ledger.events(row.key)[-1].reason


def test_timeout_after_send_is_unconfirmed_then_reconciled(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["timeout-after"]
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert [(r.key, r.state) for r in report.results] == [
        ("week:launch:mastodon", State.UNCONFIRMED)
    ]
    assert report.exit_code == 1
    # The next run asks the platform: it has the post, so it is published, not re-sent.
    run(ledger, "2022-07-04T08:01:00Z")
    assert states(ledger)["week:launch:mastodon"] == "published"
    assert fake().texts() == ["Launch", "Launch part two"]


def test_timeout_where_the_post_never_arrived_is_sent_again(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["timeout-lost"]
    run(ledger, "2022-07-04T08:00:00Z")
    run(ledger, "2022-07-04T08:01:00Z")  # reconcile: absent -> retry
    run(ledger, "2022-07-04T08:02:00Z")
    assert fake().texts() == ["Launch", "Launch part two"]


def test_duplicate_after_unknown_outcome_counts_as_published(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["timeout-lost", "duplicate"]
    run(ledger, "2022-07-04T08:00:00Z")
    run(ledger, "2022-07-04T08:01:00Z")
    run(ledger, "2022-07-04T08:02:00Z")
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.state == State.PUBLISHED
    assert "probably published" in ledger.events(row.key)[-1].reason


def test_duplicate_without_unknown_outcome_is_a_failure(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["duplicate"]
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert report.results[0].state == State.FAILED


def test_revoked_token_fails_pauses_the_account_and_hides_the_token(
    ledger: Ledger, tmp_path: Path
) -> None:
    from clarion import secrets

    secrets.register(TOKEN)
    schedule(ledger, tmp_path)
    fake().script = ["revoked"]
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert report.results[0].state == State.FAILED
    assert TOKEN not in report.results[0].detail and "***" in report.results[0].detail
    assert states(ledger)["week:day2:mastodon"] == "paused"
    assert ledger.paused_accounts()[0][:2] == ("mastodon", "default")
    for row in ledger.rows():
        assert TOKEN not in (row.last_error or "")
        assert all(TOKEN not in e.reason for e in ledger.events(row.key))


def test_content_refused_is_failed_with_the_platforms_words(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["refused"]
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert report.results[0].state == State.FAILED
    assert report.results[0].detail == "422 Validation failed: Text character limit of 500 exceeded"
    # its thread part waits for a parent that will never publish, then is missed
    assert states(ledger)["week:launch:mastodon#2"] == "pending"


def test_dry_run_records_nothing_and_shows_payloads(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    report = run(ledger, "2022-07-04T08:00:00Z", dry_run=True)
    assert [q.key for q in report.dry_run] == ["week:launch:mastodon", "week:launch:mastodon#2"]
    assert report.dry_run[1].payload["in_reply_to_id"] == "<id of week:launch:mastodon>"
    assert set(states(ledger).values()) == {"pending"}
    assert fake().received == []
    assert all(len(ledger.events(k)) == 1 for k in states(ledger))


IMAGE_WEEK = WEEK.replace(
    "    text: Day two\n", "    text: Day two\n    images: [{path: pic.png, alt: A picture}]\n"
)


def test_images_are_checked_again_at_send_time(ledger: Ledger, tmp_path: Path) -> None:
    from tests.conftest import png

    (tmp_path / "pic.png").write_bytes(png())
    schedule(ledger, tmp_path, IMAGE_WEEK)
    (tmp_path / "pic.png").unlink()  # gone after scheduling
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(png())
    report = run(ledger, "2022-07-05T08:00:00Z", catch_up=True, grace_ms=None)
    day2 = next(r for r in report.results if r.key == "week:day2:mastodon")
    assert day2.state == State.FAILED
    assert "does not exist" in day2.detail and "nothing was sent" in day2.detail
    assert "Day two" not in fake().texts()
    # a link put in its place that leads outside the folder is refused too
    row = ledger.get("week:day2:mastodon")
    assert row is not None
    (tmp_path / "pic.png").symlink_to(outside)
    ledger.person_move(row, State.PENDING, "test", "test", row.updated_ms)
    report = run(ledger, "2022-07-05T08:01:00Z", catch_up=True)
    day2 = next(r for r in report.results if r.key == "week:day2:mastodon")
    assert day2.state == State.FAILED and "outside the campaign's folder" in day2.detail


def test_a_refused_account_sends_nothing_more_from_the_same_batch(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Three posts due at the same minute are claimed together; the first is refused for its
    token: the other two must be paused with the account, not sent."""
    same_minute = WEEK.replace("2022-07-05 09:00", "2022-07-04 09:00").replace(
        "2022-07-06 09:00", "2022-07-04 09:00"
    )
    schedule(ledger, tmp_path, same_minute)
    fake().script = ["revoked"]
    report = run(ledger, "2022-07-04T08:00:00Z")
    assert [r.state for r in report.results] == [State.FAILED]
    assert fake().received == []
    after = states(ledger)
    assert after["week:day2:mastodon"] == after["week:day3:mastodon"] == "paused"
    assert after["week:launch:mastodon#2"] == "paused"
    for row in ledger.rows(states=[State.PAUSED]):
        assert row.lease_owner is None and row.lease_until_ms is None


def test_a_rehearsal_of_late_posts_says_missed_and_exits_as_the_real_run(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    rehearsal = run(ledger, "2022-07-04T08:16:00Z", dry_run=True)
    assert rehearsal.rehearsal
    assert {r.key: r.state for r in rehearsal.results} == {
        "week:launch:mastodon": State.MISSED,
        "week:launch:mastodon#2": State.MISSED,
    }
    assert rehearsal.exit_code == 1
    assert set(states(ledger).values()) == {"pending"}  # nothing recorded
    real = run(ledger, "2022-07-04T08:16:00Z")
    assert [(r.key, r.state, r.detail) for r in real.results] == [
        (r.key, r.state, r.detail) for r in rehearsal.results
    ]
    assert real.exit_code == rehearsal.exit_code == 1


def test_a_rehearsal_names_what_is_left_for_a_person(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["timeout-after"]
    run(ledger, "2022-07-04T08:00:00Z")
    ledger.pause_campaign("week", "a person", 0)
    report = run(ledger, "2022-07-05T08:00:00Z", dry_run=True, grace_ms=10**12)
    got = {r.key: r.state for r in report.results}
    assert got == {
        "week:launch:mastodon": State.UNCONFIRMED,
        "week:launch:mastodon#2": State.PAUSED,
        "week:day2:mastodon": State.PAUSED,
    }
    assert report.exit_code == 1 and report.dry_run == []
    assert "held, not sent: campaign paused by a person" in report.results[-1].detail


def test_reconcile_asks_with_the_request_as_it_was_sent(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(ledger, tmp_path)
    fake().script = ["timeout-after"]
    run(ledger, "2022-07-04T08:00:00Z")
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.state == State.UNCONFIRMED and row.request is not None
    assert row.request["payload"]["text"] == "Launch"
    assert row.request["payload"]["idempotency_key"] == row.delivery.idempotency_key
    asked: list[str] = []
    original = FakeAdapter.reconcile

    def reconcile(self: FakeAdapter, request: Request) -> ReconcileOutcome:
        asked.append(request.payload["text"])
        return original(self, request)

    original_build = FakeAdapter.build

    def build(self: FakeAdapter, d: Delivery, reply_to_id: str | None = None) -> Request:
        assert d.key != "week:launch:mastodon", "reconcile must not rebuild the request"
        return original_build(self, d, reply_to_id)

    monkeypatch.setattr(FakeAdapter, "reconcile", reconcile)
    monkeypatch.setattr(FakeAdapter, "build", build)
    run(ledger, "2022-07-04T08:01:00Z")
    assert asked == ["Launch"]
    assert states(ledger)["week:launch:mastodon"] == "published"


def test_retry_of_a_missed_delivery_sends_it_at_the_next_run_and_keeps_its_time(
    ledger: Ledger, tmp_path: Path
) -> None:
    from clarion.ledger.rows import ms

    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T10:00:00Z")  # launch and its part: missed
    due = ledger.get("week:launch:mastodon").due_ms  # type: ignore[union-attr]
    now = ms(utc("2022-07-04T12:00:00Z"))
    retried = ledger.retry("week:launch:mastodon", "a person", now)
    assert retried.now and retried.parts == 1 and retried.row.due_ms == due
    report = run(ledger, "2022-07-04T12:05:00Z")
    assert [r.state for r in report.results] == [State.PUBLISHED, State.PUBLISHED]
    assert schedule(ledger, tmp_path)[0].changes == []  # its time is still the file's
