"""A tiny platform defined outside Clarion: its descriptor here, its adapter in :mod:`.adapter`.

It is what adding a platform takes, and nothing more: this folder, plus one registry line
(``clarion.platforms.register("tests.plugin_platform:Pigeon")`` in the tests, or an entry point
``pigeon = "tests.plugin_platform:Pigeon"`` in the ``clarion.platforms`` group).
"""

from __future__ import annotations

from clarion.platforms.base import CardStyle, Entity, Platform


class Pigeon(Platform):
    """Carrier pigeons: 80 characters to a ring, one image, threads as a flock."""

    name = "pigeon"
    label = "Carrier Pigeon"
    short_label = "Pigeon"
    abbreviation = "Coo"
    aliases = ("carrier-pigeon", "dove")
    style = CardStyle(brand="#7a5c3e", link="#2e6b30", radius="4px", border="#b9a48a")
    max_length = 80
    length_unit = "characters"
    max_images = 1
    max_image_bytes = 1_000_000
    image_types = frozenset({"image/png"})
    max_alt_length = 100
    supports_threads = True
    shown_url_chars = 12
    quote_urls = (r"^https://loft\.example/(?P<author>[a-z]+)/(?P<post>\d+)$",)
    quote_example = "https://loft.example/BIRD/123"
    secret_names = ("ring_code",)
    setting_names = ("loft",)
    adapter = "tests.plugin_platform.adapter:PigeonAdapter"

    @classmethod
    def count(cls, text: str) -> int:
        return len(text)

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        """Its own marks: ``~seed`` is a hashtag on the loft; links as the default finds them."""
        found = [e for e in super().entities(text) if e.kind == "link"]
        start = text.find("~")
        while start != -1:
            end = start + 1
            while end < len(text) and text[end].isalnum():
                end += 1
            if end > start + 1:
                found.append(Entity(start, end, "tag", ""))
            start = text.find("~", end)
        return found
