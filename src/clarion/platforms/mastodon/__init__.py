"""Mastodon: its counting rules and limits (:mod:`.rules`) and its adapter (:mod:`.adapter`).

Importing this package loads neither Mastodon.py nor requests: the adapter imports them inside its
methods, when a post is really sent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clarion.platforms.mastodon.rules import Mastodon, countable_text

if TYPE_CHECKING:
    from clarion.platforms.mastodon.adapter import MastodonAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules above.
_LAZY = {"MastodonAdapter": "clarion.platforms.mastodon.adapter"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Mastodon", "MastodonAdapter", "countable_text"]
