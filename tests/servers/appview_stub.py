"""A stub Bluesky AppView answering ``app.bsky.feed.getPosts`` only, with counts a test sets.

For the report's benchmark and fault tests (the real AppView: :mod:`tests.servers.appview`). It
runs in a thread of the test process on 127.0.0.1 (:class:`AppviewStub`, a context manager) and
answers as the lexicons say (bluesky-social/atproto ``lexicons/app/bsky/feed/getPosts.json``:
``uris``, an array of at-uri strings, at most 25, required; output ``{"posts": [postView]}``;
``lexicons/app/bsky/feed/defs.json#postView``: ``uri``, ``cid``, ``author``, ``record``,
``indexedAt`` required, the counts optional integers), as the real AppView does:

* a post whose counts were set (:meth:`AppviewStub.set`), or any other ``at://`` URI when
  ``default`` counts are given, is answered; every other URI is left out of ``posts`` (gone);
* more than 25 ``uris``, none, or one that is no at-uri: 400 ``InvalidRequest``;
* each answer waits ``latency`` seconds first (the handler threads run side by side, so calls
  made at once overlap as on a real server);
* :meth:`AppviewStub.rate_limit`: the next ``times`` calls answer 429 ``RateLimitExceeded``
  with ``ratelimit-reset`` (epoch seconds), as Bluesky's services write it.

Every call's URIs are kept in :attr:`AppviewStub.calls` (batching and parallelism can be read
from them, with the moments each started and ended).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.net import Serving

GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
MAX_URIS = 25
#: Stub name -> postView field.
FIELDS = {
    "likes": "likeCount",
    "reposts": "repostCount",
    "replies": "replyCount",
    "quotes": "quoteCount",
    "bookmarks": "bookmarkCount",
}


@dataclass
class Call:
    uris: list[str]
    started: float
    ended: float = 0.0
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        stub: AppviewStub = self.server.stub
        path, _, query = self.path.partition("?")
        if path != GET_POSTS:
            self.answer(404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
            return
        uris = [v for k, v in urllib.parse.parse_qsl(query) if k == "uris"]
        call = Call(uris, time.monotonic())
        with stub.lock:
            stub.calls.append(call)
        if stub.latency:
            time.sleep(stub.latency)
        status, body, headers = stub.answer(uris)
        call.status, call.ended = status, time.monotonic()
        self.answer(status, body, headers)

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class AppviewStub:
    """``with AppviewStub(latency=0.05) as stub:`` ... ``stub.url`` is the AppView's address."""

    def __init__(self, latency: float = 0.0, default: dict[str, int] | None = None) -> None:
        #: Seconds each answer waits before it is given.
        self.latency = latency
        #: Counts for any at:// URI not set (None: such URIs are gone).
        self.default = default
        self.counts: dict[str, dict[str, int]] = {}
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._limited: list[int] = []  # resets of the coming 429s
        self._serving = Serving(_Handler, stub=self)
        self.url = self._serving.url

    def __enter__(self) -> AppviewStub:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()

    def set(self, uri: str, **counts: int) -> None:
        """The counts of ``uri`` (likes=, reposts=, replies=, quotes=, bookmarks=)."""
        unknown = set(counts) - set(FIELDS)
        if unknown:
            raise ValueError(f"no such count: {sorted(unknown)}")
        with self.lock:
            self.counts[uri] = dict(counts)

    def forget(self, uri: str) -> None:
        """``uri`` is gone from now on (also when ``default`` counts are given)."""
        with self.lock:
            self.counts[uri] = {"gone": 1}

    def rate_limit(self, times: int = 1, reset_in_s: int = 60) -> None:
        with self.lock:
            self._limited += [int(time.time()) + reset_in_s] * times

    def answer(self, uris: list[str]) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            if self._limited:
                reset = self._limited.pop(0)
                return (
                    429,
                    {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                    {
                        "ratelimit-limit": "3000",
                        "ratelimit-remaining": "0",
                        "ratelimit-reset": str(reset),
                        "ratelimit-policy": "3000;w=300",
                    },
                )
            bad = _invalid(uris)
            if bad:
                return 400, {"error": "InvalidRequest", "message": bad}, {}
            posts = []
            for uri in dict.fromkeys(uris):
                counts = self.counts.get(uri, self.default)
                if counts is None or "gone" in counts:
                    continue
                posts.append(post_view(uri, counts))
        return 200, {"posts": posts}, {}


def _invalid(uris: list[str]) -> str | None:
    if not uris:
        return 'Error: Params must have the property "uris"'
    if len(uris) > MAX_URIS:
        return f"Error: uris must not have more than {MAX_URIS} elements"
    for i, uri in enumerate(uris):
        if not uri.startswith("at://") or uri.count("/") < 4:
            return f"Error: uris/{i} must be a valid at-uri"
    return None


def post_view(uri: str, counts: dict[str, int]) -> dict[str, Any]:
    """A postView (defs.json) for ``uri`` with ``counts`` (stub names)."""
    did = uri.removeprefix("at://").split("/", 1)[0]
    view: dict[str, Any] = {
        "uri": uri,
        "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
        "author": {"did": did, "handle": "someone.test", "labels": []},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "a post",
            "createdAt": "2026-12-01T09:00:00.000Z",
        },
        "indexedAt": "2026-12-01T09:00:00.000Z",
        "labels": [],
    }
    for name, value in counts.items():
        view[FIELDS[name]] = value
    return view
