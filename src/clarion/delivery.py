"""The one shape of a delivery: one thing to send to one platform at one instant.

The planner makes :class:`Delivery` values from a campaign; the ledger stores them (their
:class:`Content` and :func:`content_hash`) and hands them back; each platform's adapter turns one
(plus its parent's platform id, once known) into the platform's request. Preview, dry run, the
engine and reconcile all start from this one value, so what people sign off is what goes out.

Nothing here is about display: lengths, limits and where a text came from in the file are the
planner's findings, returned beside the deliveries (:class:`clarion.planner.Fit`), never on them.
This module imports only the standard library: it is the bottom layer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Media:
    """One image as it will be sent."""

    #: The path as written in the campaign file, relative to its folder.
    path: str
    alt: str
    #: Where it was on disk when planned (absolute); checked again just before sending.
    file: str
    #: SHA-256 of the file's bytes when planned: a changed image is a changed delivery.
    sha256: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "alt": self.alt, "file": self.file, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Content:
    """Exactly what a platform receives for one delivery (apart from its thread parent's id)."""

    text: str
    media: tuple[Media, ...] = ()
    #: The post's link (already in ``text``; kept apart for reports and tagged links).
    link: str | None = None
    #: The URL of a post this one quotes.
    quote_of: str | None = None
    #: BCP 47 language tag, for platforms that label posts with one.
    language: str | None = None
    #: Who may see it ("unlisted", "followers"); None: the platform's default (public).
    visibility: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Only the fields that are set, so adding a field later changes no stored hash."""
        out: dict[str, Any] = {"text": self.text}
        if self.media:
            out["media"] = [m.as_json() for m in self.media]
        for name in ("link", "quote_of", "language", "visibility"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        media = tuple(
            Media(str(m["path"]), str(m.get("alt") or ""), str(m["file"]), str(m.get("sha256", "")))
            for m in data.get("media", ())
        )
        return cls(
            text=str(data["text"]),
            media=media,
            link=data.get("link"),
            quote_of=data.get("quote_of"),
            language=data.get("language"),
            visibility=data.get("visibility"),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One thing to send to one platform at one instant."""

    #: ``SLUG:POST:PLATFORM``; thread parts after the first add ``#N`` (N from 2).
    key: str
    campaign: str
    post: str
    platform: str
    #: The named account that posts it (the campaign's ``accounts``; default "default").
    account: str
    #: When it is due: aware, UTC.
    at_utc: dt.datetime
    #: The campaign's time zone (IANA name): how people are shown the time.
    zone: str
    #: Position in its thread: 0 for the post itself, 1.. for the parts that answer it.
    thread_index: int
    #: The key of the delivery this one answers (the previous thread part), if any.
    reply_to: str | None
    content: Content = field(default_factory=lambda: Content(""))

    @property
    def at(self) -> dt.datetime:
        """When it is due, in the campaign's zone."""
        return self.at_utc.astimezone(ZoneInfo(self.zone))

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def media(self) -> tuple[Media, ...]:
        return self.content.media

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt at this delivery, and unique to it."""
        return idempotency_key(self.key)


def idempotency_key(delivery_key: str) -> str:
    return hashlib.sha256(f"clarion:{delivery_key}".encode()).hexdigest()[:32]


def due_ms(instant: dt.datetime) -> int:
    """An aware instant as integer milliseconds since the epoch."""
    return int(instant.timestamp() * 1000)


def sent_fields(d: Delivery) -> dict[str, Any]:
    """What will be sent, field by field: what :func:`content_hash` covers, and what
    :func:`changes` compares. Display fields (lengths, limits, local time) are not in it;
    an image counts by its bytes' hash and alt text, not by where it lies."""
    c = d.content
    return {
        "text": c.text,
        "images": [[m.sha256, m.alt] for m in c.media],
        "link": c.link,
        "quote_of": c.quote_of,
        "language": c.language,
        "visibility": c.visibility,
        "account": d.account,
        "time": due_ms(d.at_utc),
        "thread": [d.thread_index, d.reply_to],
    }


def content_hash(d: Delivery) -> str:
    """SHA-256 of exactly what will be sent, when and by whom."""
    basis = json.dumps(sent_fields(d), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(basis.encode()).hexdigest()


#: What a person calls each field of :func:`sent_fields`, in change reports.
FIELD_WORDS = {
    "text": "text",
    "images": "images",
    "link": "link",
    "quote_of": "quoted post",
    "language": "language",
    "visibility": "visibility",
    "account": "account",
    "time": "time",
    "thread": "thread position",
}


def changes(old: Delivery, new: Delivery) -> list[str]:
    """What differs between two plans of the same delivery, in people's words ("text",
    "time", "images", "account"), in a fixed order; empty when nothing that is sent differs."""
    a, b = sent_fields(old), sent_fields(new)
    return [FIELD_WORDS[name] for name in FIELD_WORDS if a[name] != b[name]]
