"""What Mastodon marks in a post (the HTML preview highlights it), by the server's own patterns
(``Tag::HASHTAG_RE``, ``Account::MENTION_RE``): links only with ``http(s)://``, hashtags and
mentions; a remote mention shows as ``@user`` (the ``@server`` part hidden)."""

from __future__ import annotations

import re

from clarion.platforms import _text, _urls
from clarion.platforms.base import Entity

_SEPARATORS = r"_\u00b7\u30fb\u200c"
_HASHTAG = (
    rf"(?<![=/)\p{{Alnum}}])#(?:[\w{_SEPARATORS}]*[\p{{Alpha}}{_SEPARATORS}]"
    rf"[\w{_SEPARATORS}]*)(?<![{_SEPARATORS}])"
)
_MENTION = re.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?P<server>@\w+(?:[.-]+\w+)*)?",
    re.IGNORECASE,
)


def entities(text: str) -> list[Entity]:
    found: list[Entity] = []
    if "://" in text:
        for m in _urls.finditer(text, protocol_required=True):
            start, end = m.span("url")
            found.append(Entity(start, end, "link", text[start:end]))
    if "#" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_HASHTAG).finditer(text)
        ]
    if "@" in text:
        for m in _MENTION.finditer(text):
            shown = 1 + len(m.group("user")) if m.group("server") else 0
            found.append(Entity(m.start(), m.end(), "mention", "", shown))
    return found
