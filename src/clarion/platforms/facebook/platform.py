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

from clarion.platforms.base import CardStyle, Entity, Platform


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
    max_length = 63_206
    length_unit = "characters"
    max_images = 10
    max_image_bytes = 4 * 1024 * 1024
    image_types = frozenset(
        {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"}
    )
    supports_alt_text = True
    #: Custom alt text set on a photo.
    max_alt_length = 1000
    supports_threads = False

    @classmethod
    def count(cls, text: str) -> int:
        return len(unicodedata.normalize("NFC", text))

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        from clarion.platforms.facebook._entities import entities

        return entities(text)
