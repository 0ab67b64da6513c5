"""Inputs that cannot crash Clarion (issue 11, point 7): what is read, every number, duration and
date in range, a campaign's length and its deliveries capped, work linear in the date range, and
the timeouts in ``CLARION_*_TIMEOUT`` bounded. Each limit is said in plain words, never as a
traceback."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.campaign.load import read
from clarion.campaign.model import Campaign, Dates
from clarion.campaign.schedule import slots, to_utc, zone
from clarion.cli import cli
from clarion.settings import SettingsError, environ
from tests.clarion_proc import ClarionCLI
from tests.conftest import HEAD, Run, only

POST = "posts:\n  - {day: 1, time: '09:00', text: Hello}\n"


def week(dates: str = "{start: 2030-07-04, end: 2030-07-09}", zone: str = "Europe/London") -> str:
    return (
        HEAD.replace("dates: {start: 2022-07-04, end: 2022-07-09}", f"dates: {dates}")
        .replace("Europe/London", zone)
        .replace("2022-07-04", "2030-07-04")
    )


# --- what is read ---------------------------------------------------------------------------


def test_a_device_is_refused_at_once_without_reading_it(tmp_path: Path) -> None:
    done = ClarionCLI(tmp_path, {}).run("validate", "/dev/zero", timeout=20)
    assert done.returncode == 1, done.stderr
    assert "/dev/zero:1:1: This is a device (like /dev/zero), not a campaign file" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_fifo_is_refused_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "week.yaml"
    os.mkfifo(fifo)
    done = ClarionCLI(tmp_path, {}).run("validate", str(fifo), timeout=20)
    assert done.returncode == 1, done.stderr
    assert "This is a pipe (FIFO), not a campaign file" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_huge_file_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "week.yaml"
    with big.open("wb") as f:  # sparse: 8 GiB said, nothing written
        f.truncate(8 * 1024**3)
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", str(big)], catch_exceptions=False)
    assert time.perf_counter() - started < 5
    assert result.exit_code == 1
    assert "This file is 8,589,934,592 bytes; campaign files can be at most 1,048,576" in (
        result.output
    )


def test_a_file_whose_bytes_do_not_match_its_size_is_refused(tmp_path: Path) -> None:
    # /proc files say they are empty and then give bytes: like a file still being written.
    with pytest.raises(Exception, match="changed while Clarion was reading it"):
        read(Path("/proc/self/status"))
    ok = tmp_path / "week.yaml"
    ok.write_bytes(b"version: 1\n")
    assert read(ok) == b"version: 1\n"


# --- numbers, durations and dates in range ---------------------------------------------------


def test_a_5000_digit_number_is_refused_in_words(run: Run) -> None:
    p = only(run(week() + "posts:\n  - day: " + "9" * 5000 + "\n    time: '09:00'\n    text: a\n"))
    assert (p.line, p.column) == (7, 10)
    assert "(5,000 characters) is too large a number for a campaign" in p.message


def test_a_hex_number_too_large_for_words_is_refused(run: Run) -> None:
    p = only(
        run(week() + "posts:\n  - day: 0x" + "f" * 4000 + "\n    time: '09:00'\n    text: a\n")
    )
    assert "is too large a number for a campaign" in p.message


def test_a_date_yaml_cannot_make_is_named(run: Run) -> None:
    p = only(run(week("{start: 0000-01-01, end: 2030-07-09}") + POST))
    assert "`0000-01-01` is not a real date or time" in p.message


@pytest.mark.parametrize(
    ("grace", "words"),
    [
        ("9" * 400 + "h", "is far too long a duration"),
        ("25h", '`grace` must be from 1 minute to 1 day (e.g. 15m); "25h" is longer.'),
        ("0s", '`grace` must be from 1 minute to 1 day (e.g. 15m); "0s" is shorter.'),
        ("9" * 18, "Give `grace` as a duration with a unit"),
    ],
)
def test_grace_is_bounded(run: Run, grace: str, words: str) -> None:
    p = only(run(week() + f"grace: {grace}\n" + POST))
    assert words in p.message and p.line == 6


def test_a_sensible_grace_is_kept(run: Run) -> None:
    result = run(week() + "grace: 1h30m\n" + POST)
    assert result.ok and result.campaigns[0].campaign.grace == 90 * 60_000


@pytest.mark.parametrize(
    ("dates", "post"),
    [
        ("{start: 9999-12-31, end: 9999-12-31}", "{day: 1, time: '23:00', text: a}"),
        ("{start: 2030-07-04, end: 2030-07-09}", "{at: 9999-12-31 23:00, text: a}"),
        ("{start: 1999-12-31, end: 2000-01-01}", "{day: 1, time: '23:00', text: a}"),
        ("{start: 2030-07-04, end: 2030-07-09}", "{at: '2101-01-01 09:00', text: a}"),
    ],
)
def test_years_far_off_are_refused_west_of_utc_too(run: Run, dates: str, post: str) -> None:
    result = run(week(dates, zone="America/Los_Angeles") + f"posts:\n  - {post}\n")
    assert not result.ok
    assert all(
        "is outside what Clarion plans for (2000 to 2100)" in p.message for p in result.problems
    )


def test_a_local_time_that_cannot_become_utc_is_a_message_not_a_crash() -> None:
    with pytest.raises(ValueError, match="too far from today for Clarion"):
        to_utc(dt.datetime(9999, 12, 31, 23, 0), zone("America/Los_Angeles"))


@pytest.mark.parametrize("day", ["0", "-1", "367", "99999999999999"])
def test_a_day_number_is_from_1_to_366(run: Run, day: str) -> None:
    p = only(run(week() + f"posts:\n  - {{day: {day}, time: '09:00', text: a}}\n"))
    assert "cannot be a day of a campaign: days are numbered from 1" in p.message
    assert "at most 366 days" in p.message


@pytest.mark.parametrize(
    "template",
    ["{quote:>99999999999999999999}", "{quote:>100000000}", "{quote!z}", "{quote:{name}}"],
)
def test_a_template_with_a_format_spec_is_refused_not_run(run: Run, template: str) -> None:
    text = week() + (
        f"quotes:\n  template: '{template}'\n  times: ['09:00']\n  items:\n"
        "    - {quote: a, name: b}\n"
    )
    started = time.perf_counter()
    p = only(run(text))
    assert time.perf_counter() - started < 1  # the 100-million-character text is never made
    assert p.message == (
        f"The template writes `{template}`; Clarion fills in only plain {{quote}}, {{name}} and "
        "{role}. Remove what follows the name inside the braces."
    )


# --- the length of a campaign, and what it may make -------------------------------------------


def test_a_campaign_of_more_than_366_days_is_refused_at_once(run: Run) -> None:
    text = week("{start: 2000-01-01, end: 2099-12-31}") + (
        "quotes:\n  template: '{quote}'\n  times: ['09:00']\n  items:\n    - {quote: a, name: b}\n"
    )
    started = time.perf_counter()
    p = only(run(text))
    assert time.perf_counter() - started < 1  # was 11.5 s: quote slots quadratic in the days
    assert p.message.startswith("This campaign runs 36,525 days (2000-01-01 to 2099-12-31)")
    assert "at most 366 days" in p.message and p.line == 4


def test_a_campaign_of_366_days_with_quotes_every_day_is_fine(run: Run) -> None:
    items = "".join(f"    - {{quote: q{n}, name: n{n}}}\n" for n in range(366 * 2))
    text = week("{start: 2032-01-01, end: 2032-12-31}") + (
        f"quotes:\n  template: '{{quote}}'\n  times: ['09:00', '15:00']\n  items:\n{items}"
    )
    result = run(text)
    assert result.ok, result.problems
    assert len(result.deliveries) == 732


def _campaign(days: int, quotes_per_day: int = 2) -> Campaign:
    """A campaign of ``days`` days built without the model's checks (so longer than a year can
    be timed), with a quote in every slot."""
    data = {
        "version": 1,
        "name": "Long",
        "timezone": "UTC",
        "dates": Dates.model_construct(
            start=dt.date(2000, 1, 1), end=dt.date(2000, 1, 1) + dt.timedelta(days=days - 1)
        ),
        "platforms": ["mastodon"],
        "quotes": {
            "template": "{quote}",
            "times": ["09:00", "15:00"][:quotes_per_day],
            "items": [{"quote": f"q{n}", "name": "n"} for n in range(days * quotes_per_day)],
        },
    }
    raw = Campaign.model_validate({**data, "dates": {"start": "2030-01-01", "end": "2030-01-02"}})
    return raw.model_copy(update={"dates": data["dates"]})


def _best_of(n: int, days: int) -> float:
    campaign = _campaign(days, quotes_per_day=1)
    best = float("inf")
    for _ in range(n):
        started = time.perf_counter()
        placed, problems = slots(campaign)
        best = min(best, time.perf_counter() - started)
        assert not problems and len(placed) == days
    return best


def test_placing_quotes_is_linear_in_the_number_of_days() -> None:
    """Ten times the days takes about ten times as long (linear), not a hundred (quadratic, as
    it was). A ratio of the best of five runs, not an absolute time: the machine's speed cancels
    out; 40 leaves room for noise and is still far below the 100 of quadratic work."""
    short, long = _best_of(5, 3_000), _best_of(5, 30_000)
    assert long / short < 40, (
        f"{short * 1000:.1f} ms for 3,000 days, {long * 1000:.1f} ms for 30,000"
    )


def test_a_file_making_more_than_50000_deliveries_is_refused(run: Run) -> None:
    text = (
        week().replace("[mastodon]", "[x, mastodon, bluesky, facebook]")
        + "posts:\n"
        + ("  - {day: 1, time: '09:00', text: a}\n" * 12_501)
    )
    p = only(run(text))
    assert p.message.startswith("This campaign would make 50,004 deliveries")
    assert "a file may make at most 50,000. Split it into several files." in p.message
    assert p.line == 7


def test_thread_parts_count_only_where_there_are_threads(run: Run) -> None:
    thread = "    thread: [{text: b}, {text: c}]\n"
    text = (
        week().replace("[mastodon]", "[mastodon, facebook]")
        + "posts:\n"
        + ("  - day: 1\n    time: '09:00'\n    text: a\n" + thread)
    )
    result = run(text)
    assert result.ok and len(result.deliveries) == 4  # 3 on Mastodon, 1 (joined) on Facebook


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--now", "9999-12-31T23:00:00-08:00"], "is in the year 9999; give an instant from 2000"),
        (["--pretend-now", "0001-01-01T00:00:00+05:00"], "is in the year 1; give an instant"),
        (["--grace", "9" * 5000 + "h"], "is far too long a duration"),
        (["--grace", "0s"], '`--grace` must be from 1 minute to 1 day (e.g. 15m); "0s" is'),
        (["--lease", "2h"], '`--lease` must be from 1 second to 1 hour (e.g. 15m); "2h" is'),
        (["--workers", "9" * 5000], "Invalid value for '--workers'"),
        (["--workers", "257"], "257 is not in the range 1<=x<=256"),
    ],
)
def test_run_due_options_out_of_range_are_usage_errors(args: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, ["run-due", *args], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert words in result.output


def test_digest_now_in_year_9999_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["digest", "--pretend-now", "9999-12-31T23:59:00-05:00"], catch_exceptions=False
    )
    assert result.exit_code == 2 and "is in the year 9999" in result.output


# --- timeouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["inf", "-inf", "nan", "-1", "0", "0.5", "601", "1e308", "soon", "9" * 5000]
)
def test_a_timeout_outside_1_to_600_seconds_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        environ({"CLARION_MASTODON_TIMEOUT": raw}).timeout("mastodon")
    said = str(caught.value)
    assert said.startswith("CLARION_MASTODON_TIMEOUT=")
    assert "is not a number of seconds from 1 to 600; write one such as 30" in said
    assert len(said) < 200  # a 5,000-digit value is not repeated whole


@pytest.mark.parametrize(
    ("raw", "seconds"), [("1", 1.0), ("30", 30.0), ("600", 600.0), (" 2.5 ", 2.5)]
)
def test_a_timeout_within_range_is_used(raw: str, seconds: float) -> None:
    assert environ({"CLARION_X_TIMEOUT": raw}).timeout("x") == seconds


def test_the_checked_settings_name_every_bad_timeout() -> None:
    from clarion.settings import load

    with pytest.raises(SettingsError) as caught:
        load(environ({"CLARION_X_TIMEOUT": "inf", "CLARION_BLUESKY_TIMEOUT": "700"}))
    assert {p.split("=")[0] for p in caught.value.problems} == {
        "CLARION_X_TIMEOUT",
        "CLARION_BLUESKY_TIMEOUT",
    }


@pytest.mark.parametrize("raw", ["inf", "0.5"])
def test_run_due_with_a_bad_timeout_is_refused_naming_the_variable(
    tmp_path: Path, raw: str
) -> None:
    clarion = ClarionCLI(tmp_path, {})
    (tmp_path / "week.yaml").write_text(week() + POST)
    assert clarion.run("schedule", str(tmp_path / "week.yaml")).returncode == 0
    bad = {"CLARION_MASTODON_TIMEOUT": raw}
    for args in (["--now", "2030-07-04T08:00:00Z"], ["--pretend-now", "2030-07-04T08:00:00Z"]):
        done = clarion.run("run-due", *args, "--log-file", "-", env=bad)
        assert done.returncode == 1, done.stderr
        assert done.stderr == (
            f"Error: CLARION_MASTODON_TIMEOUT='{raw}' is not a number of seconds from 1 to 600; "
            "write one such as 30 (the default).\n"
        )
    assert clarion.states() == {"week:post-1:mastodon": "pending"}  # nothing was tried


# --- files a campaign names (quote cards) ----------------------------------------------------

CARD = (
    "quotes:\n  template: '{{quote}}'\n  times: ['09:00']\n  card:\n    {line}\n"
    "  items:\n    - {{quote: a, name: b}}\n"
)


def test_a_font_that_is_a_pipe_is_refused_instead_of_waiting(run: Run, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "font.ttf")
    started = time.perf_counter()
    p = only(run(week() + CARD.format(line="font: font.ttf")))
    assert time.perf_counter() - started < 5
    assert p.message == "`font.ttf` is not a file. Give the path of a .ttf or .otf file."


def test_a_font_or_logo_too_large_is_refused_before_it_is_read(run: Run, tmp_path: Path) -> None:
    from tests.conftest import png

    with (tmp_path / "font.ttf").open("wb") as f:
        f.write(b"\x00\x01\x00\x00")
        f.truncate(100 * 1024**3)  # sparse: 100 GiB said
    p = only(run(week() + CARD.format(line="font: font.ttf")))
    assert "is 107,374,182,400 bytes, too large for a font (at most 67,108,864)" in p.message
    with (tmp_path / "logo.png").open("wb") as f:
        f.write(png())
        f.truncate(50 * 1024**3)
    p = only(run(week() + CARD.format(line="logo: logo.png")))
    assert p.message == (
        "The logo `logo.png` is 51200.0 MB; a logo may be at most 16.0 MB. Use a smaller image."
    )


@pytest.mark.parametrize(
    "text",
    [" ".join(["Words.", "of", "a", "long", "text"] * 36_000), "x" * 900_000],
    ids=["900 KB of words", "one word of 900 KB"],
)
def test_splitting_a_huge_text_into_a_thread_takes_no_time(run: Run, text: str) -> None:
    """Splitting tries only what could fit in one part: 27 s and 5 s before."""
    campaign = week().replace("[mastodon]", "[x, mastodon, bluesky]") + "overflow: thread\n"
    run(campaign + POST)  # warm: the platforms' rules loaded
    started = time.perf_counter()
    result = run(campaign + f"posts:\n  - day: 1\n    time: '09:00'\n    text: {text}\n")
    assert time.perf_counter() - started < 2
    assert not result.ok  # more than 200 parts: refused in words, never cut short
    assert all("Too long for" in p.message for p in result.problems)


def test_a_text_too_long_for_200_parts_is_never_cut_short() -> None:
    from clarion.planner import split
    from clarion.platforms import get

    mastodon = get("mastodon")
    parts = split(mastodon, "word " * 40_000 + "end", "")
    assert "end" in parts[-1]  # was: 201 parts, the rest of the text dropped without a word
    assert not mastodon.check_length(parts[-1]).fits


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            "font: 'a\\0b.ttf'",
            "The font's file name contains a NUL character (\\0). Write it again.",
        ),
        (
            "logo: 'a\\0b.png'",
            "`a\\0b.png` contains a NUL character (\\0), which no file name can.",
        ),
    ],
)
def test_a_nul_in_a_file_name_is_said_in_words(run: Run, line: str, words: str) -> None:
    p = only(run(week() + CARD.format(line=line.replace("'", '"'))))
    assert p.message.startswith(words)


def test_a_nul_in_an_image_path_is_said_in_words(run: Run) -> None:
    text = week() + (
        "posts:\n  - day: 1\n    time: '09:00'\n    text: Hello\n"
        '    images: [{path: "media/a\\0b.png", alt: A picture}]\n'
    )
    p = only(run(text))
    assert p.message.startswith("`media/a\\0b.png` contains a NUL character (\\0)")


@pytest.mark.parametrize(
    "name", ["Europe/London" * 50_000, "Europe/London/../../etc", "Europe London"]
)
def test_a_time_zone_that_cannot_be_one_is_refused_in_words(run: Run, name: str) -> None:
    p = only(run(week(zone=name) + POST))
    assert "is not a time zone Clarion knows" in p.message


@pytest.mark.parametrize("raw", ["9" * 5000, "²", "0", "257", "-1", "1.5"])
def test_clarion_workers_out_of_range_is_refused_in_words(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^CLARION_WORKERS='.{1,40}' is not a number of sends"):
        _ = environ({"CLARION_WORKERS": raw}).workers
