"""Threads (Meta): post length, link and image limits, and how Threads counts a text.

Every figure here is from Meta's own Threads API documentation (checked 2026-12-04):

* Posts page, https://developers.facebook.com/documentation/threads/posts: "Text posts are
  limited to 500 characters" and "Emojis are counted as the number of UTF-8 bytes" (the note links
  to grapheme-splitter: a text is counted by user-perceived characters, graphemes). So a grapheme
  counts 1, except an emoji, which counts as many as its UTF-8 bytes: 😀 is 4, 👍🏽 is 8, the
  family emoji 👨‍👩‍👧 is 18, a flag 🇫🇷 is 8. Other characters (é, 日, ß) count 1 each: the
  documentation names emoji only. The text is NFC-normalised first, so an accent typed as a
  combining mark counts as the one character it shows as.
* Text attachments page, https://developers.facebook.com/documentation/threads/create-posts/
  text-attachments: "The number of links is restricted to 5 or fewer"; since 22 December 2025 a
  post with more than 5 fails at the container step (THREADS_API__LINK_LIMIT_EXCEEDED); every
  unique URL in ``text`` counts (with or without ``https://``: the page's examples are bare
  ``www.facebook.com``).
* Posts page, "Media Specifications" (the page's table of contents names the section; its figures
  as reproduced at https://ayrshare.com/docs/media-guidelines/threads): images are JPEG or PNG, at
  most 8 MB, an aspect ratio of at most 10:1, 320 to 1440 pixels wide (Threads scales them
  itself). A carousel holds 2 to 20 images or videos; Threads fetches each image from its public
  URL itself ("Threads retrieves your image from the URL provided, so it must be on a public
  server").
* Overview page, https://developers.facebook.com/documentation/threads/overview: "Threads profiles
  are limited to 250 API-published posts within a 24-hour moving period. Carousels count as a single
  post"; calls are limited to 4800 × impressions in 24 hours, impressions counted as at least 10.

A campaign's thread becomes a Threads reply chain: part 2 is published with ``reply_to_id`` set to
part 1 (Create Replies page, https://developers.facebook.com/documentation/threads/
retrieve-and-manage-replies/create-replies).
"""

from __future__ import annotations

import unicodedata

from clarion.platforms.base import (
    MEDIA_UPLOADS,
    POSTS,
    REQUESTS,
    CardStyle,
    Entity,
    LengthCheck,
    Platform,
    WriteLimit,
)

#: Most unique links one post may carry (text attachments page, see the module docstring).
MAX_LINKS = 5
#: A grapheme that is an emoji: an Extended_Pictographic code point, a regional indicator (flags)
#: or a keycap (1️⃣).
_EMOJI = r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]"


class Threads(Platform):
    name = "threads"
    label = "Threads"
    abbreviation = "Thr"
    aliases = ("threads.net", "threads.com", "meta threads", "instagram threads")
    # Threads' own look: black on white, grey hairlines, a round avatar, no brand colour.
    style = CardStyle(
        brand="#000",
        link="#0095f6",
        avatar="#000",
        avatar_radius="50%",
        border="#e5e5e5",
        radius="16px",
        text="#000",
        font="-apple-system,system-ui,Helvetica,Arial,sans-serif",
    )
    max_length = 500
    length_unit = "characters (an emoji counts as its UTF-8 bytes)"
    # Posts page, Carousel Posts (``children``): "Carousels can have at least 2 and up to 20
    # total images or videos or a mix of the two" (wording of Meta's Threads API Postman
    # collection, https://developers.qodex.ai/revel-digital/threads-api-1/).
    max_images = 20
    # Posts page, Media Specifications: JPEG and PNG, 8 MB at most, aspect ratio limit 10:1.
    max_image_bytes = 8 * 1024 * 1024
    image_types = frozenset({"image/jpeg", "image/png"})
    image_aspect = (0.1, 10.0)
    # Media Specifications: widths over 1440 are scaled down by Threads itself; Clarion sends a
    # photo of at most 1440 on its long side, so what is previewed is what people see.
    max_image_side = 1440
    supports_alt_text = True
    # The accessibility page documents ``alt_text`` without a length; Meta's other APIs take 1000.
    max_alt_length = 1000
    supports_threads = True
    # Threads fetches each image from its URL (posts page): the account's ``media_base_url``.
    media_by_url = True
    secret_names = ("access_token",)
    setting_names = ("user_id", "api_base", "media_base_url")
    adapter = "clarion.platforms.threads.adapter:ThreadsAdapter"
    # Long-lived tokens: "valid for 60 days and can be refreshed as long as they are at least 24
    # hours old but have not expired" (https://developers.facebook.com/docs/threads/get-started/
    # long-lived-tokens/).
    renew_steps = (
        "Refresh the long-lived Threads token before its 60 days are up (it must be at least a "
        "day old): GET https://graph.threads.net/refresh_access_token?grant_type=th_refresh_token"
        "&access_token=YOUR_TOKEN gives a new one valid for 60 days. Save it with `clarion "
        "accounts login threads --account {account}` and run `clarion accounts check` again"
    )
    write_limits = (
        # Overview page: 250 API-published posts per profile in a 24-hour moving window.
        WriteLimit(250, 24 * 3600, POSTS, note="a carousel counts as one post"),
        # Overview page: 4800 calls × impressions in 24 hours, impressions at least 10.
        WriteLimit(
            48_000,
            24 * 3600,
            REQUESTS,
            note="Threads allows 4,800 calls per impression of the account; this is the least",
        ),
    )

    @classmethod
    def write_cost(cls, images: int) -> dict[str, int]:
        """One post. Requests: each container (one, or one per carousel image and the carousel),
        at least one status check of each, the publish and the permalink read. Nothing is
        uploaded: Threads fetches the images."""
        containers = 1 if images <= 1 else images + 1
        return {POSTS: 1, REQUESTS: 2 * containers + 2, MEDIA_UPLOADS: 0}

    @classmethod
    def count(cls, text: str) -> int:
        text = unicodedata.normalize("NFC", text)
        if text.isascii():
            return len(text)
        from clarion.platforms import _text

        emoji = _text.pattern(_EMOJI)
        return sum(
            len(g.encode("utf-8")) if emoji.search(g) else 1
            for g in _text.pattern(r"\X").findall(text)
        )

    @classmethod
    def links(cls, text: str) -> list[str]:
        """The unique links in ``text``, as Threads counts them (case aside, in order)."""
        from clarion.platforms import _urls

        seen: dict[str, str] = {}
        if "." in text:
            for m in _urls.finditer(text):
                url = m.group("url")
                seen.setdefault(url.lower(), url)
        return list(seen.values())

    @classmethod
    def check_length(cls, text: str) -> LengthCheck:
        checked = super().check_length(text)
        links = len(cls.links(text))
        if links > MAX_LINKS:
            over = (*checked.over, f"{links} links, the limit is {MAX_LINKS}")
            return LengthCheck(checked.length, checked.limit, over)
        return checked

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        """Links (with or without ``https://``), topic tags (``#tag``) and ``@mentions``."""
        from clarion.platforms import _text, _urls
        from clarion.platforms.base import link_href

        found: list[Entity] = []
        if "." in text:
            for m in _urls.finditer(text):
                start, end = m.span("url")
                found.append(Entity(start, end, "link", link_href(text[start:end])))
        if "#" in text:
            found += [
                Entity(m.start(), m.end(), "tag", "")
                for m in _text.pattern(r"(?<![\w&#/])#\w*[\p{L}_]\w*").finditer(text)
            ]
        if "@" in text:
            found += [
                Entity(m.start(), m.end(), "mention", f"https://www.threads.com/{m.group()}")
                for m in _text.pattern(r"(?<![\w@/.])@[A-Za-z0-9_.]{1,30}(?<!\.)").finditer(text)
            ]
        return found
