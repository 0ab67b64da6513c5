"""X's weighted length: twitter-text's own conformance suite, and agreement with twitter-text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import twitter_text
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twitter_text.regexp.emoji import emoji_list

from clarion.platforms import _urls, get
from clarion.platforms.x import ParsedPost, X, invalid_characters, parse, weighted_length
from tests import shared

# twitter-text's conformance suite lives beside the checkout, in ../shared; never copied here.
# Read when a test needs it (never at import): without it those tests skip (tests/shared.py).
VALIDATE_YML = "conformance/twitter-text/validate.yml"


@cache
def _load(path: Path) -> dict[str, list[dict[str, Any]]]:
    with path.open(encoding="utf-8") as file:
        tests: dict[str, list[dict[str, Any]]] = yaml.safe_load(file)["tests"]
    return tests


def suite() -> dict[str, list[dict[str, Any]]]:
    return _load(shared.shared_path(VALIDATE_YML))


def cases(*sections: str) -> list[Any]:
    return [
        pytest.param(case, id=f"{section}: {case['description']}")
        for section in sections
        for case in suite()[section]
    ]


def test_the_suite_has_the_sections_these_tests_read() -> None:
    sizes = {name: len(suite()[name]) for name in suite()}
    assert sizes["WeightedTweetsWithDiscountedEmojiCounterTest"] == 22
    assert sizes["UnicodeDirectionalMarkerCounterTest"] == 2
    assert sizes["WeightedTweetsCounterTest"] == 20
    assert sizes["urls"] == 24
    assert sizes["urls_without_protocol"] == 5


def test_conformance_config_v3(case: dict[str, Any]) -> None:
    expected = case["expected"]
    assert parse(case["text"]) == ParsedPost(expected["weightedLength"], expected["valid"])
    assert X.count(case["text"]) == expected["weightedLength"]


def v2_cases_not_in_v3() -> list[Any]:
    # WeightedTweetsCounterTest is written for config v2, which differs from v3 only in counting
    # every code point of an emoji sequence. Its texts that the v3 section repeats (with emoji
    # counted as v3 does) are tested above; the rest have no emoji, so v2 and v3 agree on them.
    v3_texts = {case["text"] for case in suite()["WeightedTweetsWithDiscountedEmojiCounterTest"]}
    return [
        param
        for param in cases("WeightedTweetsCounterTest")
        if param.values[0]["text"] not in v3_texts
    ]


def test_three_v2_cases_are_not_in_the_v3_section() -> None:
    assert len(v2_cases_not_in_v3()) == 3  # the two NFC cases and ZWJ/ZWNJ punctuation


def test_conformance_v2_cases_without_emoji(case: dict[str, Any]) -> None:
    expected = case["expected"]
    assert parse(case["text"]) == ParsedPost(expected["weightedLength"], expected["valid"])


# The conformance tests' cases, from the suite in ../shared: parametrized when pytest collects
# them (not at import), so a clone without ../shared collects one skipping case for each.
CASES: dict[str, Callable[[], Sequence[Any]]] = {
    "test_conformance_config_v3": lambda: cases(
        "WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"
    ),
    "test_conformance_v2_cases_without_emoji": lambda: v2_cases_not_in_v3(),
    "test_urls_are_found_as_twitter_text_finds_them": lambda: cases(
        "urls", "urls_without_protocol"
    ),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    make = CASES.get(metafunc.function.__name__)
    if make is not None:
        metafunc.parametrize("case", shared.params(VALIDATE_YML, lambda _: make()))


def reference_urls(text: str) -> list[tuple[int, int]]:
    return [
        (url["indices"][0], len(url["url"])) for url in twitter_text.extract_urls_with_indices(text)
    ]


def test_urls_are_found_as_twitter_text_finds_them(case: dict[str, Any]) -> None:
    text = case["text"]
    found = _urls.x_urls(text)
    assert found == reference_urls(text)
    whole = found == [(0, len(text))]
    if not case["expected"]:
        assert not whole  # an invalid URL is never counted whole as a URL
    elif case in suite()["urls_without_protocol"]:
        assert whole


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("https://example.org/a/very/long/path/that/goes/on/and/on?with=query", 23),
        ("example.org", 23),
        ("Read example.org/guide.", 5 + 23 + 1),
        ("e.g. this, or node.js", 21),  # no known top-level domain: no URL
        ("https://t.co/abc123 x", 25),
        ("a\r\nb", 3),  # CR LF counts once
        ("café", 4),
        ("cafe\u0301", 4),  # NFC: the combining accent joins the e
        ("日本語", 6),
        ("“quoted” — dash…", 17),  # quotes and dashes weigh 1, the ellipsis (U+2026) 2
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ family is one emoji
        ("🇺🇦🇬🇧", 4),  # two flags
        ("👍🏽", 2),  # skin tone
        ("#️⃣ 1⃣", 5),  # keycaps, qualified or not
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 2),  # subdivision flag (Scotland)
        ("❤️ ☺ ©", 8),  # text-style emoji weigh 2 too, with or without U+FE0F
        ("✨\ufe0f", 4),  # an FE0F after an emoji shown as emoji anyway stands alone
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected
    assert X.count(text) == expected


def test_limit_is_280_weighted_characters() -> None:
    assert X.check_length("a" * 280).fits
    assert X.check_length("字" * 140).fits
    over = X.check_length("a" * 279 + "字")
    assert over.length == 281
    assert over.over == ("281 weighted characters, the limit is 280",)
    assert not parse("a" * 279 + "字").valid
    assert not parse("").valid  # X takes no empty post


def test_characters_x_refuses_are_reported() -> None:
    assert invalid_characters("a\ufeffb\ufffe\ufeff") == ["\ufeff", "\ufffe"]
    check = X.check_length("hello\ufeff")
    assert check.length == 7  # U+FEFF weighs 2
    assert check.over == ("contains U+FEFF, which X does not accept",)
    assert not parse("hello\ufeff").valid


def test_limits() -> None:
    assert get("x") is X
    assert (X.name, X.label, X.max_length) == ("x", "X", 280)
    assert X.length_unit == "weighted characters"
    assert (X.max_images, X.max_image_bytes) == (4, 5 * 1024 * 1024)
    assert X.image_types == {"image/jpeg", "image/png", "image/gif", "image/webp"}
    assert (X.supports_alt_text, X.max_alt_length, X.supports_threads) == (True, 1000, True)
    assert X.join_thread(["one", "two"]) == "one\n\ntwo"


# Differential test against twitter-text's parse_tweet. Texts mix ASCII words, URLs (with and
# without protocol, t.co, international domains), CJK, accents (composed and not) and emoji.
#
# The emoji are those of twitter-text's own emoji list (Emoji 12.0): twitter-text only knows the
# sequences on that list, while X here recognises sequences by their Unicode properties. So they
# differ, by design, on sequences newer than Emoji 12.0 (🧑‍🎄, ❤️‍🔥, 🤝🏽: twitter-text counts their
# parts, today's X counts one emoji) and on sequences no list has (two regional indicators that
# are no flag, ZWJ between arbitrary emoji). That is also why ZWJ is not among the separators.
EMOJI = sorted({"".join(chr(int(cp, 16)) for cp in e.codepoint.split()) for e in emoji_list})
TOKENS = st.one_of(
    st.sampled_from(["the", "Week", "JOIN", "2024", "e.g.", "node.js", "U.S.", "@user", "#tag"]),
    st.sampled_from(
        [
            "https://example.com",
            "http://example.org/path/",
            "https://example.org/guide?ref=x&y=1",
            "www.example.com",
            "example.co.uk/page",
            "HTTPS://WWW.EXAMPLE.COM/A",
            "https://t.co/abc123",
            "t.co/abc",
            "http://t.co/" + "a" * 41,
            "http://☃.net/",
            "https://例え.jp/パス",
            "http://foobar.پاکستان/",
            "example.com:8080/x",
            "example.com?x=1",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            "https://xn--n3h.net",
            "foo.中国",
            "sub_domain.example.com",
            "a" * 64 + ".com",
        ]
    ),
    st.sampled_from(["日本語", "中文", "한국어", "ひらがな", "，", "。", "「"]),
    st.sampled_from(EMOJI),
    st.sampled_from(["é", "e\u0301", "ñ", "A\u030a", "ệ", "ß", "Ж", "\u05e9\u05bc\u05c1", "ﬁ"]),
    st.sampled_from([" ", " ", "\n", "\r\n", ", ", ". ", "!", "?", "—", "…", "\u00a0", "", "/"]),
    st.sampled_from(
        ["(", ")", ":", "-", "_", "\ufe0f", "\u20e3", "\u200b", "\u2066", "\ufeff", "©"]
    ),
)
TEXTS = st.lists(TOKENS, max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_agrees_with_twitter_text(text: str) -> None:
    reference = twitter_text.parse_tweet(text)
    assert parse(text) == ParsedPost(reference.weightedLength, reference.valid)
