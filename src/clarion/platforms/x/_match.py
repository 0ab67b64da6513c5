"""Recognising a post Clarion sent among the posts X returns for an account's timeline.

X does not return a post's text as it was sent:

- every link is replaced by a ``https://t.co/...`` link; the address written is in
  ``entities.urls[].expanded_url`` (``http://`` added when none was written);
- a post with images gets one more ``t.co`` link at its end, whose entity has a ``media_key``;
- ``&``, ``<`` and ``>`` come back as ``&amp;``, ``&lt;`` and ``&gt;``;
- a post longer than the standard limit comes back truncated, its full text in ``note_tweet``.

So both texts are brought to one form before comparing: entities expanded (the images' link
dropped), HTML entities unescaped, NFC, ``\\r\\n`` as ``\\n``, outer whitespace stripped, and every
link (as twitter-text finds them, the finder X uses) written without its scheme, ``www.`` or
trailing ``/``, host in lower case. A post matches only if, besides the text, it answers the same
post (or none), quotes the same post (or none) and carries as many images. A ``t.co`` link that X
gave no entity for cannot be compared: such a post is "uncertain", never a match nor a proof of
absence.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from clarion.platforms import _urls

_TCO = re.compile(r"https?://t\.co/[A-Za-z0-9]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _canonical_url(url: str) -> str:
    url = _SCHEME.sub("", url)
    host, slash, rest = url.partition("/")
    host = host.lower().removeprefix("www.")
    return (host + slash + rest).rstrip("/")


def canonical(text: str) -> str:
    """``text`` in the one form both sides are compared in (see the module's doc)."""
    text = unicodedata.normalize("NFC", html.unescape(text)).replace("\r\n", "\n").strip()
    pieces: list[str] = []
    pos = 0
    for start, length in _urls.x_urls(text):
        if start < pos:
            continue
        pieces += (text[pos:start], _canonical_url(text[start : start + length]))
        pos = start + length
    return "".join(pieces) + text[pos:]


def _without_links(text: str) -> list[str]:
    text = canonical(text)
    pieces, pos = [], 0
    for start, length in _urls.x_urls(text):
        if start >= pos:
            pieces.append(text[pos:start])
            pos = start + length
    return " ".join([*pieces, text[pos:]]).split()


def expanded_text(tweet: dict[str, Any], quoted: str | None = None) -> str | None:
    """The text of a returned post with its links expanded, its images' link dropped (and a link
    to the post it quotes, ``quoted``, which X may append); None when a ``t.co`` link in it has no
    entity to expand it with."""
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else None
    source = note if note and note.get("text") else tweet
    text = str(source.get("text") or "")
    entities = source.get("entities") if isinstance(source.get("entities"), dict) else {}
    links = (entities or {}).get("urls") or []
    for link in sorted(links, key=lambda e: int(e.get("start", 0)), reverse=True):
        short = str(link.get("url") or "")
        if not short:
            continue
        full = "" if link.get("media_key") else str(link.get("expanded_url") or short)
        if quoted and re.search(rf"/status(?:es)?/{quoted}/?$", full):
            full = ""
        text = text.replace(short, full)
    if _TCO.search(text):
        return None
    return text


def _referenced(tweet: dict[str, Any], kind: str) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == kind:
            return str(ref.get("id"))
    return None


def compare(tweet: dict[str, Any], sent: dict[str, Any]) -> bool | None:
    """Whether a returned post is the one ``sent`` (the ``POST /2/tweets`` body): True, False, or
    None when it cannot be told (a link X gave no entity for, on a post that is otherwise alike)."""
    reply = (sent.get("reply") or {}).get("in_reply_to_tweet_id")
    if _referenced(tweet, "replied_to") != (str(reply) if reply else None):
        return False
    quote = sent.get("quote_tweet_id")
    if _referenced(tweet, "quoted") != (str(quote) if quote else None):
        return False
    images = len((sent.get("media") or {}).get("media_ids") or [])
    keys = (tweet.get("attachments") or {}).get("media_keys") or []
    if ("attachments" in tweet or images) and len(keys) != images:
        return False
    text = expanded_text(tweet, str(quote) if quote else None)
    if text is None:
        # compare what can be compared: the words around the links
        theirs = _without_links(str(tweet.get("text") or ""))
        return None if theirs == _without_links(str(sent.get("text") or "")) else False
    return canonical(text) == canonical(str(sent.get("text") or ""))
