"""Deliveries for adapter tests: the one shape (:mod:`clarion.delivery`), built in one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from clarion.delivery import Content, Delivery, Media

#: When test deliveries are due unless a test says otherwise.
DUE = dt.datetime(2022, 7, 4, 8, 0, tzinfo=dt.UTC)


def MediaItem(file: str, alt: str) -> Media:
    """An image at ``file`` (absolute) with its alt text."""
    return Media(Path(file).name, alt, file, "")


class Sendable(NamedTuple):
    """What ``Adapter.build`` takes: a delivery and its parent's platform id (if known)."""

    delivery: Delivery
    reply_to_id: str | None = None


def sendable(
    key: str,
    platform: str,
    text: str,
    media: tuple[Media, ...] = (),
    *,
    thread_index: int = 0,
    reply_to_id: str | None = None,
    reply_to_key: str | None = None,
    quote_of: str | None = None,
    language: str | None = None,
    visibility: str | None = None,
    account: str = "default",
    at: dt.datetime = DUE,
) -> Sendable:
    content = Content(text, media, quote_of=quote_of, language=language, visibility=visibility)
    d = Delivery(
        key=key,
        campaign=key.split(":", 1)[0],
        post=key.split(":")[1] if key.count(":") >= 2 else key,
        platform=platform,
        account=account,
        at_utc=at,
        zone="Europe/London",
        thread_index=thread_index,
        reply_to=reply_to_key,
        content=content,
    )
    return Sendable(d, reply_to_id)
