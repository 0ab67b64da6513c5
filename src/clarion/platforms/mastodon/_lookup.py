"""Finding a status Clarion sent among the account's own recent statuses, once the server no
longer remembers its ``Idempotency-Key``.

``GET /api/v1/accounts/:id/statuses`` (newest first, 40 a page, replies included) gives each
status as the server shows it. A status that could be the one (it answers the same status, or
none, and has as many images) is compared by its text: the ``text`` field where the server gives
it (snac, GoToSocial); else its ``content``, the HTML Mastodon made of the text (paragraphs and
line breaks as ``<p>`` / ``<br>``, ``&<>"'`` escaped), when that holds no other markup; else
(links, hashtags and mentions wrapped in ``<a>`` and ``<span>``, a remote mention shown as
``@user``) its source, ``GET /api/v1/statuses/:id/source``, the text exactly as it was sent.

Published: the newest such status created no earlier than the first send (less a margin for
clocks). Absent only when sure: no such status, none that could not be compared, and the pages
read reach back past that instant (or hold every status of the account). Otherwise Unknown.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from typing import Any

from clarion.platforms.adapter import parse_instant
from clarion.platforms.outcomes import Absent, Published, ReconcileOutcome, Unknown
from clarion.secrets import redact

#: Statuses per page (Mastodon's largest) and pages read at most.
PAGE = 40
MAX_PAGES = 5
#: Sources fetched at most for statuses whose HTML cannot be compared as text.
MAX_SOURCES = 10
#: Clock difference tolerated between this machine and the server.
CLOCK_SKEW = dt.timedelta(minutes=10)

#: Any markup but paragraphs and line breaks: the HTML's text may differ from what was sent.
_MARKUP = re.compile(r"<(?!/?(?:p|br)[\s/>])", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{2,}")


def canonical(text: str) -> str:
    """A text in the one form both sides are compared in: NFC, ``\\n`` line ends, no blanks
    at the ends of lines or of the text, paragraphs separated by exactly one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_text(content: str) -> str:
    """The text of a status's HTML (paragraphs -> blank lines, ``<br>`` -> line ends)."""
    text = _PARAGRAPH.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def _created(status: Any) -> dt.datetime | None:
    value = status.get("created_at")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return parse_instant(value)


def _same_shape(status: Any, payload: dict[str, Any]) -> bool:
    """It answers the same status (or none) and carries as many images."""
    reply = payload.get("in_reply_to_id")
    theirs = status.get("in_reply_to_id")
    if (str(theirs) if theirs else None) != (str(reply) if reply else None):
        return False
    return len(status.get("media_attachments") or []) == len(payload.get("media") or [])


def _same_text(status: Any, sent: str) -> bool | None:
    """Whether a status says ``sent``; None when only its source can tell."""
    if isinstance(status.get("text"), str) and status["text"]:
        return canonical(status["text"]) == sent
    content = str(status.get("content") or "")
    if canonical(html_text(content)) == sent:
        return True
    return None if _MARKUP.search(content) else False


def _url(status: Any) -> str | None:
    url = status.get("url") or status.get("uri")
    return str(url) if url else None


def find(
    client: Any, account_id: str, payload: dict[str, Any], since: dt.datetime
) -> ReconcileOutcome:
    """Look for the status ``payload`` describes among the account's statuses created since
    ``since`` (see the module's doc). ``client``: a Mastodon.py client."""
    sent = canonical(str(payload.get("status") or ""))
    since = since - CLOCK_SKEW
    seen: set[str] = set()
    unsure, sources = 0, 0
    max_id: str | None = None
    complete = False  # every status since ``since`` was read
    for _ in range(MAX_PAGES):
        page = list(client.account_statuses(account_id, limit=PAGE, max_id=max_id) or [])
        new = [st for st in page if str(st["id"]) not in seen]
        if not new:  # the end; or a server that ignores max_id, whose page was all it would give
            complete = not page or len(page) < PAGE
            break
        seen.update(str(st["id"]) for st in new)
        for status in new:
            created = _created(status)
            if created is not None and created < since:
                complete = True
                continue
            if not _same_shape(status, payload):
                continue
            same = _same_text(status, sent)
            if same is None and sources < MAX_SOURCES:
                sources += 1
                try:
                    source = client.status_source(status["id"])
                    same = canonical(str(source.get("text") or "")) == sent
                except Exception:
                    same = None
            if same:
                return Published(str(status["id"]), _url(status))
            unsure += same is None
        if complete:
            break
        max_id = str(page[-1]["id"])
    if unsure:
        return Unknown(
            f"{unsure} of the account's recent statuses could not be compared with this one; "
            "check the account's posts by hand"
        )
    if complete:
        return Absent(
            "Mastodon has no such status: none of the account's statuses since "
            f"{since:%Y-%m-%d %H:%M} UTC has this text"
        )
    return Unknown(
        f"none of the account's {len(seen)} most recent statuses has this text, but older ones "
        "were not read; check the account's posts by hand"
    )


def failed_words(exc: BaseException) -> str:
    """Why the account's statuses could not be read, in plain words."""
    return redact(f"could not read the account's statuses on Mastodon: {exc}")
