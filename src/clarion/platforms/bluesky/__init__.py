"""Bluesky: post length (:mod:`._rules`), rich-text facets (:mod:`._facets`) and the adapter that
posts to a PDS (:mod:`.adapter`; the atproto SDK is imported only when it sends)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.bluesky._facets import MAX_TAG_BYTES, MAX_TAG_GRAPHEMES, Facet, facets
from clarion.platforms.bluesky._rules import Bluesky

if TYPE_CHECKING:
    from clarion.platforms.bluesky.adapter import BlueskyAdapter, post_rkey

#: The adapter is loaded on first use only: validation and previews need just the rules above.
__getattr__ = _lazy.attributes(
    __name__,
    {
        "BlueskyAdapter": "clarion.platforms.bluesky.adapter",
        "post_rkey": "clarion.platforms.bluesky.adapter",
    },
)
__all__ = [
    "MAX_TAG_BYTES",
    "MAX_TAG_GRAPHEMES",
    "Bluesky",
    "BlueskyAdapter",
    "Facet",
    "facets",
    "post_rkey",
]
