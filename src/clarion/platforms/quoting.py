"""Quote posts: which platforms can quote another post, and which post a URL names.

A campaign post may say ``quote_of: URL``. Only platforms listed in :data:`QUOTE_URLS` can quote;
the URL must be a post's address on that platform (a post on X cannot quote a Bluesky post), so
validation checks it here, before the week starts, and the adapters read the post's id from it the
same way.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class QuoteTarget(NamedTuple):
    #: The account part of the URL: an X user name, a Bluesky handle or DID.
    author: str
    #: The post's id on the platform: X's numeric id, Bluesky's record key.
    post_id: str


#: Platform name -> the shapes of its post URLs (group ``author`` and ``post``).
QUOTE_URLS: dict[str, tuple[re.Pattern[str], ...]] = {
    "x": (
        re.compile(
            r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/"
            r"(?P<author>[A-Za-z0-9_]{1,15}|i/web|i)/status(?:es)?/(?P<post>\d{1,20})/?(?:[?#].*)?$"
        ),
    ),
    "bluesky": (
        re.compile(
            r"^https://bsky\.app/profile/(?P<author>[A-Za-z0-9._:%-]+)/post/"
            r"(?P<post>[A-Za-z0-9._:~-]{1,512})/?(?:[?#].*)?$"
        ),
        re.compile(
            r"^at://(?P<author>[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/"
            r"(?P<post>[A-Za-z0-9._:~-]{1,512})$"
        ),
    ),
}

#: What a valid URL looks like, for error messages.
EXAMPLES = {
    "x": "https://x.com/ACCOUNT/status/1234567890",
    "bluesky": "https://bsky.app/profile/HANDLE/post/3kabc2xyz",
}


def can_quote(platform: str) -> bool:
    return platform in QUOTE_URLS


def target(platform: str, url: str) -> QuoteTarget | None:
    """The post ``url`` names on ``platform``, or None if it is not one of its post URLs."""
    for pattern in QUOTE_URLS.get(platform, ()):
        m = pattern.match(url.strip())
        if m:
            return QuoteTarget(m.group("author"), m.group("post"))
    return None
