"""X's counts of posts: ``GET /2/tweets`` with ``public_metrics`` (and, for the account's own
posts younger than 30 days, ``non_public_metrics``), up to 100 ids a call.

From X's API reference (docs.x.com, "Post lookup by Post IDs" and "Metrics"):

* ``ids``: up to 100 comma-separated ids; ``tweet.fields`` names what comes back;
* ``public_metrics``: ``like_count``, ``retweet_count``, ``reply_count``, ``quote_count``,
  ``bookmark_count``, ``impression_count``;
* ``non_public_metrics`` (user context only, posts created in the last 30 days, the account's
  own): ``url_link_clicks``, ``user_profile_clicks``, ``impression_count``; asking for them with
  an older post in the same call fails the whole call, so older posts are read apart;
* a post that no longer exists is left out of ``data`` and listed in ``errors`` with its
  ``resource_id`` (``Not Found Error`` / ``Authorization Error`` for a protected or suspended
  account's post).

Each post read is billed (pay-per-use, "Posts: Read", $0.005 per resource: the descriptor's
``prices.read_post``), once per UTC day however often it is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from clarion.platforms.metrics import (
    CountsOutcome,
    CountsRead,
    PostCounts,
    Target,
    counts_of,
)
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.platforms.x import _client as xapi
from clarion.platforms.x import _oauth2
from clarion.secrets import redact

if TYPE_CHECKING:
    from clarion.platforms.x.adapter import XAdapter

#: X gives the non-public counts for posts created within this time.
PRIVATE_FOR = dt.timedelta(days=30)
#: Read as a little less than 30 days: a post turning 30 during the call must not fail it.
_MARGIN = dt.timedelta(hours=1)

PUBLIC = {
    "like_count": "likes",
    "retweet_count": "reposts",
    "reply_count": "replies",
    "quote_count": "quotes",
    "bookmark_count": "bookmarks",
    "impression_count": "impressions",
}
PRIVATE = {"url_link_clicks": "link_clicks", "user_profile_clicks": "profile_clicks"}

OLD_NOTE = (
    "X gives link clicks and profile clicks only for posts younger than 30 days: read the "
    "report within a month of the week to keep them"
)


def read(
    adapter: XAdapter, posts: Sequence[Target], now: dt.datetime | None = None
) -> CountsOutcome:
    """The counts of ``posts`` (at most 100), in one call, or two when some are 30 days old."""
    creds = adapter._credentials()
    if isinstance(creds, _oauth2.KeyProblem):
        return Failed(creds.reason, auth=True) if creds.refused else RetryLater(creds.reason)
    now = now or dt.datetime.now(dt.UTC)
    recent = [p for p in posts if now - p.published_at < PRIVATE_FOR - _MARGIN]
    older = [p for p in posts if p not in recent]
    private = creds.user_auth
    found: list[PostCounts] = []
    gone: list[str] = []
    calls = 0
    client = adapter._client(creds)
    try:
        for batch, with_private in ((recent, private), (older, False)):
            if not batch:
                continue
            calls += 1
            fields = ["public_metrics", "created_at"] + (
                ["non_public_metrics"] if with_private else []
            )
            try:
                answer = client.get_tweets(
                    [p.post_id for p in batch], tweet_fields=fields, user_auth=creds.user_auth
                )
            except Exception as exc:
                return _refused(exc)
            got, lost = _read(answer, [p.post_id for p in batch])
            found += got
            gone += lost
    finally:
        client.session.close()
    notes = (OLD_NOTE,) if older or not private else ()
    return CountsRead(tuple(found), tuple(gone), calls=calls, notes=notes)


def _read(answer: Any, asked: list[str]) -> tuple[list[PostCounts], list[str]]:
    data = answer.get("data") if isinstance(answer, dict) else None
    found: list[PostCounts] = []
    seen: set[str] = set()
    for tweet in data or []:
        if not isinstance(tweet, dict) or str(tweet.get("id")) not in asked:
            continue
        counts = counts_of(tweet.get("public_metrics") or {}, PUBLIC)
        counts.update(counts_of(tweet.get("non_public_metrics") or {}, PRIVATE))
        seen.add(str(tweet["id"]))
        found.append(PostCounts(str(tweet["id"]), counts))
    errors = answer.get("errors") if isinstance(answer, dict) else None
    missing = {
        str(e.get("resource_id") or e.get("value"))
        for e in errors or []
        if isinstance(e, dict) and e.get("resource_type", "tweet") == "tweet"
    }
    return found, [i for i in asked if i not in seen and i in missing]


def _refused(exc: BaseException) -> CountsOutcome:
    from tweepy.errors import TooManyRequests

    if isinstance(exc, TooManyRequests):
        return xapi.rate_limited(exc, "while reading counts")
    code = xapi.status_code(exc)
    words = redact(xapi.x_words(exc) if code is not None else f"{type(exc).__name__}: {exc}")
    if code in (401, 403):
        return Failed(
            f"X refused to give the counts ({words})", auth=code == 401 or xapi.is_auth_problem(exc)
        )
    if code is None or code >= 500:
        return RetryLater(f"X did not answer: {words}")
    return Failed(f"X refused to give the counts ({words})")
