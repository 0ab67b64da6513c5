"""Bluesky: post length, rich-text facets (:mod:`._rules`) and the adapter that posts to a PDS
(:mod:`.adapter`; the atproto SDK is imported only when it sends)."""

from __future__ import annotations

from clarion.platforms.bluesky._rules import (
    MAX_TAG_BYTES,
    MAX_TAG_GRAPHEMES,
    Bluesky,
    Facet,
    facets,
)
from clarion.platforms.bluesky.adapter import BlueskyAdapter, post_rkey

__all__ = [
    "MAX_TAG_BYTES",
    "MAX_TAG_GRAPHEMES",
    "Bluesky",
    "BlueskyAdapter",
    "Facet",
    "facets",
    "post_rkey",
]
