"""The registry of platforms Clarion knows.

Each platform lives in its own module (counting rules, limits and, later, the adapter that talks to
its API). Modules are imported only when a platform is actually used, so a command that touches
only Mastodon never pays for X's or Bluesky's code.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clarion.platforms.base import Platform

#: Platform name -> "module:Class". The order is the order platforms are shown in.
REGISTRY: dict[str, str] = {
    "x": "clarion.platforms.x.rules:X",
    "facebook": "clarion.platforms.facebook.platform:Facebook",
    "mastodon": "clarion.platforms.mastodon.rules:Mastodon",
    "bluesky": "clarion.platforms.bluesky._rules:Bluesky",
}

#: Names people may write that mean a known platform (suggested in error messages).
ALIASES: dict[str, str] = {
    "twitter": "x",
    "tw": "x",
    "fb": "facebook",
    "meta": "facebook",
    "masto": "mastodon",
    "fediverse": "mastodon",
    "bsky": "bluesky",
}

NAMES: tuple[str, ...] = tuple(REGISTRY)


class UnknownPlatformError(KeyError):
    """Raised for a platform name that is not in :data:`REGISTRY`."""


@cache
def get(name: str) -> type[Platform]:
    """The platform class for ``name``, importing its module on first use."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownPlatformError(name) from None
    module_name, _, attr = target.partition(":")
    cls: type[Platform] = getattr(importlib.import_module(module_name), attr)
    return cls
