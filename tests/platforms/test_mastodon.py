"""Mastodon's post length, against Mastodon.py's ``Mastodon.get_status_length``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastodon import Mastodon as MastodonPy
from twitter_text.regexp.emoji import emoji_list

from clarion.platforms import get
from clarion.platforms.mastodon import Mastodon, countable_text

CORPUS = [
    ("plain text", 10),
    ("https://example.org/a/very/long/path?with=query&and=more#fragment", 23),
    ("http://a.co", 23),  # short URLs count 23 too
    ("see https://example.org and http://example.net/x.", 4 + 23 + 5 + 23 + 1),
    ("HTTPS://EXAMPLE.ORG/PATH", 23),
    ("example.org and www.example.org", 31),  # no protocol: counted as written
    ("ftp://example.org", 17),
    ("http://☃.net/ and http://例え.jp/パス", 23 + 5 + 23 + 2),  # katakana ends the URL
    ("(https://en.wikipedia.org/wiki/Foo_(bar))", 1 + 23 + 1),
    ("https://example.org/a.", 23 + 1),  # the full stop is not part of the URL
    ("@alice@example.social hello", 6 + 6),  # a remote mention counts as its local part
    ("@alice hello", 12),
    ("mail alice@example.social", 25),  # an address, not a mention
    ("/@alice@example.social", 22),
    ("https://mastodon.social/@alice@example.social", 23),  # inside a URL
    ("@Alice_1@Sub.Example.ORG!", 9),
    ("café", 4),
    ("cafe\u0301", 4),  # one grapheme: e + combining acute
    ("👨‍👩‍👧‍👦", 1),
    ("🇺🇦🇬🇧", 2),
    ("👍🏽 #️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿", 5),
    ("한국어 \u1100\u1161\u11a8", 5),  # precomposed and jamo Hangul syllables
    ("a\r\nb", 3),  # CR LF is one grapheme
    ("日本語のテキスト", 8),
]


@pytest.mark.parametrize(("text", "expected"), CORPUS)
def test_corpus(text: str, expected: int) -> None:
    assert Mastodon.count(text) == expected
    assert MastodonPy.get_status_length(text) == expected


def test_countable_text() -> None:
    assert countable_text("@a@b.org see https://x.org/p") == "@a see " + "x" * 23
    assert countable_text("http://x.org", url_length=5) == "xxxxx"


def test_limit_is_500() -> None:
    assert Mastodon.check_length("a" * 500).fits
    assert Mastodon.check_length("a" * 477 + " https://example.org/" + "b" * 99).length == 501
    over = Mastodon.check_length("🐘" * 501)
    assert over.over == ("501 characters, the limit is 500",)


def test_limits() -> None:
    assert get("mastodon") is Mastodon
    assert (Mastodon.name, Mastodon.label, Mastodon.max_length) == ("mastodon", "Mastodon", 500)
    assert (Mastodon.max_images, Mastodon.max_image_bytes) == (4, 16 * 1024 * 1024)
    assert Mastodon.image_types == {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
    }
    assert (Mastodon.supports_alt_text, Mastodon.max_alt_length) == (True, 1500)
    assert Mastodon.supports_threads


def test_a_server_can_have_its_own_limits() -> None:
    Big = Mastodon.with_limits(max_length=5000, url_length=30, image_types=["image/png"])
    assert issubclass(Big, Mastodon)
    assert (Big.name, Big.max_length, Big.url_length, Big.image_types) == (
        "mastodon",
        5000,
        30,
        {"image/png"},
    )
    assert Big.max_images == 4  # not given: unchanged
    assert Big.count("https://example.org") == 30
    assert Big.check_length("a" * 4000).fits
    assert not Big.check_length("a" * 5001).fits
    assert (Mastodon.max_length, Mastodon.url_length) == (500, 23)  # the default is untouched


# Differential test against Mastodon.py. Texts mix words, mentions (local, remote, addresses),
# URLs, CJK, accents and Emoji 12.0 sequences. Two things are left out on purpose, as they are
# differences of Unicode version, not of rules: Mastodon.py counts with the grapheme package
# (Unicode 13), this module with regex (Unicode 15.1 and later). Since 15.1 an Indic conjunct
# (क्ष, consonant + virama + consonant) is one grapheme, for grapheme it is two; and characters
# assigned after Unicode 13 (combining marks among them) are not in grapheme's tables.
EMOJI = sorted({"".join(chr(int(cp, 16)) for cp in e.codepoint.split()) for e in emoji_list})
TOKENS = st.one_of(
    st.sampled_from(["the", "Week", "2024", "e.g.", "@user", "#tag", "_", "http", "https://"]),
    st.sampled_from(["@a@example.social", "@a_b@x.org.", "x@a@b.org", "/@a@b.org", "a@b.org"]),
    st.sampled_from(
        [
            "https://example.com",
            "http://example.org/path/",
            "https://example.org/guide?ref=x&y=1",
            "www.example.com",
            "HTTPS://WWW.EXAMPLE.COM/A",
            "https://t.co/abc123",
            "http://☃.net/",
            "https://例え.jp/パス",
            "https://example.com:8080/x",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            "https://mastodon.social/@user@other.org",
            "https://" + "a" * 64 + ".com",
            "ftp://example.com",
        ]
    ),
    st.sampled_from(["日本語", "中文", "한국어", "\u1100\u1161\u11a8", "ひらがな", "，", "。"]),
    st.sampled_from(EMOJI),
    st.sampled_from(
        ["é", "e\u0301", "ñ", "ệ", "ß", "Ж", "\u05e9\u05bc\u05c1", "ก\u0e33", "न\u093f"]
    ),
    st.sampled_from([" ", "\n", "\r\n", "\r", ", ", ". ", "!", "—", "\u00a0", "", "/", "(", ")"]),
    st.sampled_from([":", "-", "\ufe0f", "\u200d", "\u0301"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_agrees_with_mastodon_py(text: str) -> None:
    assert Mastodon.count(text) == MastodonPy.get_status_length(text)
