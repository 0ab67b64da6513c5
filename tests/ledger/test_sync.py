"""The campaign file and the ledger (docs/running.md): what `schedule` does to each delivery, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clarion.ledger.rows import ms
from clarion.ledger.states import CancelledBy, State, TransitionError
from clarion.ledger.store import Ledger
from tests.fakes import FakeAdapter, FakePlatform
from tests.ledger.helpers import WEEK, run, schedule, states, utc

FUTURE = WEEK.replace("2022-07", "2100-07")
DAY3 = "  - id: day3\n    at: {year}-07-06 09:00\n    text: Day three\n"
NOW = ms(utc("2030-01-01T00:00:00Z"))


def fake() -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", "default"), FakePlatform())


def without_day3(text: str) -> str:
    year = "2100" if "2100" in text else "2022"
    out = text.replace(DAY3.format(year=year), "")
    assert out != text
    return out


def test_removed_then_put_back_before_its_time_is_pending_again_at_its_time(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, FUTURE)
    due = ledger.get("week:day3:mastodon").due_ms  # type: ignore[union-attr]
    removed = schedule(ledger, tmp_path, without_day3(FUTURE))[0]
    assert [(c.key, c.what) for c in removed.changes] == [("week:day3:mastodon", "cancelled")]
    row = ledger.get("week:day3:mastodon")
    assert row is not None and row.cancelled_by == CancelledBy.FILE
    back = schedule(ledger, tmp_path, FUTURE)[0]
    assert [(c.key, c.what) for c in back.changes] == [("week:day3:mastodon", "restored")]
    assert back.changes[0].reason == "back in the campaign file"
    assert back.unchanged == 3
    row = ledger.get("week:day3:mastodon")
    assert row is not None and row.state == State.PENDING and row.due_ms == due
    assert row.cancelled_by is None
    assert [e.to_state for e in ledger.events(row.key)] == [
        State.PENDING,
        State.CANCELLED,
        State.PENDING,
    ]
    assert schedule(ledger, tmp_path, FUTURE)[0].changes == []  # and then it is unchanged


def test_put_back_after_its_time_says_the_next_run_marks_it_missed(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    schedule(ledger, tmp_path, without_day3(WEEK))
    back = schedule(ledger, tmp_path)[0]
    [change] = back.changes
    assert change.what == "restored"
    assert "already past: the next run marks it missed unless `run-due --catch-up`" in (
        change.reason
    )
    assert states(ledger)["week:day3:mastodon"] == "pending"


def test_a_delivery_a_person_cancelled_stays_cancelled_until_retried(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, FUTURE)
    ledger.cancel("week:day3:mastodon", "a person", NOW)
    assert schedule(ledger, tmp_path, FUTURE)[0].changes == []
    assert states(ledger)["week:day3:mastodon"] == "cancelled"
    # removed and put back: still a person's cancel
    schedule(ledger, tmp_path, without_day3(FUTURE))
    assert schedule(ledger, tmp_path, FUTURE)[0].changes == []
    # an edit follows the file, but it stays cancelled
    edited = schedule(ledger, tmp_path, FUTURE.replace("Day three", "Day 3"))[0]
    [change] = edited.changes
    assert change.what == "updated" and change.changed == ("text",)
    assert "stays cancelled" in change.reason and "clarion retry" in change.reason
    row = ledger.get("week:day3:mastodon")
    assert row is not None and row.state == State.CANCELLED and row.text == "Day 3"
    retried = ledger.retry("week:day3:mastodon", "a person", NOW)
    assert retried.row.state == State.PENDING and not retried.now
    assert retried.row.due_ms == row.due_ms  # its time has not come: kept


def test_cancel_and_retry_of_a_campaign(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path, FUTURE)
    ledger.cancel("week:day2:mastodon", "a person", NOW)
    assert ledger.cancel_campaign("week", "a person", NOW) == 3
    assert set(states(ledger).values()) == {"cancelled"}
    assert schedule(ledger, tmp_path, FUTURE)[0].changes == []  # schedule does not undo it
    assert ledger.retry_campaign("week", "a person", NOW) == 3
    after = states(ledger)
    assert after.pop("week:day2:mastodon") == "cancelled"  # cancelled on its own: retry KEY
    assert set(after.values()) == {"pending"}
    with pytest.raises(TransitionError, match="No campaign 'nope'"):
        ledger.retry_campaign("nope", "a person", NOW)


def test_pause_resume_and_a_put_back_delivery_of_a_paused_campaign(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, FUTURE)
    schedule(ledger, tmp_path, without_day3(FUTURE))
    assert ledger.pause_campaign("week", "a person", NOW) == 3
    schedule(ledger, tmp_path, FUTURE)
    assert states(ledger)["week:day3:mastodon"] == "paused"  # back, but held with its campaign
    assert ledger.resume_campaign("week", "a person", NOW) == 4
    assert set(states(ledger).values()) == {"pending"}


def test_updated_names_what_changed_and_time_alone_is_rescheduled(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, FUTURE)
    moved = schedule(ledger, tmp_path, FUTURE.replace("2100-07-05 09:00", "2100-07-05 10:00"))[0]
    assert [(c.key, c.what, c.changed) for c in moved.changes] == [
        ("week:day2:mastodon", "rescheduled", ("time",))
    ]
    text = FUTURE.replace("2100-07-05 09:00", "2100-07-05 11:00").replace("Day two", "Day 2")
    both = schedule(ledger, tmp_path, text)[0]
    assert [(c.what, c.changed) for c in both.changes] == [("updated", ("text", "time"))]
    reason = ledger.events("week:day2:mastodon")[-1].reason
    assert reason == "changed in the campaign file: text, time"


def test_published_is_never_touched(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T08:00:30Z")
    report = schedule(ledger, tmp_path, WEEK.replace("text: Launch\n", "text: Launch!\n"))[0]
    change = next(c for c in report.changes if c.key == "week:launch:mastodon")
    assert (change.what, change.reason) == ("ignored", "already published, change ignored")
    gone = WEEK.replace("    thread:\n      - text: Launch part two\n", "")
    report = schedule(ledger, tmp_path, gone)[0]
    change = next(c for c in report.changes if c.key == "week:launch:mastodon#2")
    assert change.what == "ignored" and "Clarion does not delete posts" in change.reason
    assert states(ledger)["week:launch:mastodon#2"] == "published"


def test_saved_server_limits_do_not_make_an_unchanged_file_updated(
    ledger: Ledger, tmp_path: Path
) -> None:
    """After `accounts check` saves a Mastodon server's limits, the same file is unchanged:
    the hash covers what is sent, not the limit it is measured against. Attempts, retry time
    and last error are kept."""
    from clarion.platforms import limits

    schedule(ledger, tmp_path)
    fake().script = ["500-before"]
    run(ledger, "2022-07-04T08:00:00Z")
    before = ledger.get("week:launch:mastodon")
    assert before is not None and before.state == State.RETRY and before.attempts == 1
    limits.save("mastodon", "default", "https://social.example", {"max_length": 1000})
    try:
        report = schedule(ledger, tmp_path)[0]
    finally:
        limits.for_account.cache_clear()
    assert report.changes == [] and report.unchanged == 4
    after = ledger.get("week:launch:mastodon")
    assert after is not None
    assert (after.state, after.attempts, after.not_before_ms, after.last_error) == (
        before.state,
        before.attempts,
        before.not_before_ms,
        before.last_error,
    )


def test_a_row_scheduled_before_content_was_kept_still_reads_and_is_unchanged(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    legacy = {
        "text": "Day two",
        "at": "2022-07-05T09:00:00+01:00",
        "length": 7,
        "limit": 500,
        "images": [],
    }
    ledger.db.execute(
        "UPDATE deliveries SET payload = ?, content = NULL, content_hash = NULL WHERE key = ?",
        (json.dumps(legacy), "week:day2:mastodon"),
    )
    row = ledger.get("week:day2:mastodon")
    assert row is not None and row.content_hash is None and row.text == "Day two"
    assert schedule(ledger, tmp_path)[0].changes == []
    row = ledger.get("week:day2:mastodon")
    assert row is not None and row.content_hash is not None  # given its content quietly
    assert len(ledger.events(row.key)) == 1


def test_every_move_is_checked_against_the_allowed_transitions(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T08:00:30Z")
    row = ledger.get("week:launch:mastodon")
    assert row is not None and row.state == State.PUBLISHED
    with pytest.raises(TransitionError, match="is published; it cannot be moved to pending"):
        ledger.move(row, State.PENDING, "engine bug", "test", NOW)
    with pytest.raises(TransitionError, match="cannot be moved to cancelled"):
        ledger.cancel("week:launch:mastodon", "a person", NOW)


def test_view_states_include_deliveries_removed_from_the_file(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path)
    run(ledger, "2022-07-04T08:00:30Z")
    schedule(ledger, tmp_path, without_day3(WEEK))
    seen = ledger.view_states(["week"])
    assert seen["week:day3:mastodon"] == (State.CANCELLED, None, "removed from the campaign file")
    state, url, _ = seen["week:launch:mastodon"]
    assert state == State.PUBLISHED and url is not None and url.startswith("https://fake.example")
    assert ledger.view_states([]) == {}


def test_a_schema_1_ledger_is_migrated_and_its_rows_still_read(tmp_path: Path) -> None:
    from clarion.ledger import open_ledger
    from clarion.ledger.db import SQLiteDatabase
    from clarion.ledger.schema import MIGRATIONS, statements

    path = tmp_path / "old.sqlite3"
    db = SQLiteDatabase(path)
    with db.transaction():
        db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_ms BIGINT NOT NULL)"
        )
        for statement in statements(MIGRATIONS[0], "sqlite"):
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (1, 'first', 0)")
        db.execute(
            "INSERT INTO campaigns VALUES ('week', 'Test Week', ?, 'Europe/London', 900000, 0, 0)",
            (str(tmp_path / "week.yaml"),),
        )
        payload = {
            "text": "Day three",
            "at": "2022-07-06T09:00:00+01:00",
            "length": 9,
            "limit": 500,
            "images": [{"path": "pic.png", "alt": "A picture", "file": "/x/pic.png"}],
        }
        db.execute(
            "INSERT INTO deliveries (key, campaign, post, platform, account, due_ms, grace_ms, "
            "thread_index, payload, payload_hash, state, created_ms, updated_ms) VALUES "
            "('week:day3:mastodon', 'week', 'day3', 'mastodon', 'default', 1657094400000, "
            "900000, 0, ?, 'old', 'cancelled', 0, 0)",
            (json.dumps(payload),),
        )
        db.execute(
            "INSERT INTO events (delivery_id, at_ms, actor, from_state, to_state, reason) "
            "VALUES (1, 0, 'old', 'pending', 'cancelled', 'removed from the campaign file')"
        )
    db.close()
    ledger = open_ledger(f"sqlite:///{path}")
    try:
        row = ledger.get("week:day3:mastodon")
        assert row is not None
        assert row.delivery.zone == "Europe/London" and row.text == "Day three"
        assert [(m.path, m.alt, m.file) for m in row.delivery.media] == [
            ("pic.png", "A picture", "/x/pic.png")
        ]
        assert row.cancelled_by == CancelledBy.FILE and row.content_hash is None
        assert row.delivery.at.isoformat() == "2022-07-06T09:00:00+01:00"
    finally:
        ledger.close()
