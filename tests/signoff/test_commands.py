"""approve and diff through click's CliRunner, on a real SQLite ledger with the fake platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from tests.fakes import FakeAdapter, FakePlatform, ledger_env
from tests.ledger.helpers import WEEK

SIGNED_WEEK = WEEK.replace("platforms: [mastodon]\n", "platforms: [mastodon]\napproval: required\n")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path, NO_COLOR="1")


def clarion(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def week(tmp_path: Path) -> Path:
    path = tmp_path / "week.yaml"
    path.write_text(SIGNED_WEEK)
    return path


def fake() -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", "default"), FakePlatform())


def test_approve_says_what_was_approved(env: dict[str, str], week: Path) -> None:
    result = clarion(env, "approve", str(week), "--by", "Sam Jones", "--note", "ok")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Approved 4 deliveries of week (plan ")
    assert "by Sam Jones, " in result.stdout
    assert result.stdout.rstrip().endswith(").")  # local time with its offset
    assert clarion(env, "diff", str(week)).exit_code == 0


def test_approve_without_by_says_how_to_give_it(env: dict[str, str], week: Path) -> None:
    result = clarion(env, "approve", str(week))
    assert result.exit_code == 2
    assert f'Say who approves with --by, e.g. clarion approve {week} --by "Sam Jones".' in (
        result.output
    )
    blank = clarion(env, "approve", str(week), "--by", "  ")
    assert blank.exit_code == 2 and "Say who approves with --by" in blank.output


def test_an_invalid_campaign_cannot_be_approved(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SIGNED_WEEK.replace("timezone: Europe/London", "timezone: Mars/Olympus"))
    result = clarion(env, "approve", str(bad), "--by", "Sam")
    assert result.exit_code == 1
    assert "Nothing was approved." in result.output
    assert "Traceback" not in result.output
    assert clarion(env, "diff", str(tmp_path / "week.yaml")).exit_code == 2  # no such file


def test_plan_refuses_a_page_that_is_no_longer_the_plan(env: dict[str, str], week: Path) -> None:
    first = clarion(env, "approve", str(week), "--by", "Sam")
    old = first.stdout.split("(plan ")[1][:12]
    week.write_text(SIGNED_WEEK.replace("Day two", "Day two, edited"))
    refused = clarion(env, "approve", str(week), "--by", "Sam", "--plan", old)
    assert refused.exit_code == 1
    assert f"The plan changed since the page you read was made (page: {old}…, now: " in (
        refused.output
    )
    assert f"Make the page again with clarion preview {week}" in refused.output
    assert clarion(env, "diff", str(week)).exit_code == 1  # the refusal recorded nothing
    now = json.loads(clarion(env, "diff", str(week), "--format", "json").stdout)
    assert [c["key"] for c in now["campaigns"][0]["changed"]] == ["week:day2:mastodon"]
    first_again = clarion(env, "approve", str(week), "--by", "Sam")
    current = first_again.stdout.split("(plan ")[1][:12]
    assert current != old
    assert clarion(env, "approve", str(week), "--by", "Sam", "--plan", current).exit_code == 0
    too_short = clarion(env, "approve", str(week), "--by", "Sam", "--plan", current[:6])
    assert too_short.exit_code == 1


def test_diff_never_signed_off(env: dict[str, str], week: Path) -> None:
    result = clarion(env, "diff", str(week))
    assert result.exit_code == 1
    assert result.stdout == "week: never signed off (4 deliveries).\n"
    data = json.loads(clarion(env, "diff", str(week), "--format", "json").stdout)
    assert data == {
        "version": 1,
        "campaigns": [{"campaign": "week", "signed_off": None, "planned": 4, "changed": []}],
    }


def test_diff_word_by_word_time_new_and_removed(env: dict[str, str], week: Path) -> None:
    clarion(env, "approve", str(week), "--by", "Sam")
    edited = (
        SIGNED_WEEK.replace("text: Day two", "text: Day two of our great week")
        .replace("at: 2022-07-06 09:00", "at: 2022-07-06 11:30")
        .replace(
            "  - id: launch\n",
            "  - id: extra\n    at: 2022-07-07 09:00\n    text: Extra\n  - id: launch\n",
        )
        .replace("    text: Day three\n", "    text: Day three\n", 1)
    )
    without_day2 = edited
    week.write_text(without_day2)
    result = clarion(env, "diff", str(week))
    assert result.exit_code == 1
    out = result.output
    assert "week:day2:mastodon:" in out
    assert "text: Day two {+of our great week+}" in out
    assert "time: from Wed 6 July 2022 09:00 (+01:00) to Wed 6 July 2022 11:30 (+01:00)" in out
    assert "new      week:extra:mastodon: never approved" in out
    week.write_text(
        SIGNED_WEEK.replace("  - id: day3\n    at: 2022-07-06 09:00\n    text: Day three\n", "")
    )
    gone = clarion(env, "diff", str(week))
    assert "removed  week:day3:mastodon: approved, no longer in the plan" in gone.output


def test_diff_shows_replaced_words(env: dict[str, str], week: Path) -> None:
    clarion(env, "approve", str(week), "--by", "Sam")
    week.write_text(SIGNED_WEEK.replace("text: Day two", "text: Day 2"))
    out = clarion(env, "diff", str(week)).output
    assert "text: Day [-two-] {+2+}" in out


def test_status_run_due_and_approval_end_to_end(env: dict[str, str], week: Path) -> None:
    assert clarion(env, "approve", str(week), "--by", "Sam").exit_code == 0
    clarion(env, "schedule", str(week))
    week.write_text(SIGNED_WEEK.replace("Day two", "Day two, edited"))
    clarion(env, "schedule", str(week))
    status = json.loads(clarion(env, "status", "--format", "json").stdout)
    campaign = status["campaigns"][0]
    assert campaign["awaiting_signoff"] == 1
    (waits,) = [a for a in campaign["attention"] if a["state"] == "awaiting sign-off"]
    assert waits["key"] == "week:day2:mastodon"
    assert "it changed after it was approved on" in waits["reason"]
    assert f"`clarion diff {week.resolve()}`" in waits["reason"]
    assert f"`clarion approve {week.resolve()} --by NAME`" in waits["reason"]
    table = clarion(env, "status").output
    assert "awaiting sign-off 1" in table
    rehearsal = clarion(env, "run-due", "--now", "2022-07-05T08:00:30Z")
    assert "would wait for sign-off: it changed after it was approved" in rehearsal.output
    run = clarion(env, "run-due", "--pretend-now", "2022-07-05T08:00:30Z", "--log-file", "-")
    assert "sign-off   week:day2:mastodon  awaiting sign-off: it changed" in run.output
    assert fake().texts() == []
    assert clarion(env, "approve", str(week), "--by", "Alex").exit_code == 0
    clarion(env, "run-due", "--pretend-now", "2022-07-05T08:01:00Z", "--log-file", "-")
    assert fake().texts() == ["Day two, edited"]


def test_diff_says_images_and_account_in_words(env: dict[str, str], week: Path) -> None:
    from tests.conftest import png

    media = week.parent / "media"
    media.mkdir()
    (media / "a.png").write_bytes(png(3, 2))
    (media / "b.png").write_bytes(png(4, 2))
    with_image = SIGNED_WEEK.replace(
        "    text: Day two\n",
        "    text: Day two\n    images:\n      - path: media/a.png\n        alt: A grey square\n",
    )
    week.write_text(with_image)
    assert clarion(env, "approve", str(week), "--by", "Sam").exit_code == 0
    week.write_text(
        with_image.replace("media/a.png", "media/b.png").replace(
            "platforms: [mastodon]\n", "platforms: [mastodon]\naccounts: {mastodon: press}\n"
        )
    )
    data = json.loads(clarion(env, "diff", str(week), "--format", "json").stdout)
    changed = {
        c["key"]: [w["words"] for w in c["changes"]] for c in data["campaigns"][0]["changed"]
    }
    assert changed["week:day2:mastodon"] == [
        "image added: media/b.png (alt text: 'A grey square')",
        "image removed: media/a.png",
        "account: from 'default' to 'press'",
    ]
    assert changed["week:day3:mastodon"] == ["account: from 'default' to 'press'"]
    (media / "b.png").write_bytes(png(5, 2))
    week.write_text(with_image.replace("A grey square", "A small grey square"))
    (media / "a.png").write_bytes(png(6, 2))
    words = clarion(env, "diff", str(week)).stdout
    assert "image changed: media/a.png (the picture itself is different)" in words
    assert "alt text of media/a.png: from 'A grey square' to 'A small grey square'" in words


def test_preview_shows_what_waits_for_sign_off(env: dict[str, str], week: Path) -> None:
    """Scheduled but approved only before an edit: the changed delivery is shown as awaiting
    sign-off (JSON, table and page), the others as scheduled."""
    assert clarion(env, "approve", str(week), "--by", "Sam").exit_code == 0
    week.write_text(SIGNED_WEEK.replace("text: Day two", "text: Day two, edited"))
    assert clarion(env, "schedule", str(week)).exit_code == 0
    shown = json.loads(clarion(env, "preview", str(week), "--format", "json").stdout)
    states = {d["key"]: d["state"] for d in shown}
    assert states.pop("week:day2:mastodon") == "awaiting_signoff"
    assert set(states.values()) == {"pending"}
    table = clarion(env, "preview", str(week)).stdout
    assert table.count("[awaiting sign-off]") == 1
    page = week.parent / "week.html"
    clarion(env, "preview", str(week), "--format", "html", "-o", str(page))
    html = page.read_text()
    assert html.count('class="st st-awaiting_signoff"') == 1
    assert "changed after it was approved" in html


def test_status_check_warns_a_day_ahead_of_an_unapproved_post(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`status --check` is WARNING while a post due within 24 h waits for sign-off, OK again once
    it is approved; one due in three days does not warn yet."""
    import datetime as dt

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    later = soon + dt.timedelta(days=3)
    path = tmp_path / "soon.yaml"
    path.write_text(
        "version: 1\nname: Soon\nslug: soon\ntimezone: UTC\n"
        f"dates: {{start: {soon:%Y-%m-%d}, end: {later:%Y-%m-%d}}}\n"
        "platforms: [mastodon]\napproval: required\nposts:\n"
        f"  - id: a\n    at: {soon:%Y-%m-%d %H:%M}\n    text: Soon\n"
        f"  - id: b\n    at: {later:%Y-%m-%d %H:%M}\n    text: Later\n"
    )
    assert clarion(env, "schedule", str(path)).exit_code == 0
    check = clarion(env, "status", "--check")
    assert check.exit_code == 1, check.output
    assert check.stdout.startswith("CLARION WARNING - 1 awaiting sign-off within 24 h")
    assert "awaiting_signoff=1" in check.stdout
    assert clarion(env, "approve", str(path), "--by", "Sam").exit_code == 0
    again = clarion(env, "status", "--check")
    assert again.exit_code == 0, again.output
    assert "awaiting_signoff=0" in again.stdout


def test_cards_show_who_the_account_posts_as_once_checked(env: dict[str, str], week: Path) -> None:
    """Before `accounts check` a card names the account in words ("Your Mastodon account"),
    never "default"; after it, the handle the platform gave."""
    page = week.parent / "week.html"
    assert clarion(env, "schedule", str(week)).exit_code == 0
    clarion(env, "preview", str(week), "--format", "html", "-o", str(page))
    before = page.read_text()
    assert "@clarion" not in before and ">default<" not in before
    assert clarion(env, "accounts", "check").exit_code == 0
    clarion(env, "preview", str(week), "--format", "html", "-o", str(page))
    assert "@clarion" in page.read_text()
