"""Unicode helpers the platform modules share, built on the ``regex`` module.

``regex`` knows Unicode properties and grapheme clusters (``\\X``), which the standard ``re`` does
not. Importing it takes about 25 ms, so it is imported when a pattern is first needed rather than
when a platform module is imported.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def pattern(source: str) -> Any:
    """``regex.compile(source)``, compiled once (importing ``regex`` on first use)."""
    import regex  # type: ignore[import-untyped]  # no type stubs for regex in the dev environment

    return regex.compile(source)


# Code points that always start a grapheme cluster of their own unless a following code point joins
# it, and never make the following one join them (Grapheme_Cluster_Break Other, or a precomposed
# Hangul syllable; not Extended_Pictographic; no Indic_Conjunct_Break): Latin, Greek, Cyrillic,
# Hebrew and Arabic letters, CJK ideographs, kana, Hangul syllables, common punctuation. Combining
# marks, jamo, emoji, Indic letters and anything else stay outside; ``tests/platforms`` checks the
# list against the ``regex`` module's Unicode data.
SIMPLE_RANGES = (
    (0x00A0, 0x00A8),
    (0x00AA, 0x00AC),
    (0x00AF, 0x02FF),
    (0x0370, 0x0482),
    (0x048A, 0x052F),
    (0x05D0, 0x05EA),
    (0x0620, 0x064A),
    (0x0671, 0x06D3),
    (0x1E00, 0x1EFF),
    (0x2010, 0x2027),
    (0x2030, 0x203B),
    (0x203D, 0x2048),
    (0x204A, 0x205E),
    (0x20A0, 0x20C0),
    (0x3000, 0x3029),
    (0x3041, 0x3096),
    (0x309B, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xFF01, 0xFF9D),
)
#: :data:`SIMPLE_RANGES` for a regex character class.
SIMPLE = "".join(f"\\u{start:04x}-\\u{end:04x}" for start, end in SIMPLE_RANGES)


@cache
def _joinable() -> Any:
    """Stretches of code points that may belong to a cluster of more than one code point.

    Compiled by ``regex`` (imported anyway to count the clusters) on first use: the same character
    class takes ``re`` about 4 ms to compile (it expands every range into a table), ``regex`` 1.5.
    """
    return pattern(f"[^\\x00-\\x7f{SIMPLE}]+")


def graphemes(text: str) -> int:
    """How many grapheme clusters (user-perceived characters) ``text`` has, as ``regex``'s ``\\X``
    finds them, but without running ``\\X`` over the whole text (it is slow).

    Every code point is a cluster of its own except CR LF (one cluster) and the code points that
    join the one before them. Those lie in :func:`_joinable` stretches or right after one (a code
    point after a Prepend one), and whether they join depends on the stretch and the code point
    before it only. So the clusters are counted exactly by running ``\\X`` over each stretch, with
    the code point on either side.
    """
    count = len(text) - text.count("\r\n")
    if text.isascii():
        return count
    cluster = pattern(r"\X")
    for stretch in _joinable().finditer(text):
        start, end = stretch.span()
        around = text[start - 1 if start else 0 : end + 1]
        count -= len(around) - len(cluster.findall(around))
    return count
