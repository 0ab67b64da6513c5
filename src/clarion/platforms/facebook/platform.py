"""Facebook Pages: post length and image limits.

A Page post may be 63,206 characters long. Facebook does not say how it counts them; this counts
Unicode code points after NFC normalisation. NFC, so that an accent typed as a separate combining
mark (common in text pasted from macOS) counts once, as it shows; code points, because they are the
plain reading of "characters" and the choice hardly matters at this size: UTF-16 units or graphemes
would differ only for emoji, by a few per emoji, and no campaign post comes near 63,206 of anything.
Facebook has no threads: a thread's parts become one post, separated by blank lines.
"""

from __future__ import annotations

import unicodedata

from clarion.platforms.base import REQUESTS, CardStyle, Entity, Platform, WriteLimit
from clarion.platforms.metrics import LIKES, REPLIES, REPOSTS, Metric


class Facebook(Platform):
    name = "facebook"
    label = "Facebook Page"
    short_label = "Facebook"
    abbreviation = "FB"
    aliases = ("fb", "meta")
    style = CardStyle(
        brand="#0b5cc2",
        link="#0b5cc2",
        border="#dddfe2",
        radius="8px",
        shadow="0 1px 2px rgba(0,0,0,.2)",
        text="#050505",
    )
    secret_names = ("page_token",)
    setting_names = ("page_id", "graph_url")
    adapter = "clarion.platforms.facebook.adapter:FacebookAdapter"
    # A Page token taken from a long-lived user token does not expire (debug_token says
    # expires_at 0): https://developers.facebook.com/docs/facebook-login/guides/access-tokens/
    # get-long-lived. A password change or a removed permission still revokes it.
    renew_steps = (
        "Make a Page token that does not expire: in the Graph API Explorer, get a user token "
        "with pages_manage_posts, exchange it for a long-lived one (GET /oauth/access_token?"
        "grant_type=fb_exchange_token&client_id=APP_ID&client_secret=APP_SECRET&"
        "fb_exchange_token=USER_TOKEN), then ask GET /me/accounts with that token and take the "
        "Page's access_token. Save it with `clarion accounts login facebook --account {account}` "
        "and run `clarion accounts check` again"
    )
    max_length = 63_206
    length_unit = "characters"
    max_images = 10
    # "We recommend uploading photos under 4MB" (JPEG, BMP, PNG, GIF, TIFF; a PNG over 1 MB
    # "may appear pixelated"): https://developers.facebook.com/docs/graph-api/photo-uploads,
    # checked 2026-12-03. Facebook documents no pixel limit and resizes photos itself.
    max_image_bytes = 4 * 1024 * 1024
    image_types = frozenset(
        {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"}
    )
    supports_alt_text = True
    #: Custom alt text set on a photo.
    max_alt_length = 1000
    supports_threads = False
    # The Graph API sets no fixed number of posts. Page tokens fall under its Business Use Case
    # limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting, checked
    # 2026-12-03): a Page may make 4,800 calls times its number of engaged users in 24 hours.
    # Clarion cannot know that number before the week, so it counts against the formula's floor,
    # one engaged user: 4,800 requests per 24 hours. A Page with an engaged audience has more.
    write_limits = (
        WriteLimit(
            4_800,
            24 * 3600,
            REQUESTS,
            note="the Graph API allows 4,800 per engaged user of the Page; this is the least",
        ),
    )

    # What ``clarion report`` reads (:mod:`.metrics`): 50 posts a Graph request.
    metrics = (
        Metric(
            LIKES,
            "Reactions",
            "people who reacted to the post (Like, Love, Care, Haha, Wow, Sad, Angry)",
        ),
        Metric(REPOSTS, "Shares", "people who shared the post"),
        Metric(REPLIES, "Comments", "comments on the post"),
        Metric("views", "Views", "times the post was seen, counting repeat views by one person"),
        Metric("viewers", "Viewers", "people who saw the post at least once"),
    )
    metrics_batch = 50
    metrics_parallel = 2
    metrics_note = (
        "Facebook counts every kind of reaction as one (shown with the other platforms' likes). "
        "Views replaced impressions in November 2025; they are Facebook's own count and are "
        "never added to another platform's. Facebook counts no quotes."
    )

    @classmethod
    def write_cost(cls, images: int) -> dict[str, int]:
        """Text or one photo: one request. Several photos: one unpublished upload each, then
        the post."""
        return {**super().write_cost(images), REQUESTS: 1 if images <= 1 else 1 + images}

    @classmethod
    def count(cls, text: str) -> int:
        return len(unicodedata.normalize("NFC", text))

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        from clarion.platforms.facebook._entities import entities

        return entities(text)
