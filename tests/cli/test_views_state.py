"""Every view tells the ledger's state (issue 9, item 4), and the past is said aloud (item 6).

Through click's CliRunner on a real SQLite ledger: preview's table, JSON, HTML page and calendar
before and after `schedule`, after a person cancels a delivery and after a post leaves the file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from clarion.cli import cli
from clarion.render.ics import uid
from tests.fakes import ledger_env
from tests.ledger.helpers import WEEK

#: The test week, moved into the future so that nothing in it is past.
FUTURE = WEEK.replace("2022-07-0", "2036-07-0")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path)


def clarion(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def states(env: dict[str, str], week: Path) -> dict[str, str | None]:
    out = clarion(env, "preview", str(week), "--format", "json")
    assert out.exit_code == 0, out.output
    return {item["key"]: item["state"] for item in json.loads(out.stdout)}


def events(env: dict[str, str], week: Path, tmp_path: Path) -> dict[str, object]:
    target = tmp_path / "week.ics"
    out = clarion(env, "preview", str(week), "--format", "ics", "-o", str(target))
    assert out.exit_code == 0, out.output
    calendar = Calendar.from_ical(target.read_bytes())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_views_show_the_ledger_state(env: dict[str, str], tmp_path: Path) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(FUTURE)
    # not scheduled: no state at all (not "pending"), and no ledger is created by a preview
    assert set(states(env, week).values()) == {None}
    assert not (tmp_path / "data").exists()

    assert clarion(env, "schedule", str(week)).exit_code == 0
    assert set(states(env, week).values()) == {"pending"}

    # a person cancels one delivery: every view says so
    assert clarion(env, "cancel", "week:day2:mastodon").exit_code == 0
    assert states(env, week)["week:day2:mastodon"] == "cancelled"
    table = clarion(env, "preview", str(week))
    line = next(x for x in table.stdout.splitlines() if "week:day2:mastodon" in x)
    assert "[cancelled]" in line
    assert "[" not in next(x for x in table.stdout.splitlines() if "week:day3:mastodon" in x)
    page = tmp_path / "week.html"
    out = clarion(env, "preview", str(week), "--format", "html", "-o", str(page))
    assert out.exit_code == 0, out.output
    html = page.read_text()
    card = re.search(
        r'<article class="card p-mastodon st-cancelled" data-key="week:day2:[^>]*>', html
    )
    assert card and 'data-state="cancelled"' in card.group(0)
    assert '<span class="st st-cancelled"' in html
    assert "3 posts (4 deliveries)" in html
    assert "in the ledger: 1 cancelled · 3 scheduled" in html

    # the calendar cancels that post's event instead of keeping it
    before = events(env, week, tmp_path)
    cancelled = before[uid("week", "day2")]
    assert cancelled["STATUS"] == "CANCELLED"
    assert "STATUS" not in before[uid("week", "day3")]


def test_a_post_removed_from_the_file_is_cancelled_in_the_calendar(
    env: dict[str, str], tmp_path: Path
) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(FUTURE)
    assert clarion(env, "schedule", str(week)).exit_code == 0
    first = events(env, week, tmp_path)
    day3 = first[uid("week", "day3")]
    assert "STATUS" not in day3
    lines = FUTURE.splitlines(keepends=True)
    at = lines.index("  - id: day3\n")
    week.write_text("".join(lines[:at]))  # day3 removed from the file
    assert clarion(env, "schedule", str(week)).exit_code == 0
    assert "week:day3:mastodon" not in states(env, week)
    again = events(env, week, tmp_path)
    gone = again[uid("week", "day3")]
    assert gone["STATUS"] == "CANCELLED"
    assert int(gone["SEQUENCE"]) > int(day3["SEQUENCE"])
    assert "Day three" in str(gone["DESCRIPTION"])  # what the ledger kept of it


def test_a_past_campaign_is_said_aloud_but_not_refused(env: dict[str, str], tmp_path: Path) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(WEEK)  # July 2022
    out = clarion(env, "validate", str(week))
    assert out.exit_code == 0
    assert "OK" in out.stdout
    assert "warning: The whole campaign is past" in out.stderr
    assert re.search(r"\d+ years? ago", out.stderr)
    assert "will be marked missed, not sent" in out.stderr
    scheduled = clarion(env, "schedule", str(week))
    assert scheduled.exit_code == 0
    assert "warning: The whole campaign is past" in scheduled.stderr
    # nothing past in the future week: no warning
    week.write_text(FUTURE)
    assert clarion(env, "validate", str(week)).stderr == ""


def test_some_posts_past_are_counted(env: dict[str, str], tmp_path: Path) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(FUTURE.replace("at: 2036-07-04 09:00", "at: 2022-07-04 09:00", 1))
    out = clarion(env, "validate", str(week))
    assert out.exit_code == 1  # a post outside the campaign's dates is still an error
    # a campaign under way (at most 366 days long): its first post yesterday, the rest to come
    today = dt.date.today()
    days = [today + dt.timedelta(days=n) for n in (-1, 1, 2)]
    moving = FUTURE.replace("start: 2036-07-04", f"start: {days[0]}")
    moving = moving.replace("end: 2036-07-09", f"end: {days[2]}")
    for n, old in enumerate(("2036-07-04", "2036-07-05", "2036-07-06")):
        moving = moving.replace(f"at: {old} 09:00", f"at: {days[n]} 09:00")
    week.write_text(moving)
    out = clarion(env, "validate", str(week))
    assert out.exit_code == 0, out.output
    first = f"{days[0].day} {days[0]:%B %Y} at 09:00"
    assert f"warning: 1 post is already past: the first was due {first}" in out.stderr
