"""Bluesky's rich-text facets (links, hashtags, mentions): byte ranges of a post's UTF-8 text with
what they point to, found the way the official client does (``RichText.detectFacets`` in
bluesky-social/atproto, ``packages/api/src/rich-text/detection.ts`` and ``util.ts``), before
mentions are resolved to DIDs. Used by the descriptor (:mod:`._rules`), the text finder of the HTML
page (:mod:`._entities`) and the request (:mod:`._record`).
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from clarion.platforms import _text, _tlds

#: What JavaScript's ``\s`` matches (the official client's patterns are JavaScript's).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

# The official patterns start with (^|\s) or (^|\s|\(); a lookbehind does the same here, faster.
# util.ts MENTION_REGEX: /(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)/g, where \b is ASCII-only.
_MENTION = re.compile(rf"(?<![^{_JS_SPACE}(])@([a-zA-Z0-9.-]+)\b", re.ASCII)
# util.ts URL_REGEX, with flags gim:
#   /(^|\s|\()((https?:\/\/[\S]+)|((?<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))/
# (JavaScript's i flag without u leaves non-ASCII letters alone, hence explicit cases here).
_LINK = re.compile(
    rf"(?<![^{_JS_SPACE}(])"
    rf"(?P<uri>(?P<scheme>[hH][tT][tT][pP][sS]?://)[^{_JS_SPACE}]+"
    rf"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)[^{_JS_SPACE}]*)",
)
# util.ts TAG_REGEX (with the u flag, so \p{P} is Unicode punctuation; \d stays ASCII).
_NOT_IN_TAG = rf"{_JS_SPACE}\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = (
    rf"(?<![^{_JS_SPACE}])(?P<hash>[#＃])"
    rf"(?P<tag>(?!\ufe0f)[^{_NOT_IN_TAG}]*[^0-9\p{{P}}{_NOT_IN_TAG}]+[^{_NOT_IN_TAG}]*)?"
)
_TRAILING_PUNCTUATION = r"\p{P}+\Z"

#: ``app.bsky.richtext.facet#tag``: a tag may have at most 64 graphemes and 640 bytes.
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640


class Facet(NamedTuple):
    """A rich-text facet: ``text.encode()[byte_start:byte_end]`` is the visible text it covers."""

    byte_start: int
    byte_end: int
    kind: Literal["link", "tag", "mention"]
    #: The link's URI, the tag without ``#``, or the mentioned handle without ``@``.
    value: str


#: The client checks domains against IANA's list (the ``tlds`` package); twitter-text's copy of it
#: is close enough, and only its ASCII names can match here.
_KNOWN_TLDS = frozenset(_tlds.GENERIC + _tlds.COUNTRY)


def _is_valid_domain(domain: str) -> bool:
    """Whether ``domain`` ends in a dot and a known TLD (detection.ts isValidDomain)."""
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld in _KNOWN_TLDS


def facets(text: str) -> list[Facet]:
    """The links, hashtags and mentions in ``text``, in order, as the official client finds them.

    Differences from the official client: a bare domain starting with "http" (``httpbin.org``) gets
    ``https://`` like any other bare domain, and a scheme in capitals (``HTTPS://``) is kept
    as written; the client leaves the first without a scheme and drops the second. A tag may have
    64 graphemes (the lexicon's limit) where the client stops at 64 UTF-16 code units.
    """
    ascii_text = text.isascii()

    def offset(index: int) -> int:
        return index if ascii_text else len(text[:index].encode("utf-8", "surrogatepass"))

    found: list[Facet] = []
    for match in _MENTION.finditer(text):
        handle = match.group(1)
        if _is_valid_domain(handle) or handle.endswith(".test"):
            found.append(Facet(offset(match.start(1) - 1), offset(match.end(1)), "mention", handle))
    for match in _LINK.finditer(text):
        uri = match.group("uri")
        start, end = match.span("uri")
        if match.group("scheme") is None:
            if not _is_valid_domain(match.group("domain")):
                continue
            uri = "https://" + uri
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri[-1] == ")" and "(" not in uri:
            uri, end = uri[:-1], end - 1
        found.append(Facet(offset(start), offset(end), "link", uri))
    for match in _text.pattern(_TAG).finditer(text):
        tag = _text.pattern(_TRAILING_PUNCTUATION).sub("", match.group("tag") or "")
        if not tag or _text.graphemes(tag) > MAX_TAG_GRAPHEMES:
            continue
        if len(tag.encode("utf-8", "surrogatepass")) > MAX_TAG_BYTES:
            continue
        start = match.start("hash")
        found.append(Facet(offset(start), offset(start + 1 + len(tag)), "tag", tag))
    found.sort(key=lambda facet: facet.byte_start)  # stable: at equal starts, detection order
    return found


def visible(text: str) -> tuple[str, list[Facet]]:
    """The text Bluesky shows and its facets: a link carrying ``utm_`` parameters (a tagged
    link) is shown short, as Bluesky's own app writes links (host and the start of the path,
    :func:`clarion.platforms._utm.short_url`, of the link without its tags), while its facet
    keeps the whole tagged address. Other links are shown as written."""
    found = facets(text)
    if "utm_" not in text.lower():
        return text, found
    from clarion.platforms import _utm

    data = text.encode("utf-8", "surrogatepass")
    out: list[bytes] = []
    kept: list[Facet] = []
    pos = shift = 0
    for f in found:
        if f.kind != "link" or not _utm.is_tagged(f.value) or f.byte_start < pos:
            kept.append(f._replace(byte_start=f.byte_start + shift, byte_end=f.byte_end + shift))
            continue
        shown = shown_link(f.value).encode("utf-8", "surrogatepass")
        out.append(data[pos : f.byte_start])
        out.append(shown)
        start = f.byte_start + shift
        kept.append(f._replace(byte_start=start, byte_end=start + len(shown)))
        shift += len(shown) - (f.byte_end - f.byte_start)
        pos = f.byte_end
    out.append(data[pos:])
    return b"".join(out).decode("utf-8", "surrogatepass"), kept


def shown_link(url: str) -> str:
    """How Bluesky's app shows a tagged link: the short form of the link without its tags."""
    from clarion.platforms import _utm

    return _utm.short_url(_utm.untag(url))


def shown_text(text: str) -> str:
    """Only the text of :func:`visible` (what Bluesky's limits count)."""
    return text if "utm_" not in text.lower() else visible(text)[0]
