"""A post's text as HTML, with links, hashtags and mentions marked the way its platform shows them.

What a platform marks is its own (:meth:`Platform.entities
<clarion.platforms.base.Platform.entities>`, declared in the platform's folder); this module only
writes it as HTML. The markup's text content is always the post's text exactly (tests compare
them): where a platform shortens what it shows (a link without ``https://`` and ``www.``, cut after
:attr:`~clarion.platforms.base.Platform.shown_url_chars` characters with an ellipsis; a mention
of which it shows only the first :attr:`Entity.shown <clarion.platforms.base.Entity.shown>`
characters), the hidden part stays in the page, in a span the style sheet shrinks to nothing, as
Mastodon's own web client does.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from typing import TYPE_CHECKING

from clarion import platforms
from clarion.platforms.base import Entity

if TYPE_CHECKING:
    from clarion.platforms.base import Platform

__all__ = ["Entity", "entities", "esc", "highlight"]

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


_PREFIX = re.compile(r"(?:https?://)?(?:www\.)?", re.IGNORECASE)


def _platform(name: str) -> type[Platform] | None:
    try:
        return platforms.get(name)
    except platforms.UnknownPlatformError:
        return None


def entities(platform: str, text: str) -> list[Entity]:
    """What ``platform`` marks in ``text``, in order, without overlaps (an earlier start wins, as
    in twitter-text: a hashtag inside a link is part of the link)."""
    cls = _platform(platform)
    if cls is None:
        return []
    kept: list[Entity] = []
    end = 0
    for entity in sorted(cls.entities(text)):
        if entity.start >= end and entity.end > entity.start:
            kept.append(entity)
            end = entity.end
    return kept


@cache
def _link_open(href: str) -> str:
    safe = _esc(href)
    return f'<a class="lnk" href="{safe}" title="{safe}" target="_blank" rel="noopener noreferrer">'


def _link(platform: str, shown: str, href: str) -> str:
    cls = _platform(platform)
    written = cls.shown_link(href) if cls is not None else None
    if written is not None:  # the platform writes this link its own way (Bluesky: short)
        return _link_open(href) + _esc(written) + "</a>"
    cut = cls.shown_url_chars if cls is not None else None
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


def _mention(shown: str, visible: int) -> str:
    if 0 < visible < len(shown):
        return (
            f'<span class="mention" title="{_esc(shown)}">{_esc(shown[:visible])}'
            f'<span class="invisible">{_esc(shown[visible:])}</span></span>'
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
            out.append(_mention(shown, entity.shown))
        else:
            out.append(f'<span class="{entity.kind}">{_esc(shown)}</span>')
        pos = entity.end
    out.append(_esc(text[pos:]))
    return "".join(out)
