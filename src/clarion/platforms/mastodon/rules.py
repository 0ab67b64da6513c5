"""Mastodon: post length as a Mastodon server counts it.

Mastodon counts grapheme clusters (what a reader sees as one character: an accented letter, a flag,
a family emoji), except that

- every ``http://`` or ``https://`` URL counts 23 characters, however long it is (URLs are found by
  twitter-text's URL extractor, as Mastodon does; URLs without a protocol count as written);
- a mention of an account on another server, ``@user@example.social``, counts as ``@user``.

These are the rules of Mastodon.py's ``Mastodon.get_status_length``, which the tests compare with.
The default limits are those of a stock Mastodon server; servers may raise them (see
:meth:`Mastodon.with_limits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar, cast

from clarion.platforms import _text, _urls
from clarion.platforms.base import MEDIA_UPLOADS, REQUESTS, CardStyle, Entity, Platform, WriteLimit
from clarion.platforms.metrics import LIKES, QUOTES, REPLIES, REPOSTS, Metric

#: ``@user@domain`` after the start or a character that is neither ``/`` nor a word character
#: (Mastodon.py's pattern, which mirrors the server's).
_REMOTE_MENTION = re.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", re.IGNORECASE)


def countable_text(text: str, url_length: int = 23) -> str:
    """``text`` as Mastodon measures it: URLs replaced by ``url_length`` x's, remote mentions cut
    to their local part."""
    if "://" in text:
        pieces: list[str] = []
        pos = 0
        for match in _urls.finditer(text, protocol_required=True):
            start, end = match.span("url")
            pieces += (text[pos:start], "x" * url_length)
            pos = end
        if pieces:
            text = "".join(pieces) + text[pos:]
    if "@" in text:
        text = _REMOTE_MENTION.sub(r"\1@\3", text)
    return text


class Mastodon(Platform):
    name = "mastodon"
    label = "Mastodon"
    abbreviation = "Masto"
    aliases = ("masto", "fediverse")
    style = CardStyle(
        brand="#563acc",
        link="#563acc",
        avatar_radius="8px",
        border="#c0cdd9",
        radius="8px",
        underline_links=True,
    )
    #: Links show without ``https://`` and ``www.``, cut after 30 characters with an ellipsis
    #: (``TextFormatter#shortened_link``).
    shown_url_chars = 30
    secret_names = ("access_token",)
    setting_names = ("base_url",)
    adapter = "clarion.platforms.mastodon.adapter:MastodonAdapter"
    # What ``clarion report`` reads (:mod:`.metrics`): 20 statuses a request on Mastodon 4.3+.
    metrics = (
        Metric(LIKES, "Favourites", "people who favourited the post"),
        Metric(REPOSTS, "Boosts", "people who boosted it to their followers"),
        Metric(REPLIES, "Replies", "replies to the post"),
        Metric(QUOTES, "Quotes", "posts that quote it (Mastodon 4.5 and later)"),
    )
    metrics_batch = 20
    metrics_parallel = 2
    metrics_note = (
        "Mastodon counts no views or impressions. Its counts are what the account's own server "
        "knows: favourites and boosts from other servers reach it, but replies it never saw "
        "may be missing."
    )
    max_length = 500
    length_unit = "characters"
    max_images = 4
    # Mastodon 4.2 and later (mastodon/mastodon app/models/media_attachment.rb): IMAGE_LIMIT =
    # 16.megabytes, and the original is kept at most 8,294,400 pixels (3840 × 2160; IMAGE_STYLES
    # original "pixels"), larger ones being scaled down by the server; it refuses images over
    # Attachmentable::MAX_MATRIX_LIMIT (33,177,600 px, what /api/v2/instance reports as
    # configuration.media_attachments.image_matrix_limit). A server sets its own: ``accounts
    # check`` reads image_size_limit and image_matrix_limit (see :meth:`with_limits`).
    max_image_bytes = 16 * 1024 * 1024
    max_image_pixels = 8_294_400
    image_types = frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "image/heic",
            "image/heif",
            "image/avif",
        }
    )
    supports_alt_text = True
    max_alt_length = 1500
    supports_threads = True
    # Mastodon's default rate limits (https://docs.joinmastodon.org/api/rate-limits/, checked
    # 2026-12-03): 300 requests per 5 minutes per account, and 30 media uploads per 30 minutes.
    # They are a server's defaults: an admin can set others, and servers running other software
    # (snac, GoToSocial, Pleroma) have their own. A post is 1 request plus one per image.
    write_limits = (
        WriteLimit(300, 5 * 60, REQUESTS, note="Mastodon's default; your server may set another"),
        WriteLimit(
            30, 30 * 60, MEDIA_UPLOADS, note="Mastodon's default; your server may set another"
        ),
    )
    # What ``clarion report`` reads (:mod:`.metrics`): GET /api/v1/statuses?id[]=.., 20 ids a call
    # (Mastodon >= 4.3: Api::BaseController::DEFAULT_STATUSES_LIMIT), else one status a call.
    # Reading is free (no prices).
    metrics = (
        Metric(LIKES, "Favourites", "people who favourited the post"),
        Metric(REPOSTS, "Boosts", "people who boosted it to their followers"),
        Metric(REPLIES, "Replies", "replies to the post that its server has seen"),
        Metric(QUOTES, "Quotes", "posts that quote it (Mastodon 4.5 and later)"),
    )
    metrics_batch = 20
    metrics_parallel = 2
    metrics_note = (
        "Mastodon counts no views or impressions. The counts are as the account's own server "
        "knows them: boosts and favourites from other servers arrive there, but replies it never "
        "saw may be missing. Quotes are counted only by Mastodon 4.5 and later."
    )
    #: What every URL counts as (a server's ``configuration.statuses.characters_reserved_per_url``).
    url_length: ClassVar[int] = 23

    @classmethod
    def count(cls, text: str) -> int:
        return _text.graphemes(countable_text(text, cls.url_length))

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        from clarion.platforms.mastodon._entities import entities

        return entities(text)

    @classmethod
    def with_limits(
        cls,
        *,
        max_length: int | None = None,
        max_images: int | None = None,
        max_image_bytes: int | None = None,
        max_image_pixels: int | None = None,
        image_types: Iterable[str] | None = None,
        max_alt_length: int | None = None,
        url_length: int | None = None,
    ) -> type[Mastodon]:
        """This platform with one server's limits, as its ``/api/v2/instance`` reports them
        (``configuration.statuses.max_characters`` and so on). Limits not given stay as they are."""
        given = {
            "max_length": max_length,
            "max_images": max_images,
            "max_image_bytes": max_image_bytes,
            # the server's refusal limit; photos are still sent at most the stock pixels, which
            # is all Mastodon keeps
            "max_image_pixels": None
            if max_image_pixels is None or cls.max_image_pixels is None
            else min(max_image_pixels, cls.max_image_pixels),
            "image_types": None if image_types is None else frozenset(image_types),
            "max_alt_length": max_alt_length,
            "url_length": url_length,
        }
        overrides = {name: value for name, value in given.items() if value is not None}
        return cast("type[Mastodon]", type(cls.__name__, (cls,), overrides))
