"""A post's text as HTML, with links, hashtags and mentions marked the way its platform shows them.

The markup's text content is always the post's text exactly (tests compare them): where a
platform shortens what it shows (X and Mastodon show a link without ``https://`` and cut after a
number of characters), the hidden part stays in the page, in a span the style sheet shrinks to
nothing, as Mastodon's own web client does.

- X: links as twitter-text finds them (with or without ``https://``, :func:`_urls.x_urls`),
  ``#hashtags``, ``@mentions`` and ``$CASHTAGS`` by twitter-text's rules; a link shows without
  ``https://`` and ``www.``, cut after 25 characters (an approximation of X's ``display_url``).
- Mastodon: links only with ``http(s)://`` (:func:`_urls.finditer` with the protocol required),
  hashtags and mentions by the server's patterns; a link shows without ``https://`` and ``www.``,
  cut after 30 characters with an ellipsis (``TextFormatter#shortened_link``), a remote mention
  shows as ``@user`` (the ``@server`` part hidden).
- Bluesky: exactly its facets (:func:`clarion.platforms.bluesky.facets`): what is not a facet is
  plain text there. Links show as written.
- Facebook Pages: links (with or without ``https://``) and hashtags; mentions are plain text when
  a Page posts through the API. Links show as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from html import escape
from typing import NamedTuple

from clarion.platforms import _text, _urls

#: How many characters of a link (after ``https://www.``) each platform shows before cutting.
SHOWN_URL_CHARS = {"x": 25, "mastodon": 30}


class Entity(NamedTuple):
    start: int  # index into the text (code points)
    end: int
    kind: str  # "link", "tag", "mention", "cashtag"
    href: str  # the link's target ("" for tags and mentions)


_SPECIAL = re.compile("[&<>\"'\r]")


def _esc(text: str) -> str:
    """Escaped for HTML text and attributes; a carriage return as a character reference (the
    parser would turn a literal one into a line feed, and a card's text must stay exactly the
    post's). Most pieces need nothing: they are returned as they are, at the cost of one search."""
    if not _SPECIAL.search(text):
        return text
    out = escape(text)
    return out.replace("\r", "&#13;") if "\r" in text else out


esc = _esc


# --- X (twitter-text's extractor patterns) -------------------------------------------------------

_X_HASHTAG_ALNUM = (
    r"\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb"
    r"\u3003\u0f0b\u0f0c\u00b7"
)
_X_HASHTAG = (
    rf"(?:^|(?<=[\ufe0e\ufe0f])|(?<=[^&{_X_HASHTAG_ALNUM}]))[#＃](?![\ufe0f\u20e3])"
    rf"(?>[{_X_HASHTAG_ALNUM}]*[\p{{L}}\p{{M}}][{_X_HASHTAG_ALNUM}]*)(?![#＃]|://)"
)
_X_MENTION = re.compile(
    r"(?:^|(?<=[^a-zA-Z0-9_!#$%&*@＠]))[@＠][a-zA-Z0-9_]{1,20}+(?:/[a-zA-Z][a-zA-Z0-9_-]{0,24}+)?+"
    rf"(?![@＠{_urls.LATIN_ACCENT_CHARS}]|://)"
)
_X_CASHTAG = re.compile(
    r"(?:^|(?<=\s))\$[a-z]{1,6}(?:[._][a-z]{1,2})?(?=$|\s|[!\"#$%&'()*+,./:;<=>?@\[\]^_`{|}~])",
    re.IGNORECASE,
)


def _x(text: str) -> list[Entity]:
    found = [
        Entity(start, start + length, "link", _href(text[start : start + length]))
        for start, length in _urls.x_urls(text)
    ]
    if "#" in text or "＃" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_X_HASHTAG).finditer(text)
        ]
    if "@" in text or "＠" in text:
        found += [Entity(m.start(), m.end(), "mention", "") for m in _X_MENTION.finditer(text)]
    if "$" in text:
        found += [Entity(m.start(), m.end(), "cashtag", "") for m in _X_CASHTAG.finditer(text)]
    return found


# --- Mastodon (the server's Tag::HASHTAG_RE and Account::MENTION_RE) -----------------------------

_M_SEPARATORS = r"_\u00b7\u30fb\u200c"
_M_HASHTAG = (
    rf"(?<![=/)\p{{Alnum}}])#(?:[\w{_M_SEPARATORS}]*[\p{{Alpha}}{_M_SEPARATORS}]"
    rf"[\w{_M_SEPARATORS}]*)(?<![{_M_SEPARATORS}])"
)
_M_MENTION = re.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?P<server>@\w+(?:[.-]+\w+)*)?",
    re.IGNORECASE,
)


def _mastodon(text: str) -> list[Entity]:
    found: list[Entity] = []
    if "://" in text:
        for m in _urls.finditer(text, protocol_required=True):
            start, end = m.span("url")
            found.append(Entity(start, end, "link", text[start:end]))
    if "#" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_M_HASHTAG).finditer(text)
        ]
    if "@" in text:
        found += [Entity(m.start(), m.end(), "mention", "") for m in _M_MENTION.finditer(text)]
    return found


# --- Bluesky (its facets) -------------------------------------------------------------------------


def _bluesky(text: str) -> list[Entity]:
    from clarion.platforms.bluesky import facets

    found = facets(text)
    if not found:
        return []
    if text.isascii():
        return [
            Entity(f.byte_start, f.byte_end, f.kind, _facet_href(f.kind, f.value)) for f in found
        ]
    # Facets count UTF-8 bytes; a facet always starts and ends between two characters.
    data = text.encode("utf-8", "surrogatepass")

    def index(offset: int) -> int:
        return len(data[:offset].decode("utf-8", "surrogatepass"))

    return [
        Entity(index(f.byte_start), index(f.byte_end), f.kind, _facet_href(f.kind, f.value))
        for f in found
    ]


def _facet_href(kind: str, value: str) -> str:
    return value if kind == "link" else ""


# --- Facebook Pages -------------------------------------------------------------------------------

_FB_HASHTAG = r"(?<![\w&#])#\w*[\p{L}_]\w*"


def _facebook(text: str) -> list[Entity]:
    found: list[Entity] = []
    if "." in text:
        for m in _urls.finditer(text):
            start, end = m.span("url")
            found.append(Entity(start, end, "link", _href(text[start:end])))
    if "#" in text:
        found += [
            Entity(m.start(), m.end(), "tag", "") for m in _text.pattern(_FB_HASHTAG).finditer(text)
        ]
    return found


# --- Shared ---------------------------------------------------------------------------------------

_FINDERS: dict[str, Callable[[str], list[Entity]]] = {
    "x": _x,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "facebook": _facebook,
}
_PREFIX = re.compile(r"(?:https?://)?(?:www\.)?", re.IGNORECASE)


def _href(url: str) -> str:
    """A link's target: as written when it has a scheme, else with ``https://``."""
    return url if re.match(r"https?://", url, re.IGNORECASE) else "https://" + url


def entities(platform: str, text: str) -> list[Entity]:
    """What ``platform`` marks in ``text``, in order, without overlaps (an earlier start wins, as
    in twitter-text: a hashtag inside a link is part of the link)."""
    finder = _FINDERS.get(platform)
    if finder is None:
        return []
    kept: list[Entity] = []
    end = 0
    for entity in sorted(finder(text)):
        if entity.start >= end and entity.end > entity.start:
            kept.append(entity)
            end = entity.end
    return kept


@cache
def _link_open(href: str) -> str:
    safe = _esc(href)
    return f'<a class="lnk" href="{safe}" title="{safe}" target="_blank" rel="noopener noreferrer">'


def _link(platform: str, shown: str, href: str) -> str:
    cut = SHOWN_URL_CHARS.get(platform)
    if cut is None:
        return _link_open(href) + _esc(shown) + "</a>"
    prefix = _PREFIX.match(shown)
    head = prefix.group() if prefix else ""
    rest = shown[len(head) :]
    parts = [_link_open(href)]
    if head:
        parts.append(f'<span class="invisible">{_esc(head)}</span>')
    if len(rest) > cut:
        parts.append(f'<span class="ellipsis">{_esc(rest[:cut])}</span>')
        parts.append(f'<span class="invisible">{_esc(rest[cut:])}</span>')
    else:
        parts.append(_esc(rest))
    parts.append("</a>")
    return "".join(parts)


def _mention(platform: str, shown: str) -> str:
    if platform == "mastodon":
        m = _M_MENTION.fullmatch(shown)
        if m and m.group("server"):
            user, server = _esc("@" + m.group("user")), _esc(m.group("server"))
            return (
                f'<span class="mention" title="{_esc(shown)}">{user}'
                f'<span class="invisible">{server}</span></span>'
            )
    return f'<span class="mention">{_esc(shown)}</span>'


def highlight(platform: str, text: str) -> str:
    """``text`` as HTML (escaped), with what ``platform`` marks wrapped in links and spans."""
    found = entities(platform, text)
    if not found:
        return _esc(text)
    out: list[str] = []
    pos = 0
    for entity in found:
        out.append(_esc(text[pos : entity.start]))
        shown = text[entity.start : entity.end]
        if entity.kind == "link":
            out.append(_link(platform, shown, entity.href))
        elif entity.kind == "mention":
            out.append(_mention(platform, shown))
        else:
            out.append(f'<span class="{entity.kind}">{_esc(shown)}</span>')
        pos = entity.end
    out.append(_esc(text[pos:]))
    return "".join(out)
