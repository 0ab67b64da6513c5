"""Sign-off in the ledger and the engine (SQLite and PostgreSQL): only approved content is sent."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from clarion.checking import check_files
from clarion.delivery import Delivery
from clarion.ledger import approvals
from clarion.ledger.rows import ms
from clarion.ledger.store import Ledger
from clarion.render.cards import prepare
from clarion.signoff import Standing, plan_hash
from tests.fakes import FakeAdapter, FakePlatform
from tests.ledger.helpers import WEEK, run, schedule, states

SIGNED_WEEK = WEEK.replace("platforms: [mastodon]\n", "platforms: [mastodon]\napproval: required\n")
APPROVED_AT = dt.datetime(2022, 6, 2, 9, 30, tzinfo=dt.UTC)


def fake() -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", "default"), FakePlatform())


def plan(folder: Path, text: str) -> list[Delivery]:
    path = folder / "week.yaml"
    path.write_text(textwrap.dedent(text))
    result = check_files([path], ["week.yaml"], prepare=prepare)
    assert result.ok, result.problems
    return list(result.deliveries)


def approve(ledger: Ledger, folder: Path, text: str, by: str = "Sam") -> str:
    return approvals.record(ledger, "week", plan(folder, text), by, ms(APPROVED_AT), "looks good")


def test_approval_is_kept_with_its_history(ledger: Ledger, tmp_path: Path) -> None:
    digest = approve(ledger, tmp_path, SIGNED_WEEK)
    assert digest == plan_hash(plan(tmp_path, SIGNED_WEEK))
    approve(ledger, tmp_path, SIGNED_WEEK.replace("Day two", "Day 2"), by="Alex")
    latest = approvals.latest(ledger, "week")
    assert len(latest) == 4
    assert latest["week:day2:mastodon"].by == "Alex"
    assert latest["week:day2:mastodon"].fields["text"] == "Day 2"
    assert [a.by for a in approvals.history(ledger, "week:day2:mastodon")] == ["Sam", "Alex"]
    last = approvals.last(ledger, "week")
    assert last is not None and last.by == "Alex" and last.note == "looks good"
    assert last.at_utc == APPROVED_AT


def test_schedule_stores_whether_approval_is_required(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path, WEEK)
    assert approvals.required(ledger, "week") is False
    schedule(ledger, tmp_path, SIGNED_WEEK)
    assert approvals.required(ledger, "week") is True
    schedule(ledger, tmp_path, SIGNED_WEEK.replace("approval: required", "approval: none"))
    assert approvals.required(ledger, "week") is False


def test_never_approved_is_not_sent_and_waits_with_its_reason(
    ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, SIGNED_WEEK)
    report = run(ledger, "2022-07-05T08:00:30Z")
    assert fake().received == []
    held = {r.key: r.detail for r in report.awaiting}
    assert held["week:day2:mastodon"] == "awaiting sign-off: never approved"
    assert states(ledger)["week:day2:mastodon"] == "pending"
    waits = {w.row.key for w in approvals.awaiting(ledger)}
    assert {"week:day2:mastodon", "week:day3:mastodon"} <= waits


def test_changed_after_approval_waits_then_goes_once_approved_again(
    ledger: Ledger, tmp_path: Path
) -> None:
    approve(ledger, tmp_path, SIGNED_WEEK)
    edited = SIGNED_WEEK.replace("Day two", "Day two, edited")
    schedule(ledger, tmp_path, edited)
    report = run(ledger, "2022-07-05T08:00:30Z")
    assert fake().texts() == []
    (held,) = [r for r in report.awaiting if r.key == "week:day2:mastodon"]
    assert held.detail == (
        "awaiting sign-off: it changed after it was approved on 2 June 2022 at 10:30 (+01:00) "
        "by Sam"
    )
    approve(ledger, tmp_path, edited, by="Alex")
    report = run(ledger, "2022-07-05T08:01:00Z")
    assert fake().texts() == ["Day two, edited"]
    assert states(ledger)["week:day2:mastodon"] == "published"
    assert report.awaiting == []


def test_approved_content_goes_out_and_campaigns_without_approval_are_untouched(
    ledger: Ledger, tmp_path: Path
) -> None:
    approve(ledger, tmp_path, SIGNED_WEEK)
    schedule(ledger, tmp_path, SIGNED_WEEK)
    run(ledger, "2022-07-05T08:00:30Z")
    assert fake().texts() == ["Day two"]
    other = tmp_path / "other"
    other.mkdir()
    schedule(ledger, other, WEEK.replace("slug: week", "slug: open"))
    run(ledger, "2022-07-06T08:00:30Z")
    assert "Day three" in fake().texts()  # the open campaign's post, never approved


def test_unapproved_past_its_grace_window_is_missed(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path, SIGNED_WEEK)
    run(ledger, "2022-07-05T08:00:30Z")
    run(ledger, "2022-07-05T09:00:00Z")
    assert states(ledger)["week:day2:mastodon"] == "missed"
    assert fake().received == []


def test_the_claim_itself_refuses_unapproved_content(ledger: Ledger, tmp_path: Path) -> None:
    """No Python pre-filter to get past: a claim straight on the ledger takes nothing."""
    schedule(ledger, tmp_path, SIGNED_WEEK)
    now = ms(dt.datetime(2022, 7, 5, 8, 0, 30, tzinfo=dt.UTC))
    assert ledger.claim(now, "someone", now + 60_000, 50) == []
    approve(ledger, tmp_path, SIGNED_WEEK)
    claimed = ledger.claim(now, "someone", now + 60_000, 50)
    assert "week:day2:mastodon" in {r.key for r in claimed}


def test_rehearsal_says_it_would_wait_and_records_nothing(ledger: Ledger, tmp_path: Path) -> None:
    schedule(ledger, tmp_path, SIGNED_WEEK)
    before = {r.key: len(ledger.events(r.key)) for r in ledger.rows()}
    report = run(ledger, "2022-07-05T08:00:30Z", dry_run=True)
    held = {r.key: r.detail for r in report.awaiting}
    assert held["week:day2:mastodon"] == "would wait for sign-off: never approved"
    assert report.dry_run == []
    assert {r.key: len(ledger.events(r.key)) for r in ledger.rows()} == before
    assert fake().received == []


def test_signoff_view_for_the_page(ledger: Ledger, tmp_path: Path) -> None:
    approve(ledger, tmp_path, SIGNED_WEEK)
    now = plan(tmp_path, SIGNED_WEEK.replace("Day three", "Day 3"))
    view = approvals.signoff(ledger, "week", now, require=True)
    assert view.by == "Sam" and view.required and not view.complete
    assert view.changed == ["week:day3:mastodon"]
    assert view.cards["week:day3:mastodon"] is Standing.CHANGED
    assert view.approved_plan != view.current_plan


def test_views_learn_which_deliveries_wait_for_sign_off(ledger: Ledger, tmp_path: Path) -> None:
    approve(ledger, tmp_path, SIGNED_WEEK)
    schedule(ledger, tmp_path, SIGNED_WEEK.replace("Day three", "Day 3"))
    held = approvals.awaiting_in(ledger, ["week"])
    assert list(held) == ["week:day3:mastodon"]
    assert held["week:day3:mastodon"].startswith("it changed after it was approved on 2 June")
    assert approvals.awaiting_in(ledger, ["other"]) == {}
