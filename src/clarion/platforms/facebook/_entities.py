"""What a Facebook Page post marks (the HTML preview highlights it): links (with or without
``https://``) and hashtags; mentions are plain text when a Page posts through the API. Links show
as written."""

from __future__ import annotations

from clarion.platforms import _text, _urls
from clarion.platforms.base import Entity, link_href

_HASHTAG = r"(?<![\w&#])#\w*[\p{L}_]\w*"


def entities(text: str) -> list[Entity]:
    found: list[Entity] = []
    if "." in text:
        for m in _urls.finditer(text):
            start, end = m.span("url")
            found.append(Entity(start, end, "link", link_href(text[start:end])))
    if "#" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_HASHTAG).finditer(text)
        ]
    return found
