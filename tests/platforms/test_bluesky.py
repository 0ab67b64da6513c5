"""Bluesky: graphemes and bytes, and rich-text facets as the official client detects them."""

from __future__ import annotations

import grapheme
import pytest
from hypothesis import given
from hypothesis import strategies as st
from twitter_text.regexp.emoji import emoji_list

from clarion.platforms import get
from clarion.platforms.bluesky import Bluesky, Facet, facets

FAMILY = "👨‍👩‍👧‍👦"


def visible(text: str, facet: Facet) -> str:
    return text.encode()[facet.byte_start : facet.byte_end].decode()


def found(text: str) -> list[tuple[str, str, str]]:
    """Each facet as (kind, the text it covers, value)."""
    return [(facet.kind, visible(text, facet), facet.value) for facet in facets(text)]


def mention(handle: str) -> tuple[str, str, str]:
    return ("mention", "@" + handle, handle)


def link(text: str, uri: str | None = None) -> tuple[str, str, str]:
    return ("link", text, uri or text)


# The cases of atproto's packages/api/tests/rich-text-detection.test.ts ("correctly handles a set
# of text inputs"), with the facets its segments show.
DETECTION = [
    ("no mention", []),
    ("@handle.com middle end", [mention("handle.com")]),
    ("start @handle.com end", [mention("handle.com")]),
    ("start middle @handle.com", [mention("handle.com")]),
    ("@handle.com @handle.com @handle.com", [mention("handle.com")] * 3),
    ("@full123-chars.test", [mention("full123-chars.test")]),
    ("not@right", []),
    ("@handle.com!@#$chars", [mention("handle.com")]),
    ("@handle.com\n@handle.com", [mention("handle.com")] * 2),
    ("parenthetical (@handle.com)", [mention("handle.com")]),
    ("👨👩👧👧 @handle.com 👨👩👧👧", [mention("handle.com")]),
    ("start https://middle.com end", [link("https://middle.com")]),
    ("start https://middle.com/foo/bar end", [link("https://middle.com/foo/bar")]),
    ("start https://middle.com/foo/bar?baz=bux end", [link("https://middle.com/foo/bar?baz=bux")]),
    (
        "start https://middle.com/foo/bar?baz=bux#hash end",
        [link("https://middle.com/foo/bar?baz=bux#hash")],
    ),
    (
        "https://start.com/foo/bar?baz=bux#hash middle end",
        [link("https://start.com/foo/bar?baz=bux#hash")],
    ),
    (
        "start middle https://end.com/foo/bar?baz=bux#hash",
        [link("https://end.com/foo/bar?baz=bux#hash")],
    ),
    (
        "https://newline1.com\nhttps://newline2.com",
        [link("https://newline1.com"), link("https://newline2.com")],
    ),
    ("👨👩👧👧 https://middle.com 👨👩👧👧", [link("https://middle.com")]),
    ("start middle.com end", [link("middle.com", "https://middle.com")]),
    ("start middle.com/foo/bar end", [link("middle.com/foo/bar", "https://middle.com/foo/bar")]),
    (
        "start middle.com/foo/bar?baz=bux end",
        [link("middle.com/foo/bar?baz=bux", "https://middle.com/foo/bar?baz=bux")],
    ),
    (
        "start middle.com/foo/bar?baz=bux#hash end",
        [link("middle.com/foo/bar?baz=bux#hash", "https://middle.com/foo/bar?baz=bux#hash")],
    ),
    (
        "start.com/foo/bar?baz=bux#hash middle end",
        [link("start.com/foo/bar?baz=bux#hash", "https://start.com/foo/bar?baz=bux#hash")],
    ),
    (
        "start middle end.com/foo/bar?baz=bux#hash",
        [link("end.com/foo/bar?baz=bux#hash", "https://end.com/foo/bar?baz=bux#hash")],
    ),
    (
        "newline1.com\nnewline2.com",
        [
            link("newline1.com", "https://newline1.com"),
            link("newline2.com", "https://newline2.com"),
        ],
    ),
    (
        "a example.com/index.php php link",
        [link("example.com/index.php", "https://example.com/index.php")],
    ),
    ("a trailing bsky.app: colon", [link("bsky.app", "https://bsky.app")]),
    ("not.. a..url ..here", []),
    ("e.g.", []),
    ("something-cool.jpg", []),
    ("website.com.jpg", []),
    ("e.g./foo", []),
    ("website.com.jpg/foo", []),
    (
        "Classic article https://socket3.wordpress.com/2018/02/03/designing-windows-95s-user-interface/",
        [link("https://socket3.wordpress.com/2018/02/03/designing-windows-95s-user-interface/")],
    ),
    (
        "https://foo.com https://bar.com/whatever https://baz.com",
        [link("https://foo.com"), link("https://bar.com/whatever"), link("https://baz.com")],
    ),
    (
        "punctuation https://foo.com, https://bar.com/whatever; https://baz.com.",
        [link("https://foo.com"), link("https://bar.com/whatever"), link("https://baz.com")],
    ),
    ("parenthentical (https://foo.com)", [link("https://foo.com")]),
    ("except for https://foo.com/thing_(cool)", [link("https://foo.com/thing_(cool)")]),
]


@pytest.mark.parametrize(("text", "expected"), DETECTION)
def test_detects_mentions_and_links_like_the_official_client(
    text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert found(text) == expected


# The same test file's "correctly detects tags inline": tags and their byte ranges. (Its texts
# with "\\u200B" in words are a backslash and letters; the tags themselves hold the real U+200B.)
TAGS = [
    ("#a", ["a"], [(0, 2)]),
    ("#a #b", ["a", "b"], [(0, 2), (3, 5)]),
    ("#1", [], []),
    ("#1a", ["1a"], [(0, 3)]),
    ("#tag", ["tag"], [(0, 4)]),
    ("body #tag", ["tag"], [(5, 9)]),
    ("#tag body", ["tag"], [(0, 4)]),
    ("body #tag body", ["tag"], [(5, 9)]),
    ("body #1", [], []),
    ("body #1a", ["1a"], [(5, 8)]),
    ("body #a1", ["a1"], [(5, 8)]),
    ("#", [], []),
    ("#?", [], []),
    ("text #", [], []),
    ("text # text", [], []),
    (
        "body #thisisa64characterstring_" + "a" * 39,
        ["thisisa64characterstring_" + "a" * 39],
        [(5, 70)],
    ),
    ("body #thisisa65characterstring_" + "a" * 39 + "b", [], []),
    (
        "body #thisisa64characterstring_" + "a" * 39 + "!",
        ["thisisa64characterstring_" + "a" * 39],
        [(5, 70)],
    ),
    ("its a #double#rainbow", ["double#rainbow"], [(6, 21)]),
    ("##hashash", ["#hashash"], [(0, 9)]),
    ("##", [], []),
    ("some #n0n3s@n5e!", ["n0n3s@n5e"], [(5, 15)]),
    ("works #with,punctuation", ["with,punctuation"], [(6, 23)]),
    (
        "strips trailing #punctuation, #like. #this!",
        ["punctuation", "like", "this"],
        [(16, 28), (30, 35), (37, 42)],
    ),
    ("strips #multi_trailing___...", ["multi_trailing"], [(7, 22)]),
    ("works with #🦋 emoji, and #butter🦋fly", ["🦋", "butter🦋fly"], [(11, 16), (28, 42)]),
    (
        "#same #same #but #diff",
        ["same", "same", "but", "diff"],
        [(0, 5), (6, 11), (12, 16), (17, 22)],
    ),
    ("this #️⃣tag should not be a tag", [], []),
    ("this ##️⃣tag should be a tag", ["#️⃣tag"], [(5, 16)]),
    ("this #t\nag should be a tag", ["t"], [(5, 7)]),
    ("no match (\\u200B): #\u200b", [], []),
    ("no match (\\u200Ba): #\u200ba", [], []),
    ("match (a\\u200Bb): #a\u200bb", ["a"], [(18, 20)]),
    ("match (ab\\u200B): #ab\u200b", ["ab"], [(18, 21)]),
    ("no match (\\u20e2tag): #\u20e2tag", [], []),
    ("no match (a\\u20e2b): #a\u20e2b", ["a"], [(21, 23)]),
    ("match full width number sign (tag): ＃tag", ["tag"], [(36, 42)]),
    ("match full width number sign (tag): ＃#️⃣tag", ["#️⃣tag"], [(36, 49)]),
    ("no match 1?: #1?", [], []),
]


@pytest.mark.parametrize(("text", "tags", "ranges"), TAGS)
def test_detects_tags_like_the_official_client(
    text: str, tags: list[str], ranges: list[tuple[int, int]]
) -> None:
    result = facets(text)
    assert [facet.value for facet in result if facet.kind == "tag"] == tags
    assert [(facet.byte_start, facet.byte_end) for facet in result] == ranges


@pytest.mark.parametrize(
    "before",
    ["", "é", "e\u0301", "日本語", FAMILY, "🇺🇦", "👍🏽 ", "ŝ̈", "＃", "\u2028", "Ж", "𝕏"],
)
def test_byte_offsets_after_multibyte_text(before: str) -> None:
    text = f"{before} Join @alice.bsky.social at example.org/week or https://ex.org/ä! #Week2024 ✨"
    assert found(text) == [
        mention("alice.bsky.social"),
        link("example.org/week", "https://example.org/week"),
        link("https://ex.org/ä"),
        ("tag", "#Week2024", "Week2024"),
    ]
    for facet in facets(text):
        assert facet.byte_start >= len(before.encode())


def test_tags_of_multibyte_characters() -> None:
    text = "#café #日本 #Ελλάδα #🦋🦋 #a\u0301"
    assert found(text) == [
        ("tag", "#café", "café"),
        ("tag", "#日本", "日本"),
        ("tag", "#Ελλάδα", "Ελλάδα"),
        ("tag", "#🦋🦋", "🦋🦋"),
        ("tag", "#a\u0301", "a\u0301"),
    ]


def test_a_tag_may_have_64_graphemes() -> None:
    # The official client measures UTF-16 units (32 of these emoji); the lexicon's limit is 64
    # graphemes (and 640 bytes), which is what this follows.
    assert found("#" + "🦋" * 64) == [("tag", "#" + "🦋" * 64, "🦋" * 64)]
    assert facets("#" + "🦋" * 65) == []
    zalgo = "a\u0301\u0302\u0303\u0304\u0306"  # one grapheme of 11 bytes
    assert facets("#" + zalgo * 58) != []
    assert facets("#" + zalgo * 64) == []  # 64 graphemes but 704 bytes


def test_where_this_differs_from_the_official_client() -> None:
    # The client leaves a bare domain starting with "http" without a scheme (a broken link) and
    # drops links whose scheme is in capitals.
    assert found("see httpbin.org") == [link("httpbin.org", "https://httpbin.org")]
    assert found("see HTTPS://EXAMPLE.ORG") == [link("HTTPS://EXAMPLE.ORG")]


def test_facets_come_in_text_order() -> None:
    text = "#first https://a.org @b.bsky.social #last"
    assert [facet.kind for facet in facets(text)] == ["tag", "link", "mention", "tag"]


def test_unknown_top_level_domains_are_not_links_or_mentions() -> None:
    assert facets("file.jpg and @someone.notatld and version1.2") == []


EMOJI = sorted({"".join(chr(int(cp, 16)) for cp in e.codepoint.split()) for e in emoji_list})
TOKENS = st.one_of(
    st.sampled_from(
        ["word", "#tag", "#1", "＃タグ", "#🦋", "@alice.bsky.social", "@x.test", "@no"]
    ),
    st.sampled_from(["https://ex.org/a?b=c", "ex.org/path", "(https://a.org)", "a.b.c", "e.g."]),
    st.sampled_from(["日本語", "é", "e\u0301", "Ж", "ไทย"]),
    st.sampled_from(EMOJI),
    st.sampled_from([" ", " ", "\n", ", ", ".", "!", "(", ")", "\u00a0", "\u200b", "\ufe0f", ""]),
)


@given(st.lists(TOKENS, max_size=30).map("".join))
def test_every_facet_covers_what_it_names(text: str) -> None:
    result = facets(text)
    assert [facet.byte_start for facet in result] == sorted(facet.byte_start for facet in result)
    for facet in result:
        shown = visible(text, facet)  # the range falls on character boundaries
        if facet.kind == "mention":
            assert shown == "@" + facet.value
        elif facet.kind == "tag":
            assert shown[0] in "#＃"
            assert shown[1:] == facet.value
        else:
            assert facet.value in (shown, "https://" + shown)


def test_length_is_graphemes() -> None:
    assert Bluesky.count(FAMILY) == 1
    assert Bluesky.count("🇺🇦 e\u0301 👍🏽 #️⃣") == 7
    assert Bluesky.count("a\r\nb") == 3
    assert Bluesky.count("https://example.org/" + "a" * 100) == 120  # URLs count as written


@pytest.mark.parametrize(
    "text", ["plain", FAMILY * 3, "🏴󠁧󠁢󠁳󠁣󠁴󠁿 ก\u0e33 \u1100\u1161\u11a8 ŝ̈", "日本語 e\u0301\u0302"]
)
def test_graphemes_agree_with_the_grapheme_package(text: str) -> None:
    assert Bluesky.count(text) == grapheme.length(text)


def test_limits_are_300_graphemes_and_3000_bytes() -> None:
    assert Bluesky.check_length("a" * 300).fits
    assert Bluesky.check_length(FAMILY * 120).fits  # 120 graphemes of 25 bytes: 3000 bytes
    assert Bluesky.check_length(FAMILY * 121).over == ("3025 bytes, the limit is 3000",)
    assert Bluesky.check_length("a" * 312).over == ("312 graphemes, the limit is 300",)
    both = Bluesky.check_length("€" * 1040)
    assert both.length == 1040
    assert both.over == ("1040 graphemes, the limit is 300", "3120 bytes, the limit is 3000")
    assert Bluesky.check_length("€" * 1000).over == ("1000 graphemes, the limit is 300",)


def test_limits() -> None:
    assert get("bluesky") is Bluesky
    assert (Bluesky.name, Bluesky.label, Bluesky.max_length, Bluesky.max_bytes) == (
        "bluesky",
        "Bluesky",
        300,
        3000,
    )
    assert (Bluesky.max_images, Bluesky.max_image_bytes, Bluesky.max_image_side) == (
        4,
        1_000_000,
        2000,
    )
    assert Bluesky.image_types == {"image/jpeg", "image/png", "image/webp", "image/gif"}
    assert (Bluesky.supports_alt_text, Bluesky.max_alt_length, Bluesky.supports_threads) == (
        True,
        2000,
        True,
    )
