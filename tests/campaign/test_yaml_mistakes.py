"""The YAML mistakes people make typing a campaign get plain words, the real line:col and the fix.

Each file goes through `clarion validate --format json`, as a person would run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.campaign import filekinds, yamlhints, yamlvalues
from clarion.cli import cli

BASE = """\
version: 1
name: Test week
timezone: Europe/London
dates: {start: 2030-07-04, end: 2030-07-09}
platforms: [mastodon, bluesky]
hashtags: ["#CoproWeek"]
posts:
  - id: launch
    day: 1
    time: "09:00"
    text: Hello world
  - id: two
    day: 2
    time: "10:00"
    text: Second post
"""


def validate(tmp_path: Path, data: str | bytes, name: str = "week.yaml") -> list[dict[str, object]]:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    result = CliRunner().invoke(
        cli, ["validate", "--format", "json", str(path)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    problems: list[dict[str, object]] = json.loads(result.stdout)
    return problems


def one(tmp_path: Path, data: str | bytes, name: str = "week.yaml") -> tuple[int, int, str]:
    problems = validate(tmp_path, data, name)
    assert len(problems) == 1, problems
    p = problems[0]
    return int(str(p["line"])), int(str(p["column"])), str(p["message"])


def edit(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    assert validate(tmp_path, BASE) == []


def test_colon_inside_unquoted_text(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("text: Hello world", "text: Join us: it starts today"))
    assert (line, col) == (11, 18)
    assert "contains `: `" in msg and "after “Join us”" in msg
    assert '`text: "Join us: it starts today"`' in msg and "`text: >-`" in msg


def test_colon_on_a_continued_line_suggests_a_folded_block(tmp_path: Path) -> None:
    text = edit("text: Hello world", "text: Hello world\n      and then: more")
    line, col, msg = one(tmp_path, text)
    assert (line, col) == (12, 15)
    assert "contains `: `" in msg and "`text: >-`" in msg


def test_tab_used_for_indentation(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit('    time: "10:00"', '\ttime: "10:00"'))
    assert (line, col) == (14, 1)
    assert msg.startswith("Line 14 starts with a tab.") and "replace the tab with spaces" in msg


def test_unquoted_hashtags_are_a_comment(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit('hashtags: ["#CoproWeek"]', "hashtags: #CoproWeek #Carers"))
    assert (line, col) == (6, 10)
    assert "YAML reads `#` as the start of a comment" in msg
    assert '`hashtags: ["#CoproWeek", "#Carers"]`' in msg


def test_unquoted_hashtag_in_a_list_item(tmp_path: Path) -> None:
    line, _, msg = one(tmp_path, edit('hashtags: ["#CoproWeek"]', "hashtags:\n  - #CoproWeek"))
    assert line == 7
    assert '`- "#CoproWeek"`' in msg


def test_unquoted_hashtags_in_a_flow_list(tmp_path: Path) -> None:
    text = edit('hashtags: ["#CoproWeek"]', "hashtags: [#CoproWeek, #Carers]")
    line, col, msg = one(tmp_path, text)
    assert (line, col) == (6, 11)
    assert "comment" in msg and '["#CoproWeek", "#Carers"]' in msg


def test_text_starting_with_a_hashtag(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("text: Hello world", "text: #CoproWeek starts today"))
    assert (line, col) == (11, 10)
    assert "`text` is empty" in msg and '`text: "#CoproWeek starts today"`' in msg


def test_unclosed_quote_points_where_it_opens(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("text: Hello world", 'text: "Hello world'))
    assert (line, col) == (11, 11)
    assert "never closed" in msg and '`text: "Hello world"`' in msg


def test_unclosed_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("text: Second post", "text: 'Second post"))
    assert (line, col) == (15, 11)
    assert "to the end of the file" in msg


def test_a_text_quoted_over_several_lines_is_not_blamed(tmp_path: Path) -> None:
    text = edit("text: Hello world", 'text: "Hello\n      world"') + "oops\n"
    problems = validate(tmp_path, text)
    assert len(problems) == 1
    assert "never closed" not in str(problems[0]["message"])


@pytest.mark.parametrize(
    ("old", "new", "field", "fixed"),
    [
        ("timezone: Europe/London", "timezone: “Europe/London”", "timezone", "Europe/London"),
        ('time: "09:00"', "time: “09:00”", "time", "09:00"),
        (
            "platforms: [mastodon, bluesky]",
            "platforms:\n  - ‘mastodon’\n  - bluesky",
            "",
            "mastodon",
        ),
    ],
)
def test_curly_quotes_around_a_value(
    tmp_path: Path, old: str, new: str, field: str, fixed: str
) -> None:
    _, _, msg = one(tmp_path, edit(old, new))
    assert "curly quotes" in msg and "straight quotes" in msg
    assert f'"{fixed}"' in msg


def test_curly_quotes_around_a_text_are_kept(tmp_path: Path) -> None:
    assert validate(tmp_path, edit("text: Hello world", "text: “Hello world”")) == []


@pytest.mark.parametrize(
    ("old", "new", "where", "fix"),
    [
        ("text: Hello world", "text:Hello world", (11, 10), "`text: Hello world`"),
        ('time: "10:00"', "time:10:00", (14, 10), '`time: "10:00"`'),
    ],
)
def test_missing_space_after_a_colon(
    tmp_path: Path, old: str, new: str, where: tuple[int, int], fix: str
) -> None:
    line, col, msg = one(tmp_path, edit(old, new))
    assert (line, col) == where
    assert "no space after" in msg and fix in msg


def test_a_field_indented_too_far(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("    text: Second post", "      text: Second post"))
    assert (line, col) == (15, 7)
    assert "indented more than `time:` on line 14" in msg and "column 5" in msg


def test_a_plain_value_then_a_field_indented_too_far(tmp_path: Path) -> None:
    text = edit(
        '    time: "10:00"\n    text: Second post', "    time: 10am\n      text: Second post"
    )
    line, col, msg = one(tmp_path, text)
    assert (line, col) == (15, 7)
    assert "indented more than `time:`" in msg


def test_a_list_item_at_the_wrong_depth(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("  - id: two", "    - id: two"))
    assert (line, col) == (12, 5)
    assert "item before it (line 8) starts at column 3" in msg and "move the `-` to column 3" in msg


def test_a_field_on_the_column_of_the_list(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("    text: Second post", "  text: Second post"))
    assert (line, col) == (15, 3)
    assert "Indent it to column 5" in msg


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        (
            "photo.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
            "This is a JPEG image, not a campaign file",
        ),
        ("banner.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is a PNG image"),
        ("plan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This is a PDF document"),
        ("plan.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "`clarion import`"),
        ("junk.yaml", b"abc\x00\x01\x02def", "This is a binary file"),
        ("empty.yaml", b"", "This file is empty"),
        ("comments.yaml", b"# nothing yet\n\n", "This file is empty"),
        (
            "README.md",
            b"# Our week\n\nSome words.\n\n## Plan\n\n- a\n",
            "Markdown document (README.md)",
        ),
        (
            "notes.yaml",
            b"# Plan\n\nSee [the site](https://example.org) for **all** of it.\n",
            "Markdown",
        ),
        ("list.yaml", b"- a\n- b\n", "This file is a list"),
        ("compose.yaml", b"services:\n  web:\n    image: nginx\n", "docker-compose"),
        ("ci.yml", b"on: push\njobs:\n  build:\n    runs-on: x\n", "CI workflow"),
    ],
)
def test_files_that_are_not_campaigns(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    _, _, msg = one(tmp_path, data, name)
    assert words in msg


def test_end_before_start_is_one_problem(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("end: 2030-07-09", "end: 2030-07-01"))
    assert (line, col) == (4, 33)
    assert "ends (2030-07-01) before it starts" in msg


def test_example_week_with_end_before_start_is_one_problem(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE

    text = EXAMPLE.read_text(encoding="utf-8").replace("end: 2022-07-09", "end: 2022-07-01")
    shutil.copytree(EXAMPLE.parent / "media", tmp_path / "media")
    _, _, msg = one(tmp_path, text)
    assert "before it starts" in msg


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        (
            "BST",
            "it is the UK's summer time abbreviation). Use Europe/London, which switches "
            "between GMT and BST by itself.",
        ),
        ("PDT", "Use America/Los_Angeles"),
        ("IST", "Asia/Kolkata"),
        ("europe/london", "write Europe/London"),
        ('"Europe/ London"', "write Europe/London"),
        ("London", "is a place, not a time zone name: write Europe/London"),
        ('"new york"', "write America/New_York"),
        ("Europe/Lodnon", "Did you mean Europe/London?"),
    ],
)
def test_time_zone_words(tmp_path: Path, zone: str, words: str) -> None:
    line, col, msg = one(tmp_path, edit("timezone: Europe/London", f"timezone: {zone}"))
    assert (line, col) == (3, 11)
    assert words in msg
    assert "MST" not in msg


def test_an_unknown_zone_has_no_knock_on_problems(tmp_path: Path) -> None:
    text = edit("timezone: Europe/London", "timezone: BST").replace('"10:00"', '"01:30"')
    assert len(validate(tmp_path, text)) == 1


# --- hypothesis: the hint functions take any text --------------------------------------------

_YAMLISH = st.text(
    alphabet=st.sampled_from(list(" \t\n\r-:#'\"“”[]{},abc019\x85\u2028")), max_size=80
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=80), _YAMLISH),
    problem=st.sampled_from(
        [
            "mapping values are not allowed in this context",
            "found a tab character that violates indentation",
            "did not find expected key",
            "could not find expected ':'",
            "did not find expected ',' or ']'",
            "x",
        ]
    ),
    context=st.sampled_from(
        [
            "",
            "while scanning a quoted scalar",
            "while scanning a simple key",
            "while parsing a flow sequence",
        ]
    ),
    line=st.integers(-3, 30),
    col=st.integers(-3, 90),
    cline=st.integers(-3, 30),
    ccol=st.integers(-3, 90),
)
def test_hints_never_raise(
    text: str, problem: str, context: str, line: int, col: int, cline: int, ccol: int
) -> None:
    hint = yamlhints.explain(text, problem, line, col, context, cline, ccol)
    assert hint is None or (hint.message and hint.line >= 1 and hint.column >= 1)
    assert isinstance(yamlvalues.refine(text, line, col, "m"), str)
    assert isinstance(yamlhints.plain(problem), str)
    assert filekinds.not_a_campaign(text, text) is None or True  # a str or None, never raising


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_sniff_never_raises(data: bytes) -> None:
    said = filekinds.sniff(data)
    assert said is None or "campaign" in said or "UTF-8" in said


def test_a_field_at_the_start_of_its_line_is_one_problem(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("    text: Second post", "text: Second post"))
    assert (line, col) == (15, 1)
    assert "reads it as a field of the campaign, not of the post above it" in msg


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _YAMLISH.map(lambda t: t.encode("utf-8"))))
def test_reading_any_bytes_gives_values_or_words(data: bytes) -> None:
    from clarion.campaign import yamlsafe

    try:
        yamlsafe.load(data, "week.yaml")
    except yamlsafe.YamlError as exc:
        assert exc.message and exc.mark.line >= 1 and exc.mark.column >= 1


def test_a_misspelt_platform_is_one_problem_not_one_per_variant(tmp_path: Path) -> None:
    text = edit("platforms: [mastodon, bluesky]", "platforms: [mastdon, bluesky]").replace(
        "    text: Hello world", "    text: Hello world\n    variants:\n      mastodon: {text: Hi}"
    )
    line, col, msg = one(tmp_path, text)
    assert (line, col) == (5, 13)
    assert "Did you mean `mastodon`?" in msg


@pytest.mark.parametrize(
    ("old", "new", "fix"),
    [
        (
            'hashtags: ["#CoproWeek"]',
            'hashtags: "#CoproWeek #Carers"',
            '`hashtags: ["#CoproWeek", "#Carers"]`',
        ),
        (
            "platforms: [mastodon, bluesky]",
            "platforms: mastodon, bluesky",
            "`platforms: [mastodon, bluesky]`",
        ),
    ],
)
def test_a_list_written_as_text(tmp_path: Path, old: str, new: str, fix: str) -> None:
    _, _, msg = one(tmp_path, edit(old, new))
    assert "must be a list, written in square brackets" in msg and fix in msg


def test_day_first_dates_in_the_file_get_the_iso_form(tmp_path: Path) -> None:
    problems = validate(tmp_path, edit("start: 2030-07-04", "start: 04/07/2030"))
    assert [(p["line"], p["column"]) for p in problems] == [(4, 16)]
    assert "`start: 2030-07-04`" in str(problems[0]["message"])


def test_curly_quotes_in_a_bracketed_list(tmp_path: Path) -> None:
    text = edit("platforms: [mastodon, bluesky]", "platforms: [“mastodon”, bluesky]")
    line, col, msg = one(tmp_path, text)
    assert (line, col) == (5, 13)
    assert "curly quotes" in msg and '`"mastodon"`' in msg


def test_a_colon_right_after_the_key(tmp_path: Path) -> None:
    _, _, msg = one(tmp_path, edit("text: Second post", "text: : Second post"))
    assert "contains `: `, which YAML reads" in msg


def test_a_campaign_whose_texts_look_like_markdown_is_not_called_markdown(tmp_path: Path) -> None:
    text = edit("text: Hello world", "text: '**Big** news: see [the site](https://example.org)'")
    broken = text.replace("    day: 2\n", "    day: 2\n   : x\n")
    problems = validate(tmp_path, broken)
    assert problems and all("Markdown" not in str(p["message"]) for p in problems)


def test_gmt_in_summer_is_refused_with_europe_london(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("timezone: Europe/London", "timezone: GMT"))
    assert (line, col) == (3, 11)
    assert "on 4 July 2030 Europe/London is on BST" in msg and "Use Europe/London" in msg


def test_gmt_in_winter_is_the_same_clock_and_accepted(tmp_path: Path) -> None:
    text = edit("timezone: Europe/London", "timezone: GMT").replace("2030-07-0", "2030-01-0")
    assert validate(tmp_path, text) == []


def test_a_list_item_moved_left_is_the_one_blamed(tmp_path: Path) -> None:
    line, col, msg = one(tmp_path, edit("  - id: two", "- id: two"))
    assert (line, col) == (12, 1)
    assert "item before it (line 8) starts at column 3" in msg
