"""LinkedIn's "little" text format: what a post's ``commentary`` is written in.

Source: https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/
little-text-format (checked 2026-12-03). The commentary is plain text with elements: a mention
``@[Name](urn:li:organization:1234)`` and the HashtagTemplate ``{hashtag|#|Technology}``. "All
reserved characters need to be escaped with a backslash, even if those characters are not used in
one of the supported elements"; the reserved characters are ``\\ | { } @ [ ] ( ) < > # * _ ~``.
An unescaped one is not refused by LinkedIn: the post is cut at it (a post "published" with only
its first sentence), so Clarion never sends one.

What Clarion makes of a campaign's text (:func:`commentary`):

* every reserved character is escaped (``(`` -> ``\\(``, ``_`` -> ``\\_``, ``\\`` -> ``\\\\``);
* a hashtag, ``#`` then letters and digits (at least one letter), not after a letter, digit or
  ``&``, becomes the documented HashtagTemplate ``{hashtag|#|tag}``, so it shows and links as
  ``#tag``. Letters and digits only: none of the reserved characters is ever inside a template
  (``#launch_day`` is the hashtag ``#launch`` then the text ``_day``, escaped), so no escaping
  inside a template is needed, which the page does not describe;
* a mention needs the URN of a member or organisation, which a campaign does not hold: ``@name``
  stays plain text (its ``@`` escaped).

:func:`shown` is the other way: the text LinkedIn shows for a commentary (escapes removed, a
template shown as its sign and value, a mention as its name). ``shown(commentary(t)) == t`` for
every text (tests/platforms/test_linkedin_little.py checks it with hypothesis).
"""

from __future__ import annotations

import re

#: The little format's reserved characters (the page above).
RESERVED = frozenset("\\|{}@[]()<>#*_~")
_ESCAPE = re.compile(r"([\\|{}@\[\]()<>#*_~])")
#: A hashtag Clarion writes as LinkedIn's HashtagTemplate: letters and digits, one a letter.
HASHTAG = re.compile(r"(?<![^\W_]|&)#((?:[^\W_])*[^\W\d_](?:[^\W_])*)")
#: What :func:`shown` reads: an escape, a hashtag template, a mention, or one other character.
_ELEMENT = re.compile(
    r"\\(?P<escaped>.)"
    r"|\{hashtag\|(?P<sign>[#\uff03])\|(?P<tag>[^\\|{}@\[\]()<>#*_~]+)\}"
    r"|@\[(?P<name>(?:\\.|[^\]\\])*)\]\((?P<urn>urn:li:[a-zA-Z]+:[^)\s]+)\)"
    r"|(?P<other>.)",
    re.DOTALL,
)


class LittleError(ValueError):
    """A commentary that is not valid little text (an unescaped reserved character)."""

    def __init__(self, position: int, char: str) -> None:
        super().__init__(f"unescaped reserved character {char!r} at position {position}")
        self.position = position
        self.char = char


def escape(text: str) -> str:
    """``text`` as plain little text: every reserved character backslash-escaped."""
    return _ESCAPE.sub(r"\\\1", text)


def commentary(text: str) -> str:
    """A campaign's text as the commentary sent: escaped, hashtags as HashtagTemplates."""
    out: list[str] = []
    at = 0
    for m in HASHTAG.finditer(text):
        out.append(escape(text[at : m.start()]))
        out.append("{hashtag|#|" + m.group(1) + "}")
        at = m.end()
    out.append(escape(text[at:]))
    return "".join(out)


def shown(little: str) -> str:
    """The text LinkedIn shows for the commentary ``little``; :class:`LittleError` when it holds
    an unescaped reserved character (or a lone backslash at its end)."""
    out: list[str] = []
    for m in _ELEMENT.finditer(little):
        if m.group("escaped") is not None:
            out.append(m.group("escaped"))
        elif m.group("tag") is not None:
            out.append(m.group("sign") + m.group("tag"))
        elif m.group("urn") is not None:
            out.append(shown(m.group("name")))
        else:
            char = m.group("other")
            if char in RESERVED:
                raise LittleError(m.start(), char)
            out.append(char)
    return "".join(out)


def same_post(a: str, b: str) -> bool:
    """Whether two commentaries show the same text (one may be LinkedIn's own rendering of the
    other: ``{hashtag|#|x}`` and ``#x`` with an escaped ``#`` both show ``#x``)."""

    def plain(little: str) -> str:
        try:
            text = shown(little)
        except LittleError:
            text = little
        return text.replace("\r\n", "\n").strip()

    return plain(a) == plain(b)
