"""Bluesky: post length, rich-text facets (:mod:`._rules`) and the adapter that posts to a PDS
(:mod:`.adapter`; the atproto SDK is imported only when it sends)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clarion.platforms.bluesky._rules import (
    MAX_TAG_BYTES,
    MAX_TAG_GRAPHEMES,
    Bluesky,
    Facet,
    facets,
)

if TYPE_CHECKING:
    from clarion.platforms.bluesky.adapter import BlueskyAdapter, post_rkey

#: The adapter is loaded on first use only: validation and previews need just the rules above.
_LAZY = {
    "BlueskyAdapter": "clarion.platforms.bluesky.adapter",
    "post_rkey": "clarion.platforms.bluesky.adapter",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_TAG_BYTES",
    "MAX_TAG_GRAPHEMES",
    "Bluesky",
    "BlueskyAdapter",
    "Facet",
    "facets",
    "post_rkey",
]
