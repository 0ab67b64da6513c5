"""LinkedIn Pages: the descriptor's facts, the count, and the little text format (escaping and
hashtag templates), with examples and hypothesis properties. The stub's own reading of the little
grammar (tests/servers/linkedin_stub.py) must accept everything Clarion sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion import platforms
from clarion.platforms.linkedin import LinkedIn
from clarion.platforms.linkedin.little import (
    RESERVED,
    LittleError,
    commentary,
    escape,
    same_post,
    shown,
)
from tests.servers.linkedin_stub import little_problem

#: Text rich in what matters: every reserved character, hashtag material, escapes, emoji.
TEXT = st.text(
    alphabet=st.sampled_from(sorted(RESERVED) + list("ab1 _é\n&＃") + ["\u0301", "😀"]),
    max_size=60,
) | st.text(max_size=60)


def test_the_descriptor_declares_what_linkedin_documents() -> None:
    cls = platforms.get("linkedin")
    assert cls is LinkedIn
    assert (cls.label, cls.short_label, cls.max_length) == ("LinkedIn Page", "LinkedIn", 3000)
    assert cls.supports_threads is False
    assert cls.secret_names == ("access_token",)
    assert cls.setting_names == ("organization_id", "api_base")
    assert cls.adapter == "clarion.platforms.linkedin.adapter:LinkedInAdapter"
    assert cls.image_types == {"image/jpeg", "image/png", "image/gif"}
    assert (cls.max_images, cls.max_alt_length) == (20, 4086)
    assert cls.max_image_pixels is not None and cls.max_image_pixels < 36_152_320
    assert cls.write_limits == ()  # LinkedIn publishes no figure
    assert cls.write_cost(2) == {"posts": 1, "requests": 5, "media uploads": 2}
    assert cls.join_thread(["Part one", "Part two"]) == "Part one\n\nPart two"


def test_the_version_is_pinned_in_one_place() -> None:
    from clarion.platforms.linkedin import LINKEDIN_VERSION, api

    assert len(LINKEDIN_VERSION) == 6 and LINKEDIN_VERSION.isdigit()
    assert api.headers() == {
        "Linkedin-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Launch day", 10),
        ("cafe\u0301", 4),  # NFC: one é
        ("😀", 2),  # UTF-16: an emoji outside the BMP counts two
        ("a_b (c) #tag", 12),  # counted as shown: escapes and templates are not
    ],
)
def test_the_count_is_of_the_shown_text(text: str, length: int) -> None:
    assert LinkedIn.count(text) == length


def test_the_limit_is_3000_shown_characters_whatever_the_escaping() -> None:
    assert LinkedIn.check_length("_" * 3000).fits  # 6,000 characters once escaped
    over = LinkedIn.check_length("x" * 3001)
    assert over.over == ("3001 characters, the limit is 3000",)


@pytest.mark.parametrize(
    ("text", "little"),
    [
        ("Hello (world)!", r"Hello \(world\)!"),
        ("a\\b", "a\\\\b"),
        (
            "5 * 3 ~ 15 <ok> [x] {y} a|b @sam _i_",
            r"5 \* 3 \~ 15 \<ok\> \[x\] \{y\} a\|b \@sam \_i\_",
        ),
        ("Big #Launch today", "Big {hashtag|#|Launch} today"),
        ("#launch_day", r"{hashtag|#|launch}\_day"),
        ("Issue #42 and C# and a#b", r"Issue \#42 and C\# and a\#b"),
        ("Tom&#39;s ##double", r"Tom&\#39;s \#{hashtag|#|double}"),
        ("See https://example.org/a_(b)", r"See https://example.org/a\_\(b\)"),
    ],
)
def test_commentary_examples(text: str, little: str) -> None:
    assert commentary(text) == little
    assert shown(little) == text
    assert little_problem(little) is None


def test_an_unescaped_reserved_character_is_found() -> None:
    for bad in ("Hello (world)", "trailing \\", "a_b", "#tag"):
        with pytest.raises(LittleError):
            shown(bad)
        assert little_problem(bad) is not None
    # LinkedIn's own elements are not errors
    assert (
        shown("Hi @[Acme Corp](urn:li:organization:1234) {hashtag|#|Tech}") == "Hi Acme Corp #Tech"
    )


@given(TEXT)
def test_escape_round_trips_and_leaves_no_reserved_character_bare(text: str) -> None:
    escaped = escape(text)
    assert shown(escaped) == text
    assert little_problem(escaped) is None
    # read left to right: a backslash escapes the reserved character after it; no other
    # reserved character stands bare
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            assert escaped[i + 1] in RESERVED
            i += 2
        else:
            assert escaped[i] not in RESERVED
            i += 1


@given(TEXT)
def test_commentary_shows_the_campaign_text_exactly(text: str) -> None:
    little = commentary(text)
    assert shown(little) == text
    assert little_problem(little) is None  # the stub, reading the grammar itself, agrees
    assert same_post(little, escape(text))  # LinkedIn may give either form back
    assert LinkedIn.count(text) == LinkedIn.count(shown(little))


def test_entities_mark_links_and_the_hashtags_sent_as_templates() -> None:
    text = "New #Release at https://example.org/r and C#"
    kinds = [(text[e.start : e.end], e.kind) for e in sorted(LinkedIn.entities(text))]
    assert kinds == [("#Release", "tag"), ("https://example.org/r", "link")]
