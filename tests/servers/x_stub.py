"""A stub of X API v2, Clarion's own, for end-to-end tests of the X adapter over real HTTP.

It runs in a thread of the test process (:class:`XStub`, a context manager), bound to 127.0.0.1 on
a free port, and implements what the adapter uses:

* ``POST /2/tweets`` (answers 201 with X's documented body; refuses a text equal to an earlier
  post's with X's 403 "duplicate content", as X does);
* ``POST /2/media/upload`` (multipart ``media`` + ``media_category``; X's documented answer) and
  ``POST /2/media/metadata`` (alt text);
* ``GET /2/tweets`` (lookup by ids, at most 100: ``public_metrics`` and, for posts younger than
  30 days, ``non_public_metrics``, from counts a test sets with :meth:`XStub.set_counts`; a post
  it does not hold, or one :meth:`XStub.delete` removed, listed in ``errors`` as X does);
* ``GET /2/users/me`` and ``GET /2/users/:id/tweets`` (newest first, ``max_results``; links in the
  returned text shortened to ``https://t.co/...`` with ``entities.urls``, a ``t.co`` link appended
  for images, ``&<>`` escaped, as X does).

Response bodies are built from X's documented answers, the project's own fixtures in
``tests/fixtures/x`` (``tests/fixtures/SOURCES.md`` says where each comes from), read at start; it
needs nothing beside the checkout. Every request is checked for its credentials (an OAuth 1.0a
HMAC-SHA1 signature verified against the consumer and token secrets, or the Bearer token) and
recorded (:attr:`XStub.received`: method, path, query, headers, JSON body or multipart fields and
files).

Faults are scripted per endpoint (``"POST /2/tweets"``, ``"POST /2/media/upload"``,
``"POST /2/media/metadata"``, ``"GET /2/users/me"``, ``"GET /2/users/:id/tweets"``) with
:meth:`XStub.fault`; each applies to the next request there, in order:

``rate_limit`` (429 with ``x-rate-limit-reset``: ``reset``, epoch seconds), ``error`` (``status``
500 or 503, X's body; with ``process=True`` the request takes effect first), ``slow`` (the request
takes effect, the answer comes ``delay`` seconds later), ``drop_after`` (takes effect, then the
connection is closed without an answer), ``drop_before`` (closed before the body is read; nothing
happens), ``duplicate`` (403 duplicate content), ``revoked`` (401) and ``stale`` (the timeline
leaves out the newest ``hide`` posts, as a lagging timeline would).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import html
import itertools
import json
import re
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from clarion.platforms import _urls
from tests.net import Serving
from tests.servers.x_oauth2 import OAuth2Server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x"

FAULTS = frozenset(
    {
        "rate_limit",
        "error",
        "slow",
        "drop_after",
        "drop_before",
        "duplicate",
        "revoked",
        "stale",
    }
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
_TIMELINE = re.compile(r"^/2/users/(\d+)/tweets$")


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """An X API v2 problem body (RFC 7807 shaped, as X answers)."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


@dataclass
class Recorded:
    """The X answers the stub's bodies are built from (X's documented examples)."""

    tweet: dict[str, Any]
    me: dict[str, Any]
    upload: dict[str, Any]

    @classmethod
    def load(cls) -> Recorded:
        return cls(
            tweet=_fixture("create_tweet.json"),
            me=_fixture("users_me.json"),
            upload=_fixture("media_upload.json"),
        )


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    #: Multipart files: field name -> (filename, content type, bytes).
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    #: The fault that answered it, if any.
    fault: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {_TIMELINE.sub('/2/users/:id/tweets', self.path)}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: XStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.stub._handle(self)

    def do_POST(self) -> None:
        self.server.stub._handle(self)

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """Close the connection without a word (RST if unread data is left)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class XStub:
    """A stub X API v2 server (see the module's doc)."""

    def __init__(
        self,
        *,
        api_key: str = "stub-api-key",
        api_secret: str = "stub-api-secret",
        access_token: str = "2244994945-stubaccesstoken",
        access_token_secret: str = "stub-access-token-secret",
        oauth2_token: str = "stub-oauth2-user-token",
        latency: float = 0.0,
    ) -> None:
        #: Seconds every answer waits (the report's benchmark: a platform far away).
        self.latency = latency
        #: Counts a test gave a post: id -> {"public_metrics": {...}, "non_public_metrics": {...}}.
        self.metrics: dict[str, dict[str, dict[str, int]]] = {}
        self.recorded = Recorded.load()
        self.user = dict(self.recorded.me["data"])  # id, name, username as X answered
        self.keys = (api_key, api_secret, access_token, access_token_secret)
        self.oauth2_token = oauth2_token
        #: OAuth 2.0 tokens that expire and renew (tests/servers/x_oauth2.py).
        self.oauth2 = OAuth2Server()
        self.received: list[Received] = []
        #: Posts created, oldest first (what the timeline shows, newest first).
        self.tweets: list[dict[str, Any]] = []
        #: Uploaded media: id -> {"category", "filename", "content_type", "data", "alt_text"}.
        self.media: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        first = int(self.recorded.tweet["data"]["id"])
        self._ids = itertools.count(first + 1)
        self._serving = Serving(_Handler, _Server, stub=self)

    # --- control -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._serving.url

    def __enter__(self) -> XStub:
        self._serving.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._serving.close()

    def fault(self, endpoint: str, kind: str, times: int = 1, **options: Any) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with fault ``kind``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {sorted(FAULTS)}")
        with self._lock:
            for _ in range(times):
                self._faults[endpoint].append({"kind": kind, **options})

    def requests(self, endpoint: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if endpoint is None or r.endpoint == endpoint]

    def posts(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.tweets)

    def set_counts(self, post_id: str, **counts: int) -> None:
        """Give a post counts, by X's field names (``like_count=3``, ``url_link_clicks=2``)."""
        private = {"url_link_clicks", "user_profile_clicks"}
        with self._lock:
            held = self.metrics.setdefault(
                post_id,
                {
                    "public_metrics": dict.fromkeys(
                        (
                            "retweet_count",
                            "reply_count",
                            "like_count",
                            "quote_count",
                            "bookmark_count",
                            "impression_count",
                        ),
                        0,
                    ),
                    "non_public_metrics": dict.fromkeys(
                        ("impression_count", "url_link_clicks", "user_profile_clicks"), 0
                    ),
                },
            )
            for name, value in counts.items():
                held["non_public_metrics" if name in private else "public_metrics"][name] = value

    def age(self, post_id: str, days: float) -> None:
        """Make a post look ``days`` old (X gives non-public counts for 30 days only)."""
        when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        with self._lock:
            for t in self.tweets:
                if t["id"] == post_id:
                    t["created_at"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def delete(self, post_id: str) -> None:
        with self._lock:
            self.tweets = [t for t in self.tweets if t["id"] != post_id]

    def env(self) -> dict[str, str]:
        """The environment a ``clarion`` process needs to talk to this stub (OAuth 1.0a)."""
        names = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
        env = {f"CLARION_X_{n}": v for n, v in zip(names, self.keys, strict=True)}
        env["CLARION_X_API_BASE"] = self.url
        return env

    # --- serving -----------------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        if self.latency:
            self._stop.wait(self.latency)
        parts = urlsplit(h.path)
        rec = Received(h.command, parts.path, parse_qs(parts.query), dict(h.headers.items()))
        with self._lock:
            script = self._faults.get(rec.endpoint)
            fault = script.popleft() if script else None
        rec.fault = fault["kind"] if fault else None
        if fault and fault["kind"] == "drop_before":
            with self._lock:
                self.received.append(rec)
            h.drop()
            return
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        if self.oauth2.handles(rec.path):
            with self._lock:
                self.received.append(rec)
            self.oauth2.serve(h, rec.path, rec.query, rec.headers, body, rec.fault)
            return
        self._parse(rec, body)
        with self._lock:
            self.received.append(rec)
        if not self._authorized(h, rec):
            h.answer(401, _problem(401, "Unauthorized", "Unauthorized"))
            return
        kind = fault["kind"] if fault else None
        if kind == "rate_limit":
            reset = str(int(fault["reset"]))  # type: ignore[index]
            headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0"}
            headers["x-rate-limit-reset"] = reset
            h.answer(429, _problem(429, "Too Many Requests", "Too Many Requests"), headers)
            return
        if kind == "revoked":
            h.answer(401, _problem(401, "Unauthorized", "Unauthorized"))
            return
        if kind == "duplicate":
            h.answer(403, _problem(403, "Forbidden", DUPLICATE))
            return
        if kind == "error" and not fault.get("process"):  # type: ignore[union-attr]
            h.answer(*self._server_error(int(fault.get("status", 500))))  # type: ignore[union-attr]
            return
        status, answer = self._serve(rec, fault or {})
        if kind == "error":
            h.answer(*self._server_error(int(fault.get("status", 500))))  # type: ignore[union-attr]
        elif kind == "drop_after":
            h.drop()
        else:
            if kind == "slow":
                self._stop.wait(float(fault["delay"]))  # type: ignore[index]
            with contextlib.suppress(OSError):  # the client may have given up waiting
                h.answer(status, answer)

    @staticmethod
    def _server_error(status: int) -> tuple[int, dict[str, Any]]:
        title = "Service Unavailable" if status == 503 else "Internal Server Error"
        return status, _problem(status, title, title)

    def _parse(self, rec: Received, body: bytes) -> None:
        kind = rec.headers.get("Content-Type", "")
        if kind.startswith("application/json") and body:
            rec.json = json.loads(body)
        elif kind.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                if filename is not None:
                    rec.files[str(name)] = (filename, part.get_content_type(), data)
                else:
                    rec.form[str(name)] = data.decode()

    def _authorized(self, h: _Handler, rec: Received) -> bool:
        auth = rec.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
            return token == self.oauth2_token or self.oauth2.authorized(token)
        if not auth.startswith("OAuth "):
            return False
        from oauthlib.oauth1.rfc5849 import signature, utils

        fields = dict(utils.parse_authorization_header(auth))
        key, secret, token, token_secret = self.keys
        if fields.get("oauth_consumer_key") != key or fields.get("oauth_token") != token:
            return False
        host = h.headers.get("Host", "")
        params = signature.collect_parameters(
            uri_query=urlsplit(h.path).query, headers={"Authorization": auth}
        )
        base = signature.signature_base_string(
            rec.method,
            signature.base_string_uri(f"http://{host}{rec.path}"),
            signature.normalize_parameters(params),
        )
        key_ = f"{utils.escape(secret)}&{utils.escape(token_secret)}".encode()
        digest = hmac.new(key_, base.encode(), hashlib.sha1).digest()
        expected = base64.b64encode(digest).decode()
        given = utils.unescape(fields.get("oauth_signature", ""))
        return signature.safe_string_equals(expected, given)

    def _serve(self, rec: Received, fault: dict[str, Any]) -> tuple[int, Any]:
        if rec.endpoint == "POST /2/tweets":
            return self._create(rec.json or {})
        if rec.endpoint == "POST /2/media/upload":
            return self._upload(rec)
        if rec.endpoint == "POST /2/media/metadata":
            return self._metadata(rec.json or {})
        if rec.endpoint == "GET /2/tweets":
            return self._lookup(rec)
        if rec.endpoint == "GET /2/users/me":
            return 200, {"data": dict(self.user)}
        if rec.endpoint == "GET /2/users/:id/tweets":
            return self._timeline(rec, int(fault.get("hide", 0)))
        return 404, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        text = body.get("text", "")
        with self._lock:
            if any(t["text"] == text for t in self.tweets):
                return 403, _problem(403, "Forbidden", DUPLICATE)
            unknown = [
                m for m in (body.get("media") or {}).get("media_ids", []) if m not in self.media
            ]
            if unknown:
                return 400, {
                    "errors": [{"message": f"Your media IDs are invalid: {unknown}"}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                }
            post_id = str(next(self._ids))
            tweet = {
                "id": post_id,
                "text": text,
                "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "body": copy.deepcopy(body),
            }
            self.tweets.append(tweet)
        answer = copy.deepcopy(self.recorded.tweet)
        answer["data"].update(id=post_id, text=text)
        return 201, answer

    def _upload(self, rec: Received) -> tuple[int, Any]:
        if "media" not in rec.files:
            return 400, _problem(400, "Invalid Request", "media is required")
        filename, content_type, data = rec.files["media"]
        with self._lock:
            media_id = str(next(self._ids))
            self.media[media_id] = {
                "category": rec.form.get("media_category"),
                "filename": filename,
                "content_type": content_type,
                "data": data,
                "alt_text": None,
            }
        answer = copy.deepcopy(self.recorded.upload)
        answer["data"].update(id=media_id, media_key=f"3_{media_id}", size=len(data))
        return 200, answer

    def _metadata(self, body: dict[str, Any]) -> tuple[int, Any]:
        media_id = str(body.get("id"))
        with self._lock:
            if media_id not in self.media:
                return 400, _problem(400, "Invalid Request", f"no media {media_id}")
            alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
            self.media[media_id]["alt_text"] = alt
        return 200, {"data": {"id": media_id, "associated_metadata": body.get("metadata")}}

    def _lookup(self, rec: Received) -> tuple[int, Any]:
        """``GET /2/tweets?ids=...&tweet.fields=...`` as X answers it."""
        ids = [i for i in ",".join(rec.query.get("ids") or []).split(",") if i]
        fields = ",".join(rec.query.get("tweet.fields") or []).split(",")
        if not ids or len(ids) > 100:
            return 400, {
                "errors": [
                    {
                        "parameters": {"ids": [",".join(ids)]},
                        "message": f"The number of values in the `ids` query parameter list "
                        f"[{len(ids)}] is not between 1 and 100",
                    }
                ],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
        with self._lock:
            held = {t["id"]: copy.deepcopy(t) for t in self.tweets}
            metrics = copy.deepcopy(self.metrics)
        month = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        data, errors = [], []
        for i in ids:
            tweet = held.get(i)
            if tweet is None:
                errors.append(
                    {
                        "value": i,
                        "detail": f"Could not find tweet with ids: [{i}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": i,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            created = dt.datetime.strptime(tweet["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
            old = created.replace(tzinfo=dt.UTC) < month
            if "non_public_metrics" in fields and old:
                return 400, _problem(
                    400,
                    "Invalid Request",
                    "Field non_public_metrics is only available for tweets created in the "
                    "last 30 days",
                )
            shown = {"id": i, "text": tweet["text"], "edit_history_tweet_ids": [i]}
            counts = metrics.get(i) or {}
            if "created_at" in fields:
                shown["created_at"] = tweet["created_at"]
            if "public_metrics" in fields:
                shown["public_metrics"] = counts.get("public_metrics") or dict.fromkeys(
                    ("retweet_count", "reply_count", "like_count", "quote_count"), 0
                )
            if "non_public_metrics" in fields:
                shown["non_public_metrics"] = counts.get("non_public_metrics") or {}
            data.append(shown)
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return 200, body

    def _timeline(self, rec: Received, hide: int) -> tuple[int, Any]:
        user_id = _TIMELINE.match(rec.path).group(1)  # type: ignore[union-attr]
        if user_id != self.user["id"]:
            return 404, _problem(
                404, "Not Found Error", f"Could not find user with id: [{user_id}]."
            )
        limit = int((rec.query.get("max_results") or ["10"])[0])
        with self._lock:
            tweets = list(reversed(self.tweets))[hide:]
        page = [self._as_returned(t) for t in tweets[:limit]]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if len(tweets) > limit:
            meta["next_token"] = base64.b32encode(page[-1]["id"].encode()).decode().strip("=")
        return 200, ({"data": page, "meta": meta} if page else {"meta": meta})

    def _as_returned(self, tweet: dict[str, Any]) -> dict[str, Any]:
        """A post as X returns it: links shortened (with entities), a link for the images,
        ``&<>`` escaped, references and attachments listed."""
        body = tweet["body"]
        text, urls, pos, n = "", [], 0, itertools.count(1)
        sent = tweet["text"]
        for start, length in _urls.x_urls(sent):
            if start < pos:
                continue
            text += html.escape(sent[pos:start], quote=False)
            short = f"https://t.co/{tweet['id'][-6:]}{next(n)}"
            written = sent[start : start + length]
            full = written if "://" in written else f"http://{written}"
            urls.append(
                {
                    "start": len(text),
                    "end": len(text) + len(short),
                    "url": short,
                    "expanded_url": full,
                    "display_url": written.split("://")[-1],
                }
            )
            text += short
            pos = start + length
        text += html.escape(sent[pos:], quote=False)
        returned: dict[str, Any] = {
            "id": tweet["id"],
            "edit_history_tweet_ids": [tweet["id"]],
            "created_at": tweet["created_at"],
        }
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if media_ids:
            short = f"https://t.co/{tweet['id'][-6:]}m"
            text += " "
            urls.append(
                {
                    "start": len(text),
                    "end": len(text) + len(short),
                    "url": short,
                    "expanded_url": f"https://x.com/{self.user['username']}/status/"
                    f"{tweet['id']}/photo/1",
                    "display_url": "pic.x.com/stub",
                    "media_key": f"3_{media_ids[0]}",
                }
            )
            text += short
            returned["attachments"] = {"media_keys": [f"3_{m}" for m in media_ids]}
        refs = []
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply:
            refs.append({"type": "replied_to", "id": str(reply)})
        if body.get("quote_tweet_id"):
            refs.append({"type": "quoted", "id": str(body["quote_tweet_id"])})
        if refs:
            returned["referenced_tweets"] = refs
        if urls:
            returned["entities"] = {"urls": urls}
        returned["text"] = text
        return returned
