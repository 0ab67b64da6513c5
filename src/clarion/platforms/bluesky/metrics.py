"""Bluesky's counts of posts: ``app.bsky.feed.getPosts`` on an AppView.

A PDS keeps an account's own records only; who liked or reposted a post is counted by an
AppView, which indexes the whole network. ``CLARION_BLUESKY_APPVIEW`` names it (default
``https://public.api.bsky.app``, Bluesky's public, cached AppView, which takes no
authentication: docs.bsky.app, "Rate Limits", *Bluesky AppView Limits*). When it names the
account's own service (``CLARION_BLUESKY_SERVICE``: its PDS, or bsky.social) the call is made
with the account's session instead, and the PDS passes it on to the AppView it is set up with.

The request and answer (lexicons in bluesky-social/atproto):

* ``lexicons/app/bsky/feed/getPosts.json``: a query, ``uris`` an array of at-uri strings with
  ``maxLength: 25``; output ``{"posts": [postView, ...]}``;
* ``lexicons/app/bsky/feed/defs.json#postView``: ``uri``, ``cid``, ... and the optional
  integers ``replyCount``, ``repostCount``, ``likeCount``, ``quoteCount`` and (newer lexicons)
  ``bookmarkCount``. Bluesky counts no views.

A post the AppView does not return is one it no longer shows: deleted, taken down, or its
account gone or deactivated (it leaves such posts out rather than answering an error), so it is
``gone``. The SDK is imported only when counts are read.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from clarion.platforms import transport
from clarion.platforms.bluesky._rules import BOOKMARKS, Bluesky
from clarion.platforms.bluesky._xrpc import api_error, describe, strip_types
from clarion.platforms.metrics import (
    LIKES,
    QUOTES,
    REPLIES,
    REPOSTS,
    CountsOutcome,
    CountsRead,
    PostCounts,
    Target,
    counts_of,
)
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.secrets import redact
from clarion.settings import Environment, SettingsError
from clarion.settings.environment import BLUESKY_APPVIEW, DEFAULT_BLUESKY_APPVIEW

__all__ = ["FIELDS", "GET_POSTS", "Query", "counts", "public_query", "read", "refused"]

GET_POSTS = "app.bsky.feed.getPosts"

#: postView's field -> metric name (the descriptor's ``metrics``: :mod:`._rules`).
FIELDS = {
    "likeCount": LIKES,
    "repostCount": REPOSTS,
    "replyCount": REPLIES,
    "quoteCount": QUOTES,
    "bookmarkCount": BOOKMARKS,
}

#: One getPosts call: the URIs -> the answer's JSON (``{"posts": [...]}``).
Query = Callable[[list[str]], Any]


def counts(
    env: Environment,
    service: str,
    timeout_s: float,
    posts: Sequence[Target],
    *,
    session: Callable[..., Any],
) -> CountsOutcome:
    """The counts of ``posts`` from the AppView the environment names: without a session, unless
    it is the account's own ``service``; then through ``session(nsid, **params)`` (the adapter's
    call with its session, which logs in first)."""
    try:
        appview = env.bluesky_appview
    except SettingsError as exc:
        return Failed(str(exc))
    where = appview.split("://", 1)[-1]
    if appview != service.rstrip("/"):
        found = read(public_query(appview, timeout_s), posts, where, session=False)
    else:
        found = read(lambda uris: session(GET_POSTS, uris=uris), posts, where, session=True)
    if isinstance(found, CountsRead) and appview != DEFAULT_BLUESKY_APPVIEW:
        said = f"Bluesky's counts were read from the AppView at {where} ({BLUESKY_APPVIEW})"
        found = dataclasses.replace(found, notes=(*found.notes, said))
    return found


@functools.lru_cache(maxsize=8)
def public_query(appview: str, timeout_s: float) -> Query:
    """getPosts on ``appview`` without a session, with the SDK's client (its request, the
    adapter's timeout); one client per AppView and timeout, kept for its connections (httpx's
    client may be shared by threads)."""
    import httpx

    xrpc_request = importlib.import_module("atproto_client.request").Request
    client = importlib.import_module("atproto_client").Client(
        appview, request=xrpc_request(timeout=httpx.Timeout(timeout_s))
    )
    dot_dict = importlib.import_module("atproto_client.models.dot_dict").DotDict

    def query(uris: list[str]) -> Any:
        answer = client.invoke_query(GET_POSTS, params=dot_dict({"uris": uris}))
        return strip_types(answer.content)

    return query


def read(query: Query, posts: Sequence[Target], where: str, *, session: bool) -> CountsOutcome:
    """The counts of ``posts`` (any number: 25 a call), asked with ``query``. ``where`` names the
    AppView in messages; ``session``: the calls carry the account's session (a refusal then is
    of its credentials)."""
    uris = list(dict.fromkeys(p.post_id for p in posts))
    asked = [u for u in uris if u.startswith("at://")]
    found: list[PostCounts] = []
    gone: list[str] = []
    calls = 0
    batch = Bluesky.metrics_batch
    for start in range(0, len(asked), batch):
        chunk = asked[start : start + batch]
        calls += 1
        try:
            answer = query(chunk)
        except Exception as exc:
            stopped = getattr(exc, "outcome", None)  # the adapter's: it could not log in
            if isinstance(stopped, Failed):
                return stopped
            return refused(exc, where, session=session)
        views = answer.get("posts") if isinstance(answer, dict) else None
        if not isinstance(views, list):
            return Failed(f"Bluesky's AppView ({where}) answered getPosts without its posts")
        by_uri = {v.get("uri"): v for v in views if isinstance(v, dict)}
        for uri in chunk:
            view = by_uri.get(uri)
            if view is None:
                gone.append(uri)
            else:
                found.append(PostCounts(uri, counts_of(view, FIELDS)))
    notes: tuple[str, ...] = ()
    odd = [u for u in uris if u not in asked]
    if odd:
        notes = (f"{len(odd)} post id(s) are not at:// URIs and were not asked for: {odd[0]}",)
    return CountsRead(tuple(found), tuple(gone), calls, notes)


def refused(exc: BaseException, where: str, *, session: bool) -> CountsOutcome:
    """A failed getPosts: a rate limit or server trouble -> try again later; else Failed."""
    err = api_error(exc)
    label = f"Bluesky's AppView ({where})"
    if err is None:
        words = redact(describe(exc))
        if transport.never_sent(exc):
            return transport.unreachable(label, words)
        return RetryLater(f"no answer from {label}: {words}", before_send=False)
    words = redact(err.words())
    if err.status == 429 or err.error == "RateLimitExceeded":
        return transport.rate_limited(label, transport.reset_time(err.headers), detail=words)
    if err.status in (401, 403) or err.error in ("AuthenticationRequired", "ExpiredToken"):
        if session:
            return Failed(f"Bluesky refused the credentials: {words}", auth=True)
        return Failed(f"{label} refused to give counts without logging in: {words}")
    if err.status is not None and err.status >= 500:
        return RetryLater(f"{label} could not answer: {words}", before_send=False)
    return Failed(f"{label} refused to give the counts: {words}")
