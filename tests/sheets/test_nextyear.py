"""`clarion init --from LAST.yaml --start DATE`: next year's week from last year's file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.campaign import yamlsafe
from clarion.campaign.load import load
from clarion.campaign.nextyear import next_year
from clarion.campaign.schedule import slots
from tests.conftest import EXAMPLE
from tests.sheets.helpers import clarion


@pytest.fixture
def last(tmp_path: Path) -> Path:
    """The example week (4-9 July 2022, Monday to Saturday) with its pictures."""
    shutil.copytree(EXAMPLE.parent / "media", tmp_path / "media")
    path = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    return path


def test_the_example_week_moves_to_2023_on_the_same_weekdays(last: Path) -> None:
    result = clarion("init", "--from", str(last), "--start", "2023-07-03")
    assert result.exit_code == 0, result.output
    new = last.with_name("coproduction-week-2023.yaml")
    assert f"Wrote {new} (slug coproduction-week-2023, from Monday 3 July 2023)" in result.output
    old_text, new_text = last.read_text(), new.read_text()
    # only the dates, the name and the slug changed: every comment and line is kept
    changed = [
        (a, b) for a, b in zip(old_text.splitlines(), new_text.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        ("name: National Co-production Week 2022", "name: National Co-production Week 2023"),
        ("slug: coproduction-week-2022", "slug: coproduction-week-2023"),
        (
            "dates: {start: 2022-07-04, end: 2022-07-09}",
            "dates: {start: 2023-07-03, end: 2023-07-08}",
        ),
        ("    at: 2022-07-04 09:00", "    at: 2023-07-03 09:00"),
        ("    at: 2022-07-09 17:00", "    at: 2023-07-08 17:00"),
    ]
    before, after = load(last)[0], load(new)[0]
    assert before is not None and after is not None
    old_slots, _ = slots(before.campaign)
    new_slots, _ = slots(after.campaign)
    assert len(old_slots) == len(new_slots) == 10
    for a, b in zip(old_slots, new_slots, strict=True):
        assert a.path == b.path
        assert b.local.weekday() == a.local.weekday() and b.local.time() == a.local.time()
        assert b.local - a.local == dt.timedelta(weeks=52)
    # warnings: the alt text's "4 to 9 July 2022", with the place in the new file
    lines = new_text.splitlines()
    assert lines[29].strip().startswith("4 to 9 July 2022")
    assert f'{new}:30:11: warning: this text names the date "4 to 9 July"' in result.output
    assert f"{new}:30:23: warning: this text names the year 2022" in result.output
    assert "2 texts to check above" in result.output
    checked = clarion("validate", str(new))
    assert checked.exit_code == 0, checked.output
    # the delivery keys are the same posts, under the new slug
    old_keys = {k.split(":", 1)[1] for k in _keys(last)}
    assert {k.split(":", 1)[1] for k in _keys(new)} == old_keys


def _keys(path: Path) -> set[str]:
    import json

    out = clarion("preview", str(path), "--format", "json")
    assert out.exit_code == 0, out.output
    return {item["key"] for item in json.loads(out.stdout)}


def test_another_weekday_keeps_last_years_weekdays_and_says_so(last: Path, tmp_path: Path) -> None:
    target = tmp_path / "next.yaml"
    result = clarion("init", "--from", str(last), "--start", "05/07/2023", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert (
        "--start Wednesday 5 July 2023 is not a Monday (last year's week started on Monday 4 July "
        "2022); to keep every post on its weekday the week starts on Monday 3 July 2023."
    ) in result.output
    raw, _ = yamlsafe.load(target.read_bytes())
    assert raw["dates"] == {"start": dt.date(2023, 7, 3), "end": dt.date(2023, 7, 8)}
    assert raw["slug"] == "coproduction-week-2023"


def test_posts_without_ids_keep_their_keys_and_texts_naming_the_year_are_listed(
    tmp_path: Path,
) -> None:
    last = tmp_path / "carers-week-2025.yaml"
    last.write_text(
        "# our week\nversion: 1\nname: Carers Week 2025\ntimezone: Europe/London\n"
        "dates: {start: 2025-06-09, end: 2025-06-15}\nplatforms: [mastodon]\nposts:\n"
        "  - at: 2025-06-09 09:00   # the launch\n    text: Our seventh year of Carers Week!\n"
        '  - {day: 2, time: "10:00", text: "Join us on 10th June, or 11/06"}\n'
        '  - id: thanks\n    day: 7\n    time: "17:00"\n    text: Thank you, see you in 2026\n'
    )
    result = clarion("init", "--from", str(last), "--start", "2026-06-08")
    assert result.exit_code == 0, result.output
    new = tmp_path / "carers-week-2026.yaml"
    text = new.read_text()
    assert "  - id: post-1\n    at: 2026-06-08 09:00   # the launch\n" in text
    assert '  - {id: post-2, day: 2, time: "10:00"' in text
    assert text.startswith("# our week\n")
    raw, _ = yamlsafe.load(new.read_bytes())
    assert [p["id"] for p in raw["posts"]] == ["post-1", "post-2", "thanks"]
    assert raw["name"] == "Carers Week 2026"
    assert raw["slug"] == "carers-week-2026"  # written out: the keys no longer hang on a file name
    out = result.output
    assert f'{new}:11:15: warning: this text says "seventh year": is it one more this year?' in out
    assert 'names the date "10th June"' in out and 'names the date "11/06"' in out
    assert "names the year 2026" in out  # last year's "see you in 2026" is this year now
    assert clarion("validate", str(new)).exit_code == 0


def test_start_dates_and_mistakes_in_plain_words(last: Path, tmp_path: Path) -> None:
    american = clarion("init", "--from", str(last), "--start", "07/13/2023")
    assert american.exit_code == 2 and "reads as month first" in american.output
    nonsense = clarion("init", "--from", str(last), "--start", "next July")
    assert nonsense.exit_code == 2 and "is not a date Clarion can read" in nonsense.output
    for far in ("9999-12-31", "0001-01-01"):
        outside = clarion("init", "--from", str(last), "--start", far)
        assert outside.exit_code == 2 and "outside the years Clarion plans for" in outside.output
    late = clarion("init", "--from", str(last), "--start", "2100-12-27")
    assert late.exit_code == 1 and "27 December 2100 to 1 January 2101, outside" in late.output
    alone = clarion("init", "--start", "2023-07-03")
    assert alone.exit_code == 2 and "Give both --from" in alone.output
    same = clarion("init", "--from", str(last), "--start", "2022-07-05")
    assert same.exit_code == 1 and "within a few days of last year's start" in same.output
    missing = clarion("init", "--from", str(tmp_path / "nope.yaml"), "--start", "2023-07-03")
    assert missing.exit_code == 1 and "does not exist" in missing.output
    keep = tmp_path / "coproduction-week-2023.yaml"
    keep.write_text("mine")
    exists = clarion("init", "--from", str(last), "--start", "2023-07-03")
    assert (
        exists.exit_code == 1 and "already exists" in exists.output and keep.read_text() == "mine"
    )
    chosen = clarion(
        "init",
        "--from",
        str(last),
        "--start",
        "2023-07-03",
        "--slug",
        "copro-23",
        "-o",
        str(tmp_path / "c.yaml"),
    )
    assert chosen.exit_code == 0, chosen.output
    assert yamlsafe.load((tmp_path / "c.yaml").read_bytes())[0]["slug"] == "copro-23"
    bad_slug = clarion("init", "--from", str(last), "--start", "2023-07-03", "--slug", "Bad Slug")
    assert bad_slug.exit_code == 1 and '"Bad Slug" cannot be a slug' in bad_slug.output
    nameless = tmp_path / "week.yaml"
    nameless.write_text(
        last.read_text().replace("slug: coproduction-week-2022\n", "").replace(" 2022\n", "\n")
    )
    clash = clarion(
        "init",
        "--from",
        str(nameless),
        "--start",
        "2023-07-03",
        "-o",
        str(tmp_path / "week.yaml"),
        "--force",
    )
    assert clash.exit_code == 1 and "Give --slug" in clash.output


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 20)))
def test_any_start_keeps_every_weekday_and_time(start: dt.date) -> None:
    result = next_year(EXAMPLE, start, slug="next-week", out_name=None)
    if start == dt.date(2022, 7, 4) or abs((start - dt.date(2022, 7, 4)).days) < 4:
        assert result.text is None
        return
    assert result.text is not None, result.problems
    assert result.start is not None and result.start.weekday() == 0  # a Monday, as in 2022
    assert abs((result.start - start).days) <= 3
    raw, _ = yamlsafe.load(result.text.encode())
    old, _ = yamlsafe.load(EXAMPLE.read_bytes())
    for a, b in zip(old["posts"], raw["posts"], strict=True):
        assert a["id"] == b["id"]
        if "at" in a:
            before = dt.datetime.fromisoformat(str(a["at"]))
            after = dt.datetime.fromisoformat(str(b["at"]))
            assert after.weekday() == before.weekday() and after.time() == before.time()
