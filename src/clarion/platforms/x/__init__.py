"""X (formerly Twitter): the counting rules and limits (:mod:`.rules`) and the adapter that posts
through X API v2 with tweepy (:mod:`.adapter`).

Importing this package stays cheap: tweepy and requests are imported by the adapter's methods only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
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
__getattr__ = _lazy.attributes(__name__, {"XAdapter": "clarion.platforms.x.adapter"})
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
