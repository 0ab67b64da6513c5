"""Tagged links: ``utm_*`` parameters added to a post's links, so the charity's own web analytics
can tell a visit from Bluesky from one from Facebook (the campaign's ``utm`` setting).

Pure string work over :mod:`urllib.parse`: the planner tags each platform's final text (so the
preview, the requests, dry run and the engine all show and send the same links), and Bluesky
shows a tagged link short (:func:`short_url`, as Bluesky's own app does) while its facet carries
the whole address.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

from clarion.platforms.base import Platform

#: The parameters in the order they are added.
KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")

Params = Sequence[tuple[str, str]]


def params(source: str, medium: str, campaign: str, content: str) -> list[tuple[str, str]]:
    return list(zip(KEYS, (source, medium, campaign, content), strict=True))


def _query_keys(url: str) -> list[str]:
    query = urlsplit(url).query
    return [k for k, _ in parse_qsl(query, keep_blank_values=True)]


def is_tagged(url: str) -> bool:
    """Whether ``url`` already has a ``utm_`` parameter (any case)."""
    try:
        return any(k.lower().startswith("utm_") for k in _query_keys(url))
    except ValueError:
        return False


def tag_url(url: str, tags: Params) -> str:
    """``url`` with ``tags`` added to its query, before any ``#fragment``; what it had is kept as
    written. A URL that already has a ``utm_`` parameter, or that does not parse, is returned as
    it is."""
    if not tags or is_tagged(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    base, hash_, fragment = url.partition("#")
    added = urlencode(list(tags))
    if "?" in base:
        sep = "" if base.endswith(("?", "&")) else "&"
    else:
        sep = "?"
        if not parts.path:
            base += "/"
    return f"{base}{sep}{added}{hash_}{fragment}"


def untag(url: str) -> str:
    """``url`` without its ``utm_`` parameters (what it was before tagging)."""
    base, hash_, fragment = url.partition("#")
    head, q, query = base.partition("?")
    if not q:
        return url
    kept = [p for p in query.split("&") if p and not p.lower().startswith("utm_")]
    out = head + ("?" + "&".join(kept) if kept else "")
    return f"{out}{hash_}{fragment}"


def tag_text(platform: type[Platform], text: str, tags: Params) -> str:
    """``text`` with every link ``platform`` marks in it, written with ``http(s)://``, tagged."""
    if not tags or "://" not in text:
        return text
    out: list[str] = []
    pos = 0
    for entity in sorted(platform.entities(text)):
        if entity.kind != "link" or entity.start < pos:
            continue
        written = text[entity.start : entity.end]
        if not written.lower().startswith(("http://", "https://")):
            continue
        out.append(text[pos : entity.start])
        out.append(tag_url(written, tags))
        pos = entity.end
    out.append(text[pos:])
    return "".join(out)


#: Bluesky's app shows at most this many characters of a link's path, query and fragment, then
#: "..." (social-app ``toShortUrl`` in ``src/lib/strings/url-helpers.ts``: over 15, cut at 13).
SHORT_PATH = 15
SHORT_CUT = 13


def short_url(url: str) -> str:
    """How Bluesky's app shows a link: host, then path, query and fragment cut to 13 characters
    with "..." when they are longer than 15 (``toShortUrl``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    path = "" if parts.path == "/" else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    host = parts.netloc.rpartition("@")[2]
    if len(path) > SHORT_PATH:
        return host + path[:SHORT_CUT] + "..."
    return host + path
