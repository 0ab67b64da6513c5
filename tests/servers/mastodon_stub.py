"""A stub of the Mastodon API that keeps ``Idempotency-Key`` as Mastodon does, for the fault tests
of the Mastodon adapter over real HTTP (the real server's normal answers are tested on snac2).

It runs in a thread of the test process (:class:`MastodonStub`, a context manager), on 127.0.0.1,
so it outlives the ``clarion`` subprocesses the tests start and kill. It implements what the
adapter and Mastodon.py use, with the shapes a real Mastodon 4.6 answered (Mastodon.py's recorded
cassettes, ``../shared/fixtures/recorded/mastodon``):

* ``POST /api/v1/statuses`` (form or JSON): a repeat with the same ``Idempotency-Key`` for the
  same account, less than :attr:`MastodonStub.window_s` after the status it made, answers that
  status and makes none (``PostStatusService``: ``redis.setex(..., 3600, status.id)``);
* ``POST /api/v2/media`` (202, ``url`` null until processed) and ``GET /api/v1/media/:id``;
* ``GET /api/v1/accounts/verify_credentials``, ``GET /api/v1/accounts/:id/statuses`` (newest
  first, ``limit`` at most 40, ``max_id``), ``GET /api/v1/statuses/:id/source``;
* ``GET /api/v1/instance`` and ``/api/v2/instance`` (version 4.3.0, the limits, ``source_url``);
* counts, for ``clarion report``: ``GET /api/v1/statuses/:id`` and ``GET /api/v1/statuses?id[]=..``
  (Mastodon 4.3: the statuses that exist, in the order asked, at most 20 ids or 422; answered 404
  when the stub is made with ``batch=False``, as Mastodon before 4.3 and snac do). A status's
  ``favourites_count``, ``reblogs_count``, ``replies_count`` and ``quotes_count`` (Mastodon 4.5;
  left out with ``quotes=False``) are set with :meth:`MastodonStub.set_counts`;
  :meth:`MastodonStub.delete` makes one gone; :meth:`MastodonStub.add_status` makes one without a
  request. ``latency`` (seconds) delays every answer, for benchmarks.

Every answer carries ``X-RateLimit-*`` headers (the reset as an ISO 8601 instant, as Mastodon
writes it). The stub's clock (:meth:`MastodonStub.now`) can be moved on (:meth:`advance`), so the
key's hour can pass without waiting. Faults, per endpoint (``"POST /api/v1/statuses"``,
``"POST /api/v2/media"``, ``"GET /api/v1/accounts/:id/statuses"``, ``"GET /api/v1/statuses"``,
``"GET /api/v1/statuses/:id"``), each for the next ``times`` requests there
(:meth:`MastodonStub.fault`): ``error_after_create`` (the request takes effect, then 500),
``rate_limit`` (429 with ``Retry-After: retry_after`` if given, and ``X-RateLimit-Reset``
``reset_in`` s from now if given), ``unauthorized`` (401, the token refused), ``slow`` (takes
effect, answers ``delay`` s later), ``drop_after`` (takes effect, the connection closes without an
answer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.parser
import email.policy
import html
import itertools
import json
import re
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.net import Serving

TOKEN = "stub-mastodon-token-0123456789"
ACCOUNT_ID = "117020565966271181"
FAULTS = frozenset({"error_after_create", "rate_limit", "unauthorized", "slow", "drop_after"})
_STATUSES = re.compile(r"^/api/v1/accounts/(\d+)/statuses$")
_STATUS = re.compile(r"^/api/v1/statuses/\d+$")
#: Most ids one ``GET /api/v1/statuses`` takes (``Api::BaseController::DEFAULT_STATUSES_LIMIT``).
MANY_LIMIT = 20
#: The counts a status shows, as :meth:`MastodonStub.set_counts` names them.
COUNTS = ("favourites", "reblogs", "replies", "quotes")
_ONE = re.compile(r"^/api/v1/(statuses|media)/(\d+)(/source)?$")
_ENTITY = re.compile(
    r"(?P<link>https?://[^\s<>]+[^\s<>.,;:!?)])|(?<![\w/])#(?P<tag>\w+)"
    r"|(?<![\w/])@(?P<user>\w+)(?:@[\w.-]+)?"
)
INSTANCE_LIMITS = {
    "statuses": {"max_characters": 500, "max_media_attachments": 4},
    "media_attachments": {
        "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
        "image_size_limit": 16777216,
        "description_limit": 1500,
    },
}


def iso(instant: float) -> str:
    when = dt.datetime.fromtimestamp(instant, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def content_html(text: str) -> str:
    """A status's text as Mastodon renders it: paragraphs, line breaks, escaped text; links,
    hashtags and mentions wrapped (a remote mention shows as ``@user``)."""

    def wrap(m: re.Match[str]) -> str:
        if m.group("link"):
            scheme, _, rest = m.group("link").partition("://")
            return (
                f'<a href="{m.group("link")}" rel="nofollow noopener" target="_blank"><span '
                f'class="invisible">{scheme}://</span><span class="">{rest}</span></a>'
            )
        if m.group("tag"):
            tag = m.group("tag")
            return (
                f'<a href="/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'
            )
        user = m.group("user")
        return f'<span class="h-card"><a class="u-url mention">@<span>{user}</span></a></span>'

    def inline(line: str) -> str:
        return _ENTITY.sub(wrap, html.escape(line, quote=False))

    paragraphs = re.split(r"\n{2,}", text.replace("\r\n", "\n").strip())
    return "".join(f"<p>{'<br />'.join(map(inline, p.split(chr(10))))}</p>" for p in paragraphs)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]] = field(default_factory=dict)
    fault: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {_STATUSES.sub('/api/v1/accounts/:id/statuses', self.path)}"

    @property
    def route(self) -> str:
        """The endpoint with a status id as ``:id`` (``GET /api/v1/statuses/:id``)."""
        return f"{self.method} {_STATUS.sub('/api/v1/statuses/:id', self.path)}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: MastodonStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.stub._handle(self)

    def do_POST(self) -> None:
        self.server.stub._handle(self)

    def answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        with contextlib.suppress(ConnectionError):  # the client was killed while it waited
            self.end_headers()
            self.wfile.write(data)

    def drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)


class MastodonStub:
    """A stub Mastodon server (see the module's doc)."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        window_s: float = 3600.0,
        source_url: str = "https://github.com/mastodon/mastodon",
        batch: bool = True,
        quotes: bool = True,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        #: Whether ``GET /api/v1/statuses?id[]=`` exists (Mastodon >= 4.3); else it answers 404.
        self.batch = batch
        #: Whether statuses show ``quotes_count`` (Mastodon >= 4.5).
        self.quotes = quotes
        #: Seconds every answer waits (a far server, for benchmarks).
        self.latency = latency
        #: How long a status's Idempotency-Key is kept (Mastodon: an hour).
        self.window_s = window_s
        self.source_url = source_url
        #: The account, as verify_credentials answers it (the recorded shape, trimmed).
        self.account = dict(
            id=ACCOUNT_ID, username="clarion", acct="clarion", display_name="Clarion test",
            locked=False, bot=False, created_at="2026-08-01T00:00:00.000Z", note="",
            url="http://127.0.0.1/@clarion",
        )  # fmt: skip
        #: Statuses made, oldest first.
        self.statuses: list[dict[str, Any]] = []
        #: (account id, Idempotency-Key) -> (status id, when the status was made).
        self.keys: dict[tuple[str, str], tuple[str, float]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.offset_s = 0.0
        self._faults: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ids = itertools.count(117020585924712638)
        self._serving = Serving(_Handler, _Server, stub=self)

    # --- control -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._serving.url

    def __enter__(self) -> MastodonStub:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()

    def now(self) -> float:
        """The stub's clock (epoch seconds): the real one, moved on by :meth:`advance`."""
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds

    def fault(self, endpoint: str, kind: str, times: int = 1, **params: Any) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults[endpoint].extend({"kind": kind, **params} for _ in range(times))

    def texts(self) -> list[str]:
        with self._lock:
            return [s["text"] for s in self.statuses]

    def posts_with_key(self) -> dict[str, int]:
        """Idempotency-Key -> how many statuses were made with it."""
        with self._lock:
            counts: dict[str, int] = defaultdict(int)
            for s in self.statuses:
                counts[s["idempotency_key"] or ""] += 1
            return dict(counts)

    def requests(self, endpoint: str) -> list[Received]:
        """Requests to ``endpoint``, written with its ids or with ``:id``."""
        with self._lock:
            return [r for r in self.received if endpoint in (r.endpoint, r.route)]

    def count_reads(self) -> int:
        """Requests made for counts (``GET /api/v1/statuses`` and ``/api/v1/statuses/:id``)."""
        return len(self.requests("GET /api/v1/statuses")) + len(
            self.requests("GET /api/v1/statuses/:id")
        )

    def add_status(self, text: str, **counts: int) -> str:
        """A status made as if posted (no request recorded), with ``counts``; its id."""
        with self._lock:
            status_id = str(next(self._ids))
            self.statuses.append(
                {
                    "id": status_id, "created": self.now(), "text": text, "in_reply_to_id": None,
                    "visibility": "public", "language": None, "media": [],
                    "idempotency_key": None,
                }
            )  # fmt: skip
        self.set_counts(status_id, **counts)
        return status_id

    def set_counts(self, status_id: str, **counts: int) -> None:
        """Set a status's ``favourites``, ``reblogs``, ``replies`` or ``quotes`` count."""
        unknown = set(counts) - set(COUNTS)
        if unknown:
            raise ValueError(f"unknown counts {sorted(unknown)}")
        with self._lock:
            status = next(s for s in self.statuses if s["id"] == status_id)
            status.setdefault("counts", {}).update(counts)

    def delete(self, status_id: str) -> None:
        """The status is gone (deleted, or removed by a moderator)."""
        with self._lock:
            self.statuses = [s for s in self.statuses if s["id"] != status_id]

    # --- serving -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        reset = (int(self.now()) // 300 + 1) * 300
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "299",
            "X-RateLimit-Reset": iso(reset),
        }

    def _handle(self, h: _Handler) -> None:
        url = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        path = url.path.rstrip("/") or "/"  # Mastodon.py asks for /api/v2/instance/
        rec = Received(h.command, path, parse_qs(url.query), dict(h.headers.items()))
        rec.form = self._form(h.headers.get("Content-Type") or "", raw)
        with self._lock:
            self.received.append(rec)
            queue = self._faults.get(rec.endpoint) or self._faults.get(rec.route)
            fault = queue.popleft() if queue else None
        rec.fault = fault["kind"] if fault else None
        if self.latency:
            time.sleep(self.latency)  # a far server, on purpose
        headers = self._headers()
        if h.headers.get("Authorization") != f"Bearer {self.token}" or (
            fault and fault["kind"] == "unauthorized"
        ):
            h.answer(401, {"error": "The access token is invalid"}, headers)
            return
        if fault and fault["kind"] == "rate_limit":
            headers["X-RateLimit-Remaining"] = "0"
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            if "reset_in" in fault:
                headers["X-RateLimit-Reset"] = iso(self.now() + float(fault["reset_in"]))
            h.answer(429, {"error": "Too many requests"}, headers)
            return
        status, body = self._route(rec)
        if fault and fault["kind"] == "error_after_create":
            status, body = 500, {"error": "We're sorry, but something went wrong on our end."}
        elif fault and fault["kind"] == "drop_after":
            h.drop()
            return
        elif fault and fault["kind"] == "slow":
            time.sleep(float(fault["delay"]))  # the answer is late on purpose
        h.answer(status, body, headers)

    @staticmethod
    def _form(kind: str, raw: bytes) -> dict[str, list[str]]:
        if kind.startswith("application/json"):
            data = json.loads(raw or b"{}")
            return {k: v if isinstance(v, list) else [str(v)] for k, v in data.items()}
        if kind.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + raw
            )
            form: dict[str, list[str]] = {}
            for part in message.iter_parts():
                value = (
                    f"<file {part.get_filename()}>" if part.get_filename() else part.get_content()
                )
                form.setdefault(
                    str(part.get_param("name", header="content-disposition")), []
                ).append(str(value))
            return form
        return parse_qs(raw.decode(), keep_blank_values=True)

    def _route(self, rec: Received) -> tuple[int, Any]:
        path, method = rec.path, rec.method
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return 200, self._account()
        if method == "GET" and path in ("/api/v1/instance", "/api/v2/instance"):
            return 200, self._instance(v2=path.startswith("/api/v2"))
        if method == "POST" and path == "/api/v2/media":
            return self._new_media(rec)
        if method == "POST" and path == "/api/v1/statuses":
            return self._post_status(rec)
        if method == "GET" and path == "/api/v1/statuses" and self.batch:
            return self._many(rec)
        m = _STATUSES.match(path)
        if method == "GET" and m:
            return self._list(m.group(1), rec)
        m = _ONE.match(path)
        if method == "GET" and m:
            return self._one(m.group(1), m.group(2), bool(m.group(3)))
        return 404, {"error": "Record not found"}

    def _account(self) -> dict[str, Any]:
        with self._lock:
            return {**self.account, "statuses_count": len(self.statuses)}

    def _instance(self, *, v2: bool) -> dict[str, Any]:
        config = {**INSTANCE_LIMITS}
        config["statuses"] = {**INSTANCE_LIMITS["statuses"], "characters_reserved_per_url": 23}
        found: dict[str, Any] = {"title": "Clarion's Mastodon stub", "version": "4.3.0"}
        if v2:
            found.update(domain="127.0.0.1", source_url=self.source_url, configuration=config)
        else:
            found.update(uri="127.0.0.1", configuration=config)
        return found

    def _new_media(self, rec: Received) -> tuple[int, Any]:
        media_id = str(next(self._ids))
        entry = {
            "id": media_id,
            "type": "image",
            "url": None,
            "preview_url": None,
            "description": (rec.form.get("description") or [None])[0],
            "meta": {},
            "blurhash": None,
        }
        with self._lock:
            self.media[media_id] = entry
        return 202, entry

    def _post_status(self, rec: Received) -> tuple[int, Any]:
        key = rec.headers.get("Idempotency-Key")
        now = self.now()
        with self._lock:
            kept = self.keys.get((ACCOUNT_ID, key)) if key else None
            if kept and now - kept[1] < self.window_s:
                return 200, self._shown(next(s for s in self.statuses if s["id"] == kept[0]))
            text = (rec.form.get("status") or [""])[0]
            if not text.strip():
                return 422, {"error": "Validation failed: Text can't be blank"}
            ids = rec.form.get("media_ids[]") or rec.form.get("media_ids") or []
            missing = [i for i in ids if i not in self.media]
            if missing:
                return 422, {"error": "Validation failed: media not found"}
            status_id = str(next(self._ids))
            status = {
                "id": status_id,
                "created": now,
                "text": text,
                "in_reply_to_id": (rec.form.get("in_reply_to_id") or [None])[0],
                "visibility": (rec.form.get("visibility") or ["public"])[0],
                "language": (rec.form.get("language") or [None])[0],
                "media": [self.media[i] for i in ids],
                "idempotency_key": key,
            }
            self.statuses.append(status)
            if key:
                self.keys[(ACCOUNT_ID, key)] = (status_id, now)
            return 200, self._shown(status)

    def _shown(self, s: dict[str, Any]) -> dict[str, Any]:
        """A status as Mastodon 4.6 answers it (the recorded shape, trimmed)."""
        sid, reply = s["id"], s["in_reply_to_id"]
        return dict(
            id=sid, created_at=iso(s["created"]), in_reply_to_id=reply,
            in_reply_to_account_id=ACCOUNT_ID if reply else None, sensitive=False,
            spoiler_text="", visibility=s["visibility"], language=s["language"],
            uri=f"{self.url}/users/clarion/statuses/{sid}", url=f"{self.url}/@clarion/{sid}",
            **self._counts(s), edited_at=None,
            content=content_html(s["text"]), reblog=None,
            application={"name": "Clarion", "website": None}, account=self.account,
            media_attachments=[{**m, "url": f"{self.url}/m/{m['id']}"} for m in s["media"]],
            mentions=[], tags=[], emojis=[], card=None, poll=None,
        )  # fmt: skip

    def _counts(self, s: dict[str, Any]) -> dict[str, int]:
        names = COUNTS if self.quotes else COUNTS[:3]
        kept = s.get("counts", {})
        return {f"{name}_count": int(kept.get(name, 0)) for name in names}

    def _many(self, rec: Received) -> tuple[int, Any]:
        """``GET /api/v1/statuses?id[]=..``: the statuses that exist, in the order asked."""
        ids = list(dict.fromkeys(rec.query.get("id[]") or []))
        if len(ids) > MANY_LIMIT:
            return 422, {"error": "Validation failed"}
        with self._lock:
            by_id = {s["id"]: s for s in self.statuses}
            return 200, [self._shown(by_id[i]) for i in ids if i in by_id]

    def _list(self, account_id: str, rec: Received) -> tuple[int, Any]:
        if account_id != ACCOUNT_ID:
            return 404, {"error": "Record not found"}
        limit = min(40, int((rec.query.get("limit") or ["20"])[0]))
        max_id = (rec.query.get("max_id") or [None])[0]
        with self._lock:
            newest = [
                s for s in reversed(self.statuses) if not max_id or int(s["id"]) < int(max_id)
            ]
            page = [self._shown(s) for s in newest[:limit]]
        return 200, page

    def _one(self, kind: str, item_id: str, source: bool) -> tuple[int, Any]:
        with self._lock:
            if kind == "media":
                if item_id not in self.media:
                    return 404, {"error": "Record not found"}
                self.media[item_id]["url"] = f"{self.url}/m/{item_id}"  # processed by now
                return 200, self.media[item_id]
            found = [s for s in self.statuses if s["id"] == item_id]
        if not found:
            return 404, {"error": "Record not found"}
        if source:
            return 200, {"id": item_id, "text": found[0]["text"], "spoiler_text": ""}
        return 200, self._shown(found[0])
