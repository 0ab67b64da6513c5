"""What X marks in a post (the HTML preview highlights it), by twitter-text's extractor patterns:
links as twitter-text finds them (with or without ``https://``, :func:`_urls.x_urls`),
``#hashtags``, ``@mentions`` and ``$CASHTAGS``."""

from __future__ import annotations

import re

from clarion.platforms import _text, _urls
from clarion.platforms.base import Entity, link_href

_HASHTAG_ALNUM = (
    r"\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb"
    r"\u3003\u0f0b\u0f0c\u00b7"
)
_HASHTAG = (
    rf"(?:^|(?<=[\ufe0e\ufe0f])|(?<=[^&{_HASHTAG_ALNUM}]))[#＃](?![\ufe0f\u20e3])"
    rf"(?>[{_HASHTAG_ALNUM}]*[\p{{L}}\p{{M}}][{_HASHTAG_ALNUM}]*)(?![#＃]|://)"
)
_MENTION = re.compile(
    r"(?:^|(?<=[^a-zA-Z0-9_!#$%&*@＠]))[@＠][a-zA-Z0-9_]{1,20}+(?:/[a-zA-Z][a-zA-Z0-9_-]{0,24}+)?+"
    rf"(?![@＠{_urls.LATIN_ACCENT_CHARS}]|://)"
)
_CASHTAG = re.compile(
    r"(?:^|(?<=\s))\$[a-z]{1,6}(?:[._][a-z]{1,2})?(?=$|\s|[!\"#$%&'()*+,./:;<=>?@\[\]^_`{|}~])",
    re.IGNORECASE,
)


def entities(text: str) -> list[Entity]:
    found = [
        Entity(start, start + length, "link", link_href(text[start : start + length]))
        for start, length in _urls.x_urls(text)
    ]
    if "#" in text or "＃" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_HASHTAG).finditer(text)
        ]
    if "@" in text or "＠" in text:
        found += [Entity(m.start(), m.end(), "mention", "") for m in _MENTION.finditer(text)]
    if "$" in text:
        found += [Entity(m.start(), m.end(), "cashtag", "") for m in _CASHTAG.finditer(text)]
    return found
