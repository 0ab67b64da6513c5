"""Grapheme counting: the fast count agrees with running ``regex``'s ``\\X`` over the whole text."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.platforms._text import SIMPLE_RANGES, graphemes

CLUSTER = regex.compile(r"\X")


def test_simple_code_points_never_join_and_make_nothing_join() -> None:
    starts_alone = regex.compile(r"[\p{GCB=Other}\p{GCB=LV}\p{GCB=LVT}]")
    special = regex.compile(r"[\p{Extended_Pictographic}\p{InCB=Consonant}\p{InCB=Linker}]")
    wrong = [
        f"U+{code:04X}"
        for start, end in SIMPLE_RANGES
        for code in range(start, end + 1)
        if not starts_alone.match(chr(code)) or special.match(chr(code))
    ]
    assert wrong == []


# Code points of every kind that takes part in a longer cluster: combining marks, ZWJ, Prepend,
# Hangul jamo and syllables, Indic conjuncts, regional indicators, emoji and their modifiers, tag
# characters, CR LF and controls; and simple neighbours.
PARTS = list(
    "ab .\r\n\t\x01é日のЖשع각가"
    "\u0301\u0483\u05b0\u064b\u0600\u06dd\u200b\u200c\u200d\u00ad\u2028"
    "\u1100\u1161\u11a8क\u094dष\u093fก\u0e33\u3099\uff9e\ufe0f\u20e3👨✨©"
    "\U0001f3fd\U0001f1fa\U0001f1f8\U0001f3f4\U000e0067\U000e007f"
)


@settings(max_examples=500)
@given(st.text(st.sampled_from(PARTS), max_size=30) | st.text(max_size=30))
def test_graphemes_agree_with_regex(text: str) -> None:
    assert graphemes(text) == len(CLUSTER.findall(text))


def test_graphemes() -> None:
    assert graphemes("") == 0
    assert graphemes("a\r\nb") == 3
    assert graphemes("👨‍👩‍👧‍👦 e\u0301 🇺🇦") == 5
    assert graphemes("क्षत्रिय") == 3  # Indic conjuncts (Unicode 15.1)
    assert graphemes("\u1100\u1161\u11a8각") == 2  # a syllable of jamo, and a precomposed one
