"""Mastodon: its counting rules and limits (:mod:`.rules`) and its adapter (:mod:`.adapter`).

Importing this package loads neither Mastodon.py nor requests: the adapter imports them inside its
methods, when a post is really sent.
"""

from clarion.platforms.mastodon.adapter import MastodonAdapter
from clarion.platforms.mastodon.rules import Mastodon, countable_text

__all__ = ["Mastodon", "MastodonAdapter", "countable_text"]
