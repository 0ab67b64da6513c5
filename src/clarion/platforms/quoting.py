"""Quote posts: which platforms can quote another post, and which post a URL names.

A campaign post may say ``quote_of: URL``. Only platforms that declare the shapes of their post
addresses (:attr:`Platform.quote_urls <clarion.platforms.base.Platform.quote_urls>`) can quote;
the URL must be a post's address on that platform (a post on one platform cannot quote another
platform's post), so validation checks it here, before the week starts, and the adapters read the
post's id from it the same way.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from clarion import platforms


class QuoteTarget(NamedTuple):
    #: The account part of the URL: a user name, a handle or a DID.
    author: str
    #: The post's id on the platform (a numeric id, a record key).
    post_id: str


@cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def can_quote(platform: str) -> bool:
    try:
        return bool(platforms.get(platform).quote_urls)
    except platforms.UnknownPlatformError:
        return False


def quoting_platforms() -> tuple[str, ...]:
    """The names of every platform that can quote, in order."""
    return tuple(name for name in platforms.NAMES if can_quote(name))


def example(platform: str) -> str:
    """What a post address on ``platform`` looks like, for error messages ("" if none)."""
    return platforms.get(platform).quote_example if can_quote(platform) else ""


def target(platform: str, url: str) -> QuoteTarget | None:
    """The post ``url`` names on ``platform``, or None if it is not one of its post URLs."""
    try:
        sources = platforms.get(platform).quote_urls
    except platforms.UnknownPlatformError:
        return None
    for source in sources:
        m = _compiled(source).match(url.strip())
        if m:
            return QuoteTarget(m.group("author"), m.group("post"))
    return None
