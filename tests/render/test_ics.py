"""``clarion preview --format ics``: the week as a calendar file, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from icalendar import Calendar, Event

from clarion.checking import check_files
from clarion.cli import cli
from clarion.render import ics
from tests.conftest import EXAMPLE, HEAD

LABELS = {"x": "X", "facebook": "Facebook Page", "mastodon": "Mastodon", "bluesky": "Bluesky"}


def preview_json(*files: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["preview", *map(str, files), "--format", "json"])
    assert result.exit_code == 0, result.output
    items: list[dict[str, Any]] = json.loads(result.stdout)
    return items


def slots_of(items: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    slots: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        slots.setdefault((item["campaign"], item["post"]), []).append(item)
    return slots


def events_by_uid(data: bytes) -> dict[str, Event]:
    calendar = Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == len(calendar.walk("VEVENT")), "UIDs must be unique"
    return events


def expected_uid(campaign: str, post: str) -> str:
    return hashlib.sha256(f"{campaign}:{post}".encode()).hexdigest()[:32] + "@clarion"


def export(path: Path, stamp: dt.datetime) -> dict[str, Event]:
    result = check_files([path])
    assert result.ok, result.problems
    return events_by_uid(ics.render(result, result.deliveries, stamp=stamp))


def test_example_week_one_event_per_slot(tmp_path: Path) -> None:
    items = preview_json(EXAMPLE)
    slots = slots_of(items)
    out = tmp_path / "week.ics"
    result = CliRunner().invoke(cli, ["preview", str(EXAMPLE), "--format", "ics", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    calendar = Calendar.from_ical(data)
    calendar.validate()
    assert str(calendar["PRODID"]) == "-//Clarion//Campaign preview//EN"
    assert str(calendar["X-WR-CALNAME"]) == "National Co-production Week 2022"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()

    events = events_by_uid(data)
    assert len(events) == len(slots) >= 10
    assert len(items) > 3 * len(slots)  # several deliveries make each event
    for (campaign, post), parts in slots.items():
        event = events[expected_uid(campaign, post)]
        # The slot's local time, written with the campaign's zone (not converted to UTC).
        (at,) = {p["at"] for p in parts}
        assert event.start == dt.datetime.fromisoformat(at)
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert f"DTSTART;TZID=Europe/London:{event.start:%Y%m%dT%H%M%S}" in data.decode()
        assert event.end - event.start == ics.DURATION
        platforms = list(dict.fromkeys(p["platform"] for p in parts))
        names = ", ".join(LABELS[p] for p in LABELS if p in platforms)
        assert str(event["SUMMARY"]) == f"National Co-production Week 2022: {post} — {names}"
        description = str(event["DESCRIPTION"])
        for p in parts:  # every platform's exact text, thread parts included
            assert p["text"] in description
            assert f"{LABELS[p['platform']]}" in description
        for platform in platforms:
            n = sum(1 for p in parts if p["platform"] == platform)
            if n > 1:
                assert f"{LABELS[platform]}, a thread of {n}:" in description
                assert f"[{n}/{n}]" in description


def test_thread_parts_are_numbered_in_order() -> None:
    result = check_files([EXAMPLE])
    events = events_by_uid(ics.render(result, result.deliveries))
    parts = sorted(
        (d for d in result.deliveries if d.post == "how-we-work" and d.platform == "mastodon"),
        key=lambda d: d.thread_index,
    )
    assert len(parts) == 2
    description = str(events[expected_uid(parts[0].campaign, "how-we-work")]["DESCRIPTION"])
    block = description[description.index("Mastodon, a thread of 2:") :]
    assert block.index("[1/2]") < block.index(parts[0].text) < block.index("[2/2]")
    assert block.index("[2/2]") < block.index(parts[1].text)
    launch = str(events[expected_uid(parts[0].campaign, "launch")]["DESCRIPTION"])
    (image,) = next(d for d in result.deliveries if d.post == "launch").media
    assert f"Image {image.path}: {image.alt}" in launch


def test_an_empty_selection_is_an_empty_calendar() -> None:
    result = CliRunner().invoke(
        cli, ["preview", str(EXAMPLE), "--format", "ics", "--from", "2030-01-01"]
    )
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout_bytes)
    assert calendar.walk("VEVENT") == [] and calendar.timezones == []
    assert str(calendar["X-WR-CALNAME"]) == "National Co-production Week 2022"


def test_uids_stay_when_a_campaign_is_edited(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE.parent, folder)
    path = folder / EXAMPLE.name
    first = export(path, dt.datetime(2022, 6, 1, 12, tzinfo=dt.UTC))

    # Change one post's text and time, and add a post.
    text = path.read_text(encoding="utf-8")
    old = '  - id: what-it-means\n    day: 2\n    time: "09:30"\n    text: >-\n      What is'
    assert old in text
    text = text.replace(old, old.replace('"09:30"', '"10:45"').replace("What is", "What's"))
    new_post = (
        "  - id: extra\n    at: 2022-07-08 15:00\n    text: One more thing before the weekend.\n\n"
    )
    text = text.replace("  - id: thank-you\n", new_post + "  - id: thank-you\n")
    path.write_text(text, encoding="utf-8")
    second = export(path, dt.datetime(2022, 6, 2, 12, tzinfo=dt.UTC))

    assert set(second) - set(first) == {expected_uid("coproduction-week-2022", "extra")}
    assert set(first) <= set(second)
    edited = expected_uid("coproduction-week-2022", "what-it-means")
    assert first[edited].start == dt.datetime(2022, 7, 5, 9, 30, tzinfo=first[edited].start.tzinfo)
    assert second[edited].start.strftime("%Y-%m-%d %H:%M") == "2022-07-05 10:45"
    assert "What's co-production?" in str(second[edited]["DESCRIPTION"])
    assert "What is co-production?" in str(first[edited]["DESCRIPTION"])
    for uid, event in first.items():  # the rest is the same, but newer
        if uid != edited:
            assert second[uid].start == event.start
            assert str(second[uid]["DESCRIPTION"]) == str(event["DESCRIPTION"])
        assert second[uid]["SEQUENCE"] > event["SEQUENCE"]
        assert second[uid].DTSTAMP > event.DTSTAMP  # type: ignore[operator]
    extra = second[expected_uid("coproduction-week-2022", "extra")]
    assert "One more thing before the weekend." in str(extra["DESCRIPTION"])


def test_two_campaigns_in_two_zones_and_a_platform_filter(tmp_path: Path) -> None:
    other = tmp_path / "ny.yaml"
    other.write_text(
        HEAD.replace("Europe/London", "America/New_York").replace("Test Week", "NY Week")
        + "slug: ny-week\naccounts: {mastodon: press-office}\n"
        + "posts:\n  - id: hello\n    at: 2022-07-05 08:00\n    text: Hello NY\n",
        encoding="utf-8",
    )
    out = tmp_path / "both.ics"
    args = ["preview", str(EXAMPLE), str(other), "--format", "ics", "--platform", "mastodon"]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(out.read_bytes())
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["America/New_York", "Europe/London"]
    assert str(calendar["X-WR-CALNAME"]) == "National Co-production Week 2022, NY Week"
    events = events_by_uid(out.read_bytes())
    hello = events[expected_uid("ny-week", "hello")]
    assert hello["DTSTART"].params["TZID"] == "America/New_York"
    assert isinstance(hello.start, dt.datetime)
    assert hello.start.utcoffset() == dt.timedelta(hours=-4)
    assert str(hello["SUMMARY"]) == "NY Week: hello — Mastodon"
    assert str(hello["DESCRIPTION"]) == "Mastodon (account press-office):\nHello NY"
    assert all(str(e["SUMMARY"]).endswith("— Mastodon") for e in events.values())
    assert len(events) == len(slots_of(preview_json(EXAMPLE))) + 1


def test_to_stdout_when_no_output_file() -> None:
    result = CliRunner().invoke(cli, ["preview", str(EXAMPLE), "--format", "ics"])
    assert result.exit_code == 0, result.output
    events = Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert len(events) == len(slots_of(preview_json(EXAMPLE)))


@pytest.mark.parametrize("to_file", [True, False])
def test_invalid_campaign_exits_1_and_writes_nothing(tmp_path: Path, to_file: bool) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD.replace("[mastodon]", "[mastodon, twitter]") + "posts: []\n")
    out = tmp_path / "week.ics"
    args = ["preview", str(bad), "--format", "ics"] + (["-o", str(out)] if to_file else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "twitter" in result.stderr and "bad.yaml:" in result.stderr
    assert not out.exists()
    assert b"BEGIN:VCALENDAR" not in result.stdout_bytes


def test_real_subprocess_writes_the_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "week.ics"
    clarion = Path(sys.executable).parent / "clarion"
    done = subprocess.run(
        [str(clarion), "preview", str(EXAMPLE), "--format", "ics", "-o", str(out)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert len(events_by_uid(out.read_bytes())) == len(slots_of(preview_json(EXAMPLE)))
