"""URL detection as twitter-text does it, shared by X and Mastodon.

X counts every URL its extractor finds as 23 characters, and Mastodon's post-length check uses the
same extractor (with a protocol required). This module is a port of twitter-text's URL extractor
(twitter/twitter-text, Apache-2.0; ported from the Python package twitter-text-parser, MIT). The
pieces keep twitter-text's names so they can be compared with the original. What differs is only
how fast the same URLs are found:

- the ~1,600 top-level domains form one trie-shaped alternation instead of a flat list, which makes
  every failed match attempt slow;
- :func:`finditer` runs the pattern only over the whitespace-free stretches of a text that contain
  a dot (a URL never holds whitespace and always holds a dot), and serves Mastodon's
  protocol-required variant from the same compiled pattern;
- a domain of only Latin letters, digits, hyphens and dots is taken whole, without the second
  (ASCII-domain) pattern;
- a stretch that cannot hold a URL (no dot followed by two letters), or that is one plain ASCII
  URL (``https://www.example.org/some/path``), is answered without the pattern, so most texts
  never compile it (about 10 ms, a sizeable part of ``clarion validate``'s start-up).

The URL pattern compiles on first use, not at import: some 35 ms, mostly its top-level domains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, TypeAlias

from clarion.platforms import _tlds

DIRECTIONAL_MARKERS = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
INVALID_CHARS = r"\uFFFE\uFEFF\uFFFF"
PUNCT = r"\!'#%&'\(\)*\+,\\\-\.\/:;<=>\?@\[\]\^_{|}~\$"
SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
LATIN_ACCENT_CHARS = (
    r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268"
    r"\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
CYRILLIC_LETTERS_AND_MARKS = r"\u0400-\u04FF"

_DOMAIN_CHAR = f"[^{PUNCT}{SPACES}{INVALID_CHARS}{DIRECTIONAL_MARKERS}]"
VALID_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
VALID_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
VALID_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
_TLD_END = r"(?=[^0-9a-zA-Z@+-]|$)"

VALID_GENERAL_URL_PATH_CHARS = (
    rf"[a-z{CYRILLIC_LETTERS_AND_MARKS}0-9!\*';:=\+,\.\$\/%#\[\]\-\u2013_~@\|&{LATIN_ACCENT_CHARS}]"
)
_G = VALID_GENERAL_URL_PATH_CHARS
VALID_URL_BALANCED_PARENS = rf"\((?:{_G}+|(?:{_G}*\({_G}+\){_G}*))\)"
VALID_URL_PATH_ENDING_CHARS = (
    rf"[\+\-a-z{CYRILLIC_LETTERS_AND_MARKS}0-9=_#\/{LATIN_ACCENT_CHARS}]"
    rf"|(?:{VALID_URL_BALANCED_PARENS})"
)
VALID_URL_PATH = (
    rf"(?:(?:{_G}*(?:{VALID_URL_BALANCED_PARENS}{_G}*)*{VALID_URL_PATH_ENDING_CHARS})"
    rf"|(?:@{_G}+/))"
)
VALID_URL_QUERY_CHARS = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
VALID_URL_QUERY_ENDING_CHARS = r"[a-z0-9\-_&=#/]"
VALID_PORT_NUMBER = r"[0-9]+"
VALID_URL_PRECEDING_CHARS = rf"(?:[^A-Za-z0-9@＠$#＃{INVALID_CHARS}]|[{DIRECTIONAL_MARKERS}]|^)"


@cache
def valid_tco_url() -> re.Pattern[str]:
    """A ``t.co`` link may not carry a path after its slug (checked on the URL's own text).

    Compiled on first use (about 1 ms): only a URL with ``t.co/`` in it needs it.
    """
    return re.compile(
        rf"^https?://t\.co/([a-z0-9]+)(?:\?{VALID_URL_QUERY_CHARS}*{VALID_URL_QUERY_ENDING_CHARS})?",
        re.IGNORECASE,
    )


_LAST_SPACE = re.compile(rf".*[{SPACES}]", re.DOTALL)
_SPACE = re.compile(f"[{SPACES}]")

_Trie = dict[str, "_Trie"]


def alternation(words: Iterable[str]) -> str:
    """A regex source matching any of ``words``, longest first, shaped as a trie.

    twitter-text lists its TLDs in reverse alphabetical order, so a TLD is always tried before any
    shorter TLD that is its prefix; the trie keeps that order (the end of a word is optional and
    greedy) while failing after a character or two instead of after trying every TLD in turn.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def emit(node: _Trie) -> str:
        branches = [re.escape(char) + emit(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@cache
def _tld() -> str:
    # One trie for generic and country-code TLDs. twitter-text tries all generic TLDs before the
    # country codes; that order could only matter where a generic TLD and a country code both fit
    # at the same place, i.e. where one is a prefix of the other and followed by no letter or digit.
    # No pair in the lists is like that (every such prefix is followed by an ASCII letter).
    return rf"(?:(?:{alternation(_tlds.GENERIC + _tlds.COUNTRY)}){_TLD_END}|{VALID_PUNYCODE})"


#: A top-level domain of any letters: the quick pattern's stand-in for the list (see finditer).
_ANY_TLD = rf"(?:[^\W\d_]{{2,63}}{_TLD_END}|{VALID_PUNYCODE})"


@cache
def _tld_set() -> frozenset[str]:
    return frozenset(t.lower() for t in (*_tlds.GENERIC, *_tlds.COUNTRY))


@cache
def quick_pattern() -> re.Pattern[str]:
    """:func:`url_pattern` with any letters as the top-level domain: a third of the compile time."""
    return _compile_url(_ANY_TLD)


@cache
def url_pattern() -> re.Pattern[str]:
    """twitter-text's ``extractUrl`` pattern."""
    return _compile_url(_tld())


def _compile_url(tld: str) -> re.Pattern[str]:
    valid_domain = rf"(?:{VALID_SUBDOMAIN}*{VALID_DOMAIN_NAME}{tld})"
    return re.compile(
        rf"(?P<before>{VALID_URL_PRECEDING_CHARS})"
        r"(?P<url>"
        r"(?P<protocol>https?://)?"
        rf"(?P<domain>{valid_domain})"
        rf"(?::(?P<port>{VALID_PORT_NUMBER}))?"
        rf"(?P<path>/{VALID_URL_PATH}*)?"
        rf"(?P<query>\?{VALID_URL_QUERY_CHARS}*{VALID_URL_QUERY_ENDING_CHARS})?"
        r")",
        re.IGNORECASE,
    )


@cache
def _ascii_domain() -> re.Pattern[str]:
    return re.compile(rf"(?:(?:[\-a-z0-9{LATIN_ACCENT_CHARS}]+)\.)+{_tld()}", re.IGNORECASE)


@cache
def _plain_domain() -> re.Pattern[str]:
    """A domain made only of these is found whole by :func:`_ascii_domain`, which needs no
    compiling. Compiled on first use: only URLs without a protocol need it."""
    return re.compile(rf"[\-a-z0-9{LATIN_ACCENT_CHARS}.]+", re.IGNORECASE)


def _stretches(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each whitespace-free stretch of ``text`` with a dot that is not its last
    character: the only places a URL can be, since a URL holds no whitespace (of :data:`SPACES`)
    and a dot followed by at least one character of its top-level domain."""
    pos = 0
    while (dot := text.find(".", pos)) != -1:
        space = _LAST_SPACE.match(text, pos, dot)
        start = space.end() if space else pos
        after = _SPACE.search(text, dot)
        end = after.start() if after else len(text)
        if dot < end - 1:  # the first dot is not the stretch's last character
            yield start, end
        pos = end


class PlainMatch:
    """The match :func:`quick_pattern` finds in a plain URL's stretch (see :func:`_plain`), made
    without compiling the pattern: its groups and spans, as :class:`re.Match` gives them."""

    __slots__ = ("_spans", "_text")

    def __init__(self, text: str, spans: dict[str | int, tuple[int, int]]) -> None:
        self._text = text
        self._spans = spans

    def span(self, group: str | int = 0) -> tuple[int, int]:
        return self._spans.get(group, (-1, -1))

    def start(self, group: str | int = 0) -> int:
        return self.span(group)[0]

    def end(self, group: str | int = 0) -> int:
        return self.span(group)[1]

    def group(self, *groups: str | int) -> Any:
        found: list[str | None] = []
        for g in groups or (0,):
            span = self._spans.get(g)
            found.append(None if span is None else self._text[span[0] : span[1]])
        return tuple(found) if len(found) > 1 else found[0]


UrlMatch: TypeAlias = re.Match[str] | PlainMatch

_HOST_LABEL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_PLAIN_PATH = _HOST_LABEL | frozenset("/_.")


def _no_url(text: str, start: int, end: int) -> bool:
    """Whether :func:`quick_pattern` surely finds nothing in the stretch: every match it can make
    has a dot followed by two letters (its top-level domain, or the ``xn`` of a Punycode one), and
    every character it takes as a letter, in any case, is alphanumeric."""
    dot = text.find(".", start, end - 2)
    while dot != -1:
        if text[dot + 1].isalnum() and text[dot + 2].isalnum():
            return False
        dot = text.find(".", dot + 1, end - 2)
    return True


def _plain(text: str, start: int, end: int) -> PlainMatch | None:
    """The match :func:`quick_pattern` finds in a stretch that is one plain URL (ASCII: an optional
    ``http://`` or ``https://``, a host of labels of letters, digits and inner hyphens ending in a
    top-level domain of 2 to 63 letters, then nothing or ``/`` and letters, digits and ``/_.-``);
    None for any other stretch. In such a stretch the pattern matches from the character before
    it: the domain is the whole host (its last label the top-level domain, followed by ``/`` or
    the end), no port or query, and the path (``/`` then any characters of the path class) stops
    after its last character that may end a path, i.e. before any trailing dots, after which
    nothing else can match."""
    if start and not _SPACE.match(text, start - 1):
        return None
    if text.startswith("https://", start, end):
        host = start + 8
    elif text.startswith("http://", start, end):
        host = start + 7
    else:
        host = start
    slash = text.find("/", host, end)
    host_end = end if slash == -1 else slash
    labels = text[host:host_end].split(".")
    tld = labels[-1]
    if not (len(labels) >= 2 and 2 <= len(tld) <= 63 and tld.isascii() and tld.isalpha()):
        return None
    for label in labels[:-1]:
        if not label or label[0] == "-" or label[-1] == "-" or not _HOST_LABEL.issuperset(label):
            return None
    spans: dict[str | int, tuple[int, int]] = {"domain": (host, host_end)}
    if host > start:
        spans["protocol"] = (start, host)
    url_end = host_end
    if slash != -1:
        if not _PLAIN_PATH.issuperset(text[slash:end]):
            return None
        url_end = len(text[:end].rstrip("."))
        url_end = max(url_end, slash + 1)
        spans["path"] = (slash, url_end)
    before = (start - 1, start) if start else (0, 0)
    spans.update({"before": before, "url": (start, url_end), 0: (before[0], url_end)})
    return PlainMatch(text, spans)


def _quick_search(text: str, protocol_required: bool) -> Iterator[UrlMatch]:
    """What ``_search(quick_pattern(), ...)`` gives, compiling the pattern (about 10 ms) only for a
    stretch that is neither surely without a URL nor one plain URL."""
    for start, end in _stretches(text):
        if _no_url(text, start, end):
            continue
        plain = _plain(text, start, end)
        if plain is not None and not (protocol_required and plain.group("protocol") is None):
            yield plain
            continue
        yield from _search_stretch(quick_pattern(), text, start, end, protocol_required)


def finditer(text: str, *, protocol_required: bool = False) -> Iterator[UrlMatch]:
    """The matches twitter-text's URL pattern finds in ``text``, found faster.

    Each match lies in one stretch of :func:`_stretches` plus the character before it (the space
    itself, or the start of the text), so searching each stretch from the space before it finds
    the same matches as searching the whole text.

    With ``protocol_required`` (Mastodon's pattern) this gives what the pattern with a mandatory
    ``https?://`` would: at any position the optional-protocol pattern tries the protocol first, so
    where it matches without one, the protocol-required pattern has no match and resumes one
    character later.
    """
    # The quick pattern accepts every domain the real one does and more (any letters as its
    # top-level domain), and at any position it takes the longest domain it can. Where that
    # domain's top-level domain is a real one, the real pattern would take the very same domain
    # (its first, greedy try) and so the very same match. Only when a match ends in something that
    # is not a real top-level domain are the real pattern's answers needed: then it is compiled
    # (once per process) and used for this text.
    quick = list(_quick_search(text, protocol_required))
    if all(_real_tld(m.group("domain")) for m in quick):
        yield from quick
    else:
        yield from _search(url_pattern(), text, protocol_required)


def _real_tld(domain: str) -> bool:
    tld = domain.rsplit(".", 1)[-1].lower()
    return tld in _tld_set() or tld.startswith("xn--")


def _search(
    pattern: re.Pattern[str], text: str, protocol_required: bool
) -> Iterator[re.Match[str]]:
    for start, end in _stretches(text):
        yield from _search_stretch(pattern, text, start, end, protocol_required)


def _search_stretch(
    pattern: re.Pattern[str], text: str, start: int, end: int, protocol_required: bool
) -> Iterator[re.Match[str]]:
    pos = start - 1 if start else 0
    while match := pattern.search(text, pos, end):
        if protocol_required and match.group("protocol") is None:
            pos = match.start() + 1
        else:
            yield match
            pos = match.end()


def _idna_length(domain: str) -> int | None:
    """Length of ``domain`` in Punycode, or None if it is no valid international domain name."""
    if domain.isascii():
        # What the idna codec does for an ASCII name (its fast path), without importing it (and
        # stringprep: about 1.5 ms at start-up): every label but the last must have 1 to 63
        # characters, the last at most 63; the name stays as it is.
        *labels, last = domain.split(".")
        if len(last) >= 64 or not all(0 < len(label) < 64 for label in labels):
            return None
        return len(domain)
    try:
        return len(domain.encode("idna"))
    except UnicodeError:
        return None


_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40


def x_urls(text: str) -> list[tuple[int, int]]:
    """The URLs X finds in ``text``: ``(start, length)`` per URL, in order.

    A port of twitter-text's ``extractUrlsWithIndices`` (URLs without protocol included). The length
    is that of the URL's text as twitter-text reports it, which is what its length counter skips.
    """
    if "." not in text:
        return []
    urls: list[tuple[int, int]] = []
    for match in finditer(text):
        before, url, protocol, domain, path = match.group(
            "before", "url", "protocol", "domain", "path"
        )
        start, end = match.span("url")
        puny_length = _idna_length(domain)
        if not puny_length:
            continue
        if len(protocol or "https://") + len(url) + puny_length - len(domain) > _MAX_URL_LENGTH:
            continue
        if protocol is None:
            # Without a protocol only ASCII domains count, and not right after - _ . or /.
            if before and before in "-_./":
                continue
            if _plain_domain().fullmatch(domain):
                # The whole domain is one ASCII domain. As in twitter-text, the URL keeps its path
                # but not a port or query that come without a path.
                urls.append((start, len(url) if path else len(domain)))
                continue
            last: re.Match[str] | None = None
            for last in _ascii_domain().finditer(domain):
                urls.append((start + last.start(), len(last.group())))
            if last is not None and path:
                # The last domain takes the path with it: twitter-text rebuilds the URL's text by
                # replacing the domain with the ASCII one, and its counter skips that text's length.
                urls[-1] = (start + last.start(), len(url.replace(domain, last.group())))
            continue
        # The pattern can only match a URL with "t.co/" in it (its letters in either case).
        tco = valid_tco_url().match(url) if "t.co/" in url.lower() else None
        if tco:
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            end = start + len(tco.group())
        urls.append((start, end - start))
    return urls
