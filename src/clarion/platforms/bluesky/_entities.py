"""What Bluesky marks in a post (the HTML preview highlights it): exactly its facets
(:func:`._facets.facets`); what is not a facet is plain text there. Links show as written."""

from __future__ import annotations

from clarion.platforms.base import Entity
from clarion.platforms.bluesky._facets import facets


def entities(text: str) -> list[Entity]:
    found = facets(text)
    if not found:
        return []
    if text.isascii():
        return [Entity(f.byte_start, f.byte_end, f.kind, _href(f.kind, f.value)) for f in found]
    # Facets count UTF-8 bytes; a facet always starts and ends between two characters.
    data = text.encode("utf-8", "surrogatepass")

    def index(offset: int) -> int:
        return len(data[:offset].decode("utf-8", "surrogatepass"))

    return [
        Entity(index(f.byte_start), index(f.byte_end), f.kind, _href(f.kind, f.value))
        for f in found
    ]


def _href(kind: str, value: str) -> str:
    return value if kind == "link" else ""
