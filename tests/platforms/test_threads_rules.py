"""Threads' counting rules and descriptor facts (clarion.platforms.threads.rules).

Threads counts a text's characters, except that "Emojis are counted as the number of UTF-8 bytes"
(https://developers.facebook.com/documentation/threads/posts), and allows at most 5 links."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion import platforms
from clarion.platforms.base import MEDIA_UPLOADS, POSTS, REQUESTS
from clarion.platforms.threads import Threads
from clarion.platforms.threads.rules import MAX_LINKS

EMOJI = ["😀", "🚀", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "🏳️‍🌈"]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("Launch day", 10),
        ("😀", 4),  # U+1F600: 4 bytes in UTF-8
        ("🚀 Launch", 11),
        ("❤️", 6),  # a heart and its emoji variation selector: 3 + 3
        ("👍🏽", 8),  # a thumb and a skin tone
        ("👨‍👩‍👧", 18),  # three people joined by two zero-width joiners: 4·3 + 3·2
        ("🇫🇷", 8),  # a flag: two regional indicators
        ("1️⃣", 7),  # a keycap: 1 + 3 + 3
        ("café", 4),  # é is no emoji: one character
        ("cafe\u0301", 4),  # the same, typed with a combining accent (NFC)
        ("日本語", 3),
        ("Ünïcödé ß", 9),
        ("a\r\nb", 4),
    ],
)
def test_counting_examples(text: str, length: int) -> None:
    assert Threads.count(text) == length


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_ascii_counts_one_a_character(text: str) -> None:
    assert Threads.count(text) == len(text)


@given(st.lists(st.sampled_from(EMOJI)))
def test_emoji_count_their_utf8_bytes(chosen: list[str]) -> None:
    text = " ".join(chosen)
    assert Threads.count(text) == len(text.encode("utf-8"))  # a space is one byte too


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Nd", "Zs", "Po"])))
def test_letters_of_any_script_count_one_each(text: str) -> None:
    """Letters, digits, spaces and punctuation are no emoji: one each, after NFC."""
    nfc = unicodedata.normalize("NFC", text)
    from clarion.platforms import _text

    assert Threads.count(text) == _text.graphemes(nfc)


@given(st.text(max_size=60), st.sampled_from(EMOJI), st.text(max_size=60))
def test_an_emoji_between_spaces_adds_its_bytes(before: str, emoji: str, after: str) -> None:
    joined = f"{before} {emoji} {after}"
    bare = f"{before}  {after}"
    assert Threads.count(joined) - Threads.count(bare) == len(emoji.encode("utf-8"))


def test_the_limit_is_500_as_threads_counts() -> None:
    assert Threads.check_length("x" * 500).fits
    assert Threads.check_length("😀" * 125).fits  # 500
    over = Threads.check_length("😀" * 126)
    assert over.over == ("504 characters (an emoji counts as its UTF-8 bytes), the limit is 500",)


def test_more_than_five_links_is_said_in_words() -> None:
    five = " ".join(f"https://example.org/{n}" for n in range(5))
    assert Threads.check_length(five).fits
    assert Threads.check_length(five + " https://example.org/0").fits  # the same link again
    six = five + " www.threads.com"  # a link without https:// counts too
    assert Threads.check_length(six).over == (f"6 links, the limit is {MAX_LINKS}",)
    both = Threads.check_length("😀" * 126 + " " + six)
    assert len(both.over) == 2


def test_entities_mark_links_tags_and_mentions() -> None:
    text = "Hi @clarion.app see example.org/a #Launch"
    kinds = {(text[e.start : e.end], e.kind) for e in Threads.entities(text)}
    assert kinds == {("@clarion.app", "mention"), ("example.org/a", "link"), ("#Launch", "tag")}


def test_descriptor_facts() -> None:
    assert platforms.get("threads") is Threads
    assert (Threads.name, Threads.label, Threads.max_length) == ("threads", "Threads", 500)
    assert Threads.supports_threads and Threads.media_by_url and not Threads.needs_image
    assert Threads.image_types == frozenset({"image/jpeg", "image/png"})
    assert Threads.max_image_bytes == 8 * 1024 * 1024 and Threads.max_images == 20
    assert Threads.image_aspect == (0.1, 10.0)
    assert Threads.secret_names == ("access_token",)
    assert Threads.setting_names == ("user_id", "api_base", "media_base_url")
    assert Threads.adapter == "clarion.platforms.threads.adapter:ThreadsAdapter"
    [posts, calls] = Threads.write_limits
    assert (posts.most, posts.window_s, posts.unit) == (250, 86400, POSTS)
    assert (calls.most, calls.unit) == (48_000, REQUESTS)
    assert Threads.write_cost(0) == {POSTS: 1, REQUESTS: 4, MEDIA_UPLOADS: 0}
    assert Threads.write_cost(3) == {POSTS: 1, REQUESTS: 10, MEDIA_UPLOADS: 0}
    css = Threads.style.css("threads")
    assert ".b-threads,.p-threads .plat{background:#000}" in css
