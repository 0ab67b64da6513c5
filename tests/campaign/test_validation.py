"""Every validation rule, each with a failing campaign: message, line and column."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.conftest import HEAD, Run, only, png


def pos(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of needle in the dedented text."""
    text = textwrap.dedent(text)
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, col


def where(result_problem: object) -> tuple[int, int]:
    return (result_problem.line, result_problem.column)  # type: ignore[attr-defined]


POST = """\
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: Hello
"""


def test_a_valid_campaign_has_no_problems(run: Run) -> None:
    result = run(HEAD + POST)
    assert result.problems == []
    assert [d.key for d in result.deliveries] == ["week:launch:mastodon"]


# --- fields ---------------------------------------------------------------------------------


def test_unknown_field_suggests_the_right_one(run: Run) -> None:
    text = HEAD + POST.replace("text: Hello", "txt: Hello")
    result = run(text)
    messages = {p.message: where(p) for p in result.problems}
    unknown = next(m for m in messages if "`txt`" in m)
    assert "doesn't know the field `txt`" in unknown and "Did you mean `text`?" in unknown
    assert messages[unknown] == pos(text, "txt")
    missing = next(m for m in messages if "`text` is missing" in m)
    assert messages[missing] == pos(text, "id: launch")


def test_unknown_top_level_field_lists_what_is_allowed(run: Run) -> None:
    text = HEAD + "colourscheme: blue\n" + POST
    p = only(run(text))
    assert "doesn't know the field `colourscheme`" in p.message
    assert "timezone" in p.message  # the allowed fields are listed
    assert where(p) == pos(text, "colourscheme")


def test_missing_required_field(run: Run) -> None:
    text = HEAD.replace("timezone: Europe/London\n", "") + POST
    p = only(run(text))
    assert p.message.startswith("`timezone` is missing here.")
    assert "Europe/London" in p.message
    assert where(p) == (1, 1)


def test_wrong_type_in_words(run: Run) -> None:
    text = HEAD.replace("platforms: [mastodon]", "platforms: mastodon") + POST
    p = only(run(text))
    assert p.message == (
        "`platforms` must be a list, written in square brackets: `platforms: [mastodon]` "
        "(or one `- item` per line)."
    )
    assert where(p) == pos(text, "mastodon")


def test_overflow_must_be_error_or_thread(run: Run) -> None:
    text = HEAD + "overflow: split\n" + POST
    p = only(run(text))
    assert p.message == "`overflow` must be 'error' or 'thread'."
    assert where(p) == pos(text, "split")


def test_unknown_timezone(run: Run) -> None:
    text = HEAD.replace("Europe/London", "Europe/Londn") + POST
    p = only(run(text))
    assert "`Europe/Londn` is not a time zone" in p.message
    assert "Did you mean Europe/London?" in p.message
    assert where(p) == pos(text, "Europe/Londn")


def test_dates_out_of_order(run: Run) -> None:
    text = HEAD.replace(
        "{start: 2022-07-04, end: 2022-07-09}", "{start: 2022-07-09, end: 2022-07-04}"
    )
    p = only(run(text))
    assert "ends (2022-07-04) before it starts (2022-07-09)" in p.message
    assert where(p) == pos(text, "2022-07-04")


def test_date_that_is_not_a_date(run: Run) -> None:
    text = HEAD.replace("start: 2022-07-04", "start: 4th July") + POST
    p = only(run(text))
    assert "`start` must be a date written as YYYY-MM-DD" in p.message
    assert where(p) == pos(text, "4th July")


# --- times ----------------------------------------------------------------------------------


def test_post_after_the_window(run: Run) -> None:
    text = HEAD + POST.replace("2022-07-04 09:00", "2022-07-10 09:00")
    p = only(run(text))
    assert "10 July 2022, after the campaign ends (4 July 2022 to 9 July 2022)" in p.message
    assert where(p) == pos(text, "2022-07-10")


def test_post_before_the_window(run: Run) -> None:
    text = HEAD + POST.replace("2022-07-04 09:00", "2022-07-03 23:59")
    p = only(run(text))
    assert "before the campaign starts" in p.message
    assert where(p) == pos(text, "2022-07-03")


def test_day_outside_the_window(run: Run) -> None:
    text = HEAD + POST.replace("at: 2022-07-04 09:00", 'day: 7\n    time: "09:00"')
    p = only(run(text))
    assert "Day 7 is outside the campaign, which has 6 days" in p.message
    assert where(p) == pos(text, "7\n")


def test_at_and_day_together(run: Run) -> None:
    text = HEAD + POST.replace("at: 2022-07-04 09:00", "at: 2022-07-04 09:00\n    day: 1")
    p = only(run(text))
    assert p.message == "Give either `at` or `day` + `time`, not both."


def test_post_without_a_time(run: Run) -> None:
    text = HEAD + POST.replace("    at: 2022-07-04 09:00\n", "")
    p = only(run(text))
    assert "This post has no time" in p.message
    assert where(p) == pos(text, "id: launch")


def test_time_with_an_offset_is_refused(run: Run) -> None:
    text = HEAD + POST.replace("2022-07-04 09:00", "2022-07-04T09:00+01:00")
    p = only(run(text))
    assert "without a UTC offset" in p.message


def test_unquoted_clock_time_is_read_as_a_time(run: Run) -> None:
    # YAML 1.1 reads 12:00 as the number 720; Clarion keeps what the person wrote.
    text = HEAD + POST.replace("at: 2022-07-04 09:00", "day: 1\n    time: 12:00")
    result = run(text)
    assert result.problems == []
    assert result.deliveries[0].at.strftime("%H:%M") == "12:00"


SPRING = """\
version: 1
name: Spring
timezone: Europe/London
dates: {start: 2022-03-27, end: 2022-03-27}
platforms: [mastodon]
posts:
  - at: 2022-03-27 01:30
    text: In the gap
"""


def test_spring_forward_gap_is_an_error(run: Run) -> None:
    p = only(run(SPRING))
    assert p.message.startswith("27 March 2022 at 01:30 does not exist in Europe/London")
    assert where(p) == pos(SPRING, "2022-03-27 01:30")


def test_autumn_fall_back_is_ambiguous(run: Run) -> None:
    text = SPRING.replace("2022-03-27", "2022-10-30")
    p = only(run(text))
    assert p.message.startswith("30 October 2022 at 01:30 happens twice in Europe/London")
    assert where(p) == pos(text, "2022-10-30 01:30")


def test_dst_in_new_york_with_day_and_time(run: Run) -> None:
    text = (
        SPRING.replace("Europe/London", "America/New_York")
        .replace("2022-03-27", "2022-03-13")
        .replace("at: 2022-03-13 01:30", 'day: 1\n    time: "02:30"')
    )
    p = only(run(text))
    assert "13 March 2022 at 02:30 does not exist in America/New_York" in p.message
    assert where(p) == pos(text, "1\n    time")


def test_a_quote_slot_in_the_gap(run: Run) -> None:
    text = SPRING.replace(
        "posts:\n  - at: 2022-03-27 01:30\n    text: In the gap\n",
        'quotes:\n  template: "{quote} — {name}"\n  times: ["01:15"]\n  items:\n'
        "    - {quote: Hi, name: Sam}\n",
    )
    p = only(run(text))
    assert "01:15 does not exist in Europe/London" in p.message
    assert where(p) == pos(text, '["01:15"]')


def test_more_quotes_than_slots(run: Run) -> None:
    text = HEAD + textwrap.dedent(
        """\
        quotes:
          template: "{quote} — {name}"
          times: ["12:00"]
          days: [1, 2]
          items:
            - {quote: One, name: A}
            - {quote: Two, name: B}
            - {quote: Three, name: C}
        """
    )
    p = only(run(text))
    assert "3 quotes but only 2 quote slots (2 days × 1 times)" in p.message
    assert where(p) == pos(text, "{quote: Three")


# --- ids and platforms ----------------------------------------------------------------------


def test_duplicate_ids(run: Run) -> None:
    text = HEAD + POST + "  - id: launch\n    at: 2022-07-05 09:00\n    text: Again\n"
    p = only(run(text))
    assert "The id `launch` is used twice" in p.message
    assert where(p) == pos(text, "launch", 2)


def test_explicit_id_colliding_with_a_default_one(run: Run) -> None:
    text = (
        HEAD + POST.replace("id: launch", "id: post-2") + "  - at: 2022-07-05 09:00\n    text: B\n"
    )
    p = only(run(text))
    assert "The id `post-2` is used twice" in p.message


def test_unknown_platform(run: Run) -> None:
    text = HEAD.replace("[mastodon]", "[mastodon, twitter]") + POST
    p = only(run(text))
    assert "doesn't know the platform `twitter`. Did you mean `x`?" in p.message
    assert where(p) == pos(text, "twitter")


def test_variant_for_a_platform_the_post_does_not_use(run: Run) -> None:
    text = HEAD + POST + "    variants:\n      bluesky: {text: Hi}\n"
    p = only(run(text))
    assert "variant for bluesky, but this post does not go to bluesky" in p.message
    assert where(p) == pos(text, "bluesky:")


def test_hashtag_without_hash(run: Run) -> None:
    text = HEAD + 'hashtags: ["CarersWeek"]\n' + POST
    p = only(run(text))
    assert "`CarersWeek` is not a hashtag" in p.message and '"#CarersWeek"' in p.message


def test_bad_link(run: Run) -> None:
    text = HEAD + POST + "    link: www.example.org\n"
    p = only(run(text))
    assert "is not a web link" in p.message
    assert where(p) == pos(text, "www.example.org")


def test_template_with_an_unknown_placeholder(run: Run) -> None:
    text = HEAD + 'quotes:\n  template: "{quote} — {person}"\n  times: ["12:00"]\n  items: []\n'
    p = only(run(text))
    assert "{person}" in p.message
    assert where(p) == pos(text, '"{quote}')


# --- images ---------------------------------------------------------------------------------

IMAGE_POST = POST + "    images:\n      - {path: PATH, alt: A banner}\n"


def test_missing_image_file(run: Run) -> None:
    text = HEAD + IMAGE_POST.replace("PATH", "media/nope.png")
    p = only(run(text))
    assert "The image `media/nope.png` does not exist" in p.message
    assert where(p) == pos(text, "media/nope.png")


@pytest.mark.parametrize(
    ("path", "words"),
    [("/etc/hostname", "is an absolute path"), ("../outside.png", "uses `..`")],
)
def test_image_paths_that_escape_the_folder(run: Run, path: str, words: str) -> None:
    text = HEAD + IMAGE_POST.replace("PATH", path)
    p = only(run(text, name="sub/week.yaml"))
    assert words in p.message
    assert where(p) == pos(text, path)


def test_image_symlink_out_of_the_folder(run: Run, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(png())
    (tmp_path / "c").mkdir()
    os.symlink(outside, tmp_path / "c" / "pic.png")
    text = HEAD + IMAGE_POST.replace("PATH", "pic.png")
    p = only(run(text, name="c/week.yaml"))
    assert "is a link to a file outside the campaign's folder" in p.message


def test_image_inside_a_subfolder_is_fine(run: Run) -> None:
    text = HEAD + IMAGE_POST.replace("PATH", "media/ok.png")
    result = run(text, files={"media/ok.png": png()})
    assert result.problems == []
    assert result.deliveries[0].media[0].alt == "A banner"


def test_image_too_large_for_bluesky_is_made_smaller_and_said(run: Run) -> None:
    # Over Bluesky's 1,000,000 bytes only through its metadata: prepared, it fits (a note, no
    # problem). Photos fixed for each platform: tests/platforms/test_images*.py.
    text = HEAD.replace("[mastodon]", "[mastodon, bluesky]") + IMAGE_POST.replace("PATH", "big.png")
    result = run(text, files={"big.png": png(pad=2_000_001)})
    assert result.problems == []
    (note,) = [w for w in result.warnings if "big.png" in w.message]
    assert note.message.startswith("note: `big.png` will be saved at ")
    assert "for Bluesky (it is 1.9 MB, 2 × 2; Bluesky takes up to 977 KB" in note.message
    assert where(note) == pos(text, "big.png")


def test_image_type_refused_by_x(run: Run) -> None:
    text = HEAD.replace("[mastodon]", "[x]") + IMAGE_POST.replace("PATH", "pic.bmp")
    p = only(run(text, files={"pic.bmp": b"BM" + b"\0" * 64}))
    assert "`pic.bmp` is a BMP image; X accepts" in p.message
    assert "PNG" in p.message


def test_too_many_images(run: Run) -> None:
    images = "".join(f"      - {{path: a.png, alt: Picture {n}}}\n" for n in range(5))
    text = HEAD + POST + "    images:\n" + images
    p = only(run(text, files={"a.png": png()}))
    assert "5 images, but Mastodon takes at most 4 per post" in p.message


def test_missing_alt_text(run: Run) -> None:
    text = HEAD + POST + "    images:\n      - path: a.png\n"
    p = only(run(text, files={"a.png": png()}))
    assert "has no alt text" in p.message
    assert where(p) == pos(text, "path: a.png")


# --- lengths --------------------------------------------------------------------------------


def test_text_over_mastodon_limit_names_both_ways_out(run: Run) -> None:
    text = HEAD + POST.replace("text: Hello", "text: " + "a" * 501)
    p = only(run(text))
    assert p.message.startswith("Too long for Mastodon: 501 characters, the limit is 500.")
    assert "variants: {mastodon: {text: ...}}" in p.message
    assert "overflow: thread" in p.message
    assert where(p) == pos(text, "aaaa")


def test_variant_text_over_limit_points_at_the_variant(run: Run) -> None:
    long = "b" * 290
    text = (
        HEAD.replace("[mastodon]", "[mastodon, x]")
        + POST
        + f"    variants:\n      x: {{text: {long}}}\n"
    )
    p = only(run(text))
    assert p.message.startswith("Too long for X: 290")
    assert where(p) == pos(text, long)


def test_overflow_thread_splits_instead_of_failing(run: Run) -> None:
    text = HEAD + "overflow: thread\n" + POST.replace("text: Hello", "text: " + "word " * 150)
    result = run(text)
    assert result.problems == []
    keys = [d.key for d in result.deliveries]
    assert keys == ["week:launch:mastodon", "week:launch:mastodon#2"]
    assert result.deliveries[1].reply_to == "week:launch:mastodon"
    assert all(f.length <= f.limit for f in result.fits.values())


def test_every_problem_is_reported_at_once(run: Run) -> None:
    text = (
        HEAD.replace("Europe/London", "Mars/Olympus").replace("[mastodon]", "[mastodon, tiktok]")
        + POST.replace("2022-07-04 09:00", "2022-07-12 09:00")
        + "    images:\n      - path: missing.png\n"
    )
    result = run(text)
    messages = " | ".join(p.message for p in result.problems)
    for words in (
        "Mars/Olympus",
        "tiktok",
        "after the campaign ends",
        "no alt text",
        "does not exist",
    ):
        assert words in messages
    assert result.problems == sorted(result.problems)


def test_duplicate_slug_across_files(tmp_path: Path) -> None:
    from clarion.checking import check_files

    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + "slug: same\n" + POST)
    result = check_files([tmp_path / "a.yaml", tmp_path / "b.yaml"], ["a.yaml", "b.yaml"])
    p = only(result)
    assert p.file == "b.yaml" and "slug `same` is also used by a.yaml" in p.message
