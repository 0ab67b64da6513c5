"""Bluesky: post length, and the rich-text facets (links, hashtags, mentions) a post carries.

A post's text may have at most 300 graphemes and 3000 UTF-8 bytes (``app.bsky.feed.post``). URLs
count as written, except a tagged link (one with ``utm_`` parameters), which Bluesky shows and
counts short (:func:`._facets.visible`). Bluesky shows links, tags and mentions only where the
post says so in *facets* (:mod:`._facets` finds them as the official client does).
"""

from __future__ import annotations

from typing import ClassVar

from clarion.platforms import _text
from clarion.platforms.base import (
    POINTS,
    REQUESTS,
    CardStyle,
    Entity,
    LengthCheck,
    Platform,
    WriteLimit,
)
from clarion.platforms.bluesky._facets import Facet, facets, shown_link, shown_text
from clarion.platforms.metrics import LIKES, QUOTES, REPLIES, REPOSTS, Metric

__all__ = ["Bluesky", "Facet", "facets"]  # (the facets live in ._facets; kept importable here)

#: Bluesky's own count (not added to other platforms'): postView's ``bookmarkCount``.
BOOKMARKS = "bookmarks"


class Bluesky(Platform):
    name = "bluesky"
    label = "Bluesky"
    abbreviation = "Bsky"
    aliases = ("bsky",)
    style = CardStyle(brand="#0560c4", link="#0560c4", border="#d4dbe2", radius="12px")
    quote_urls = (
        r"^https://bsky\.app/profile/(?P<author>[A-Za-z0-9._:%-]+)/post/"
        r"(?P<post>[A-Za-z0-9._:~-]{1,512})/?(?:[?#].*)?$",
        r"^at://(?P<author>[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/"
        r"(?P<post>[A-Za-z0-9._:~-]{1,512})$",
    )
    quote_example = "https://bsky.app/profile/HANDLE/post/3kabc2xyz"
    secret_names = ("app_password",)
    setting_names = ("handle", "service")
    adapter = "clarion.platforms.bluesky.adapter:BlueskyAdapter"
    max_length = 300
    length_unit = "graphemes"
    #: The second limit on a post's text, in UTF-8 bytes.
    max_bytes: ClassVar[int] = 3000
    max_images = 4
    # An image blob may have at most 1,000,000 bytes and 2,000 × 2,000 pixels: the lexicon
    # app.bsky.embed.images (bluesky-social/atproto lexicons/app/bsky/embed/images.json:
    # "maxSize": 1000000, "maxWidth"/"maxHeight": 2000), and Bluesky's own app resizes every
    # photo to fit POST_IMG_MAX = {width: 2000, height: 2000, size: 1000000} before uploading.
    max_image_bytes = 1_000_000
    max_image_side = 2000
    image_types = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
    supports_alt_text = True
    max_alt_length = 2000
    supports_threads = True
    # Bluesky's PDS limits (https://docs.bsky.app/docs/advanced-guides/rate-limits, checked
    # 2026-12-03): each account may write 5,000 points per hour and 35,000 per day, a created
    # record costing 3 (every post and thread reply is one ``createRecord``). An image upload
    # (``uploadBlob``) writes no record, so it costs no points; it counts, with every other
    # request, against 3,000 requests per 5 minutes per IP address: every account this machine
    # posts for shares that. These are bsky.social's figures; another PDS may set others.
    write_limits = (
        WriteLimit(5_000, 3600, POINTS),
        WriteLimit(35_000, 24 * 3600, POINTS),
        WriteLimit(3_000, 5 * 60, REQUESTS, shared="this machine's IP address"),
    )

    # What ``clarion report`` reads (:mod:`.metrics`): app.bsky.feed.getPosts on an AppView,
    # whose ``uris`` take at most 25 (lexicons/app/bsky/feed/getPosts.json, maxLength 25), its
    # postView's likeCount, repostCount, replyCount, quoteCount and bookmarkCount
    # (lexicons/app/bsky/feed/defs.json). The AppView's limits are "generous" and unpublished
    # (docs.bsky.app, Rate Limits): three calls at once per account. Reading is free.
    metrics = (
        Metric(LIKES, "Likes", "people who liked the post"),
        Metric(REPOSTS, "Reposts", "people who reposted it to their followers"),
        Metric(REPLIES, "Replies", "replies to the post"),
        Metric(QUOTES, "Quotes", "posts that quote it"),
        Metric(BOOKMARKS, "Bookmarks", "people who saved it to read later (seen only by them)"),
    )
    metrics_batch = 25
    metrics_parallel = 3
    metrics_note = (
        "Bluesky counts no views. Its counts come from an AppView, by default Bluesky's public "
        "one (public.api.bsky.app; CLARION_BLUESKY_APPVIEW names another), which indexes the "
        "whole network: a like may take a few seconds to be counted."
    )

    @classmethod
    def write_cost(cls, images: int) -> dict[str, int]:
        """A post is one record (3 points) and one request, plus a request per image."""
        return {**super().write_cost(images), POINTS: 3}

    @classmethod
    def shown_link(cls, url: str) -> str | None:
        """A tagged link is shown short, as Bluesky's app writes links; others as typed."""
        from clarion.platforms import _utm

        return shown_link(url) if _utm.is_tagged(url) else None

    @classmethod
    def count(cls, text: str) -> int:
        """Graphemes of the text Bluesky shows (a tagged link counts as its short form)."""
        return _text.graphemes(shown_text(text))

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        from clarion.platforms.bluesky._entities import entities

        return entities(text)

    @classmethod
    def check_length(cls, text: str) -> LengthCheck:
        """Graphemes against 300 and UTF-8 bytes against 3000; both are reported if both break."""
        check = super().check_length(text)
        size = len(shown_text(text).encode("utf-8", "surrogatepass"))
        if size <= cls.max_bytes:
            return check
        too_big = f"{size} bytes, the limit is {cls.max_bytes}"
        return LengthCheck(check.length, check.limit, (*check.over, too_big))
