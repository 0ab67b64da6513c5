"""X (formerly Twitter): weighted post length by twitter-text's config v3.

X does not count characters: it weighs them. With config v3 (the one X uses today)

- the text is NFC-normalised and ``\\r\\n`` counts as one character;
- every URL twitter-text's extractor finds, with or without ``https://``, weighs 23;
- every emoji sequence (a family, a flag, a skin-toned or keycap emoji) weighs 2, however many
  code points it has;
- any other code point weighs 1 in the ranges U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and
  U+2032-U+2037 (Latin, Greek, Cyrillic, ..., common punctuation), and 2 elsewhere (CJK, most
  symbols);
- a post may weigh at most 280, and may not contain U+FFFE, U+FEFF or U+FFFF.

This agrees with twitter-text's own conformance suite (see ``tests/platforms/test_x.py``). Emoji
sequences are found by their Unicode properties (with the ``regex`` module) rather than with
twitter-text's list of every emoji, which is what makes counting fast.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import NamedTuple

from clarion.platforms import _text, _urls
from clarion.platforms.base import (
    POSTS,
    CardStyle,
    Entity,
    LengthCheck,
    Platform,
    Prices,
    WriteLimit,
)
from clarion.platforms.metrics import LIKES, QUOTES, REPLIES, REPOSTS, Metric

#: twitter-text config v3: maxWeightedTweetLength, transformedURLLength, and the code point ranges
#: that weigh 1 (scale 100, weight 100); everything else weighs 2 (defaultWeight 200). Weights are
#: kept divided by the scale: every weight in config v3 is a whole multiple of it.
MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_LIGHT = "".join(f"\\U{start:08x}-\\U{end:08x}" for start, end in LIGHT_RANGES)

# An emoji sequence (Unicode TR51): a keycap, a flag, a subdivision flag (black flag + tag
# characters), or emoji joined by ZWJ, each maybe skin-toned, or, if it is an emoji shown as text by
# default, maybe followed by the emoji-presentation selector U+FE0F. (An FE0F after an emoji that is
# shown as emoji anyway forms no sequence, and twitter-text counts it on its own.)
_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}"
    r"|(?=\p{Emoji_Presentation})\p{Extended_Pictographic}"
    r"|(?=\p{Emoji})\p{Extended_Pictographic}\uFE0F?)"
)
_EMOJI = (
    r"[#*0-9]\uFE0F?\u20E3"
    r"|\p{Regional_Indicator}{2}"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_ELEMENT}(?:\u200D{_ELEMENT})*"
)
_HEAVY = re.compile(f"[^{_LIGHT}]")


@cache
def _emoji_runs() -> re.Pattern[str]:
    """Runs of code points that may be part of an emoji sequence (with maybe a keycap's base first):
    neither ASCII nor one of the letters and punctuation of :data:`_text.SIMPLE`."""
    compiled: re.Pattern[str] = _text.pattern(f"[#*0-9]?[^\\x00-\\x7f{_text.SIMPLE}]+")
    return compiled


_INVALID = re.compile(f"[{_urls.INVALID_CHARS}]")


class ParsedPost(NamedTuple):
    """What twitter-text's ``parseTweet`` says about a text: its weight, and whether X takes it."""

    weighted_length: int
    #: Whether X would accept the text: not empty, not over 280, no invalid character.
    valid: bool


def _weigh_plain(text: str) -> int:
    """The weight of text with no URL in it."""
    if text.isascii():
        return len(text)
    weight = len(text) + len(_HEAVY.findall(text))
    emoji = _text.pattern(_EMOJI)
    for run in _emoji_runs().findall(text):
        for sequence in emoji.findall(run):
            weight += EMOJI_WEIGHT - len(sequence) - len(_HEAVY.findall(sequence))
    return weight


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n") if "\r" in text else text


def _weigh(text: str) -> int:
    """The weighted length of an already normalised text."""
    weight = 0
    pos = 0
    for start, length in _urls.x_urls(text):
        if start < pos:  # inside the previous URL as twitter-text counts it
            continue
        weight += _weigh_plain(text[pos:start]) + URL_WEIGHT
        pos = start + length
    return weight + _weigh_plain(text[pos:])


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text ``parseTweet(text).weightedLength``)."""
    return _weigh(_normalize(text))


def parse(text: str) -> ParsedPost:
    """X's weighted length of ``text`` and whether X takes it, as twitter-text's ``parseTweet``."""
    normalized = _normalize(text)
    weight = _weigh(normalized)
    valid = 0 < weight <= MAX_WEIGHTED_LENGTH and not _INVALID.search(normalized)
    return ParsedPost(weight, valid)


def invalid_characters(text: str) -> list[str]:
    """The characters in ``text`` X refuses (U+FFFE, U+FEFF, U+FFFF), each once, in order."""
    return list(dict.fromkeys(_INVALID.findall(text)))


#: X's OAuth 1.0a user-context credentials (used when all four are set).
OAUTH1_NAMES = ("api_key", "api_secret", "access_token", "access_token_secret")


class X(Platform):
    name = "x"
    label = "X"
    aliases = ("twitter", "tw", "tweet", "x (twitter)", "twitter/x")
    style = CardStyle(
        brand="#000",
        link="#1a6dbf",
        avatar="#0f1419",
        radius="16px",
        font='system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif',
        text="#0f1419",
    )
    #: Links show without ``https://`` and ``www.``, cut after 25 characters (an approximation
    #: of X's ``display_url``).
    shown_url_chars = 25
    quote_urls = (
        r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/"
        r"(?P<author>[A-Za-z0-9_]{1,15}|i/web|i)/status(?:es)?/(?P<post>\d{1,20})/?(?:[?#].*)?$",
    )
    quote_example = "https://x.com/ACCOUNT/status/1234567890"
    secret_names = (*OAUTH1_NAMES, "oauth2_token", "client_secret")
    #: ``client_id``: the app's OAuth 2.0 client id, which renews a saved OAuth 2.0 key.
    setting_names = ("api_base", "username", "client_id")
    adapter = "clarion.platforms.x.adapter:XAdapter"
    oauth2_login = "clarion.platforms.x.login:login"
    oauth2_names = ("client_id", "client_secret")
    renew_steps = (
        "An OAuth 2.0 user token lasts 2 hours: make one with the offline.access scope, so "
        "Clarion can renew it itself, or use the four OAuth 1.0a keys, which do not expire. Save "
        "it with `clarion accounts login x --account {account}` and run `clarion accounts check`"
    )
    max_length = MAX_WEIGHTED_LENGTH
    length_unit = "weighted characters"
    max_images = 4
    # Images: at most 5 MB, JPG, PNG, GIF or WEBP (https://docs.x.com/x-api/media/quickstart/
    # best-practices, "Image specifications", checked 2026-12-03). X documents no pixel limit;
    # it keeps an image's largest version at 4,096 px on its longest side ("4096x4096"), so
    # more pixels than that would be sent only to be thrown away.
    max_image_bytes = 5 * 1024 * 1024
    max_image_side = 4096
    image_types = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    supports_alt_text = True
    max_alt_length = 1000
    supports_threads = True
    # Write limits of ``POST /2/tweets`` (every post and thread reply is one), from X's table at
    # https://docs.x.com/x-api/fundamentals/rate-limits ("Manage posts"), checked 2026-12-03:
    # 100 per 15 minutes per user, 10,000 per 24 hours per app. (Older pages said 200 per 15
    # minutes and 300 per 3 hours; the current table has neither.) Image uploads have limits of
    # their own far above what four images a post can reach, so they are not counted here.
    write_limits = (
        WriteLimit(100, 15 * 60, POSTS),
        WriteLimit(10_000, 24 * 3600, POSTS, shared="one developer app"),
    )
    # X API pay-per-use prices, per request ("Content: Create" $0.015, "Content: Create (with
    # URL)" $0.200, "Media Metadata" $0.005: the alt text of an image is a request of its own),
    # from https://docs.x.com/x-api/getting-started/pricing. Update the figures and the date here.
    prices = Prices(
        post=15,
        post_with_link=200,
        alt_text=5,
        checked="2026-12-03",
        source="https://docs.x.com/x-api/getting-started/pricing",
        # "Posts: Read", $0.005 per post returned (billed once per post per UTC day)
        read_post=5,
    )

    # What ``clarion report`` reads (:mod:`.metrics`): GET /2/tweets, 100 ids a call.
    metrics = (
        Metric(LIKES, "Likes", "people who liked the post"),
        Metric(REPOSTS, "Reposts", "people who reposted it to their followers"),
        Metric(REPLIES, "Replies", "replies to the post"),
        Metric(QUOTES, "Quotes", "posts that quote it"),
        Metric("bookmarks", "Bookmarks", "people who saved it to read later"),
        Metric("impressions", "Impressions", "times the post was shown on someone's screen"),
        Metric("link_clicks", "Link clicks", "times someone followed a link in the post"),
        Metric("profile_clicks", "Profile clicks", "times someone opened the account from it"),
    )
    metrics_batch = 100
    metrics_parallel = 2
    metrics_note = (
        "Impressions are X's own count of times a post was shown (other platforms count views "
        "differently or not at all), so they are never added to another platform's numbers. "
        "Each post read costs money on X's pay-per-use plan."
    )

    @classmethod
    def count(cls, text: str) -> int:
        return weighted_length(text)

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        from clarion.platforms.x._entities import entities

        return entities(text)

    @classmethod
    def check_length(cls, text: str) -> LengthCheck:
        """The weighted length, and the limit or characters X would refuse the text for."""
        check = super().check_length(text)
        bad = [f"U+{ord(char):04X}" for char in invalid_characters(text)]
        if not bad:
            return check
        refused = f"contains {', '.join(bad)}, which X does not accept"
        return LengthCheck(check.length, check.limit, (*check.over, refused))
