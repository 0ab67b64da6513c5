"""X (formerly Twitter): the counting rules and limits (:mod:`.rules`) and the adapter that posts
through X API v2 with tweepy (:mod:`.adapter`).

Importing this package stays cheap: tweepy and requests are imported by the adapter's methods only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clarion.platforms.x.rules import (
    EMOJI_WEIGHT,
    LIGHT_RANGES,
    MAX_WEIGHTED_LENGTH,
    URL_WEIGHT,
    ParsedPost,
    X,
    invalid_characters,
    parse,
    weighted_length,
)

if TYPE_CHECKING:
    from clarion.platforms.x.adapter import XAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules above.
_LAZY = {"XAdapter": "clarion.platforms.x.adapter"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EMOJI_WEIGHT",
    "LIGHT_RANGES",
    "MAX_WEIGHTED_LENGTH",
    "URL_WEIGHT",
    "ParsedPost",
    "X",
    "XAdapter",
    "invalid_characters",
    "parse",
    "weighted_length",
]
