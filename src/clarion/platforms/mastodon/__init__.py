"""Mastodon: its counting rules and limits (:mod:`.rules`) and its adapter (:mod:`.adapter`).

Importing this package loads neither Mastodon.py nor requests: the adapter imports them inside its
methods, when a post is really sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.mastodon.rules import Mastodon, countable_text

if TYPE_CHECKING:
    from clarion.platforms.mastodon.adapter import MastodonAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules above.
__getattr__ = _lazy.attributes(__name__, {"MastodonAdapter": "clarion.platforms.mastodon.adapter"})
__all__ = ["Mastodon", "MastodonAdapter", "countable_text"]
