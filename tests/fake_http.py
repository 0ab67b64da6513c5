"""A fake platform over real HTTP, and the adapter a ``clarion`` subprocess uses to talk to it.

The server (:class:`FakePlatformServer`) runs in a background thread of the test process, bound to
127.0.0.1 on a free port. It records every post it accepts (with its idempotency key, its
Authorization header and the worker that sent it), so tests count what the platform *received*,
not what Clarion believes. Its behaviour is set from Python (:meth:`FakePlatformServer.configure`)
or over HTTP (``POST /control`` with the same fields as JSON):

* ``latency_ms``: how long every request takes;
* ``post``: the answers to the next ``POST /api/v1/statuses`` requests, one step per request
  ("ok" once the script is empty): "ok", "429" (with ``x-rate-limit-reset``: ``reset_at``, epoch
  seconds), "500", "drop" (connection closed without an answer, nothing recorded), "drop-after"
  (recorded, then the connection closed), "duplicate" (422 duplicate content), "revoked" (401 whose
  body repeats the token) and "hang" (recorded, then no answer until :meth:`release`);
* ``lookup``: the same for ``GET /api/v1/statuses/lookup`` (steps "ok", "429", "500", and "hang":
  the answer is decided at once, from what the platform has then, but held back until
  :meth:`release`, as a slow network would).

``GET /posts`` lists what was accepted, ``GET /requests`` every publish request and its answer.

:class:`HttpFakeAdapter` is loaded by the subprocess with
``CLARION_ADAPTERS=*=tests.fake_http:HttpFakeAdapter`` (``PYTHONPATH`` = the project root) and talks
to ``CLARION_FAKE_URL`` with the token in ``CLARION_FAKE_TOKEN``, using only the standard library.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import itertools
import json
import logging
import os
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from clarion import secrets
from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.mastodon import Mastodon
from clarion.platforms.outcomes import (
    Absent,
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from tests.net import Serving

#: A token no generic "looks like a secret" pattern catches: only its registration hides it.
TOKEN = "fk7Qz1-revocable-9c4e2b"

POST_STEPS = frozenset({"ok", "429", "500", "drop", "drop-after", "duplicate", "revoked", "hang"})
LOOKUP_STEPS = frozenset({"ok", "429", "500", "hang"})

log = logging.getLogger("tests.fake_http")


# --- the server ------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many workers connect at once
    fake: FakePlatformServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the client gave up (a read timeout): nothing to do
            self.close_connection = True

    def do_GET(self) -> None:
        fake = self.server.fake
        fake._delay()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/posts":
            self._send(200, fake.posts())
        elif url.path == "/requests":
            self._send(200, fake.requests())
        elif url.path == "/api/v1/statuses/lookup":
            fake._lookup(self, query.get("idempotency_key", [""])[0])
        elif url.path == "/api/v1/accounts/verify_credentials":
            if fake._authorised(self):
                self._send(200, {"acct": "clarion"})
        else:
            self._send(404, {"error": "Record not found"})

    def do_POST(self) -> None:
        fake = self.server.fake
        body = self._body()
        if self.path == "/control":
            fields = json.loads(body or b"{}")
            if fields.pop("release", False):
                fake.release()
            fake.configure(**fields)
            self._send(200, {"ok": True})
            return
        fake._delay()
        if self.path == "/api/v1/statuses":
            fake._publish(self, json.loads(body or b"{}"))
        else:
            self._send(404, {"error": "Record not found"})


class FakePlatformServer:
    """A fake platform API on 127.0.0.1; see the module docstring for what it does."""

    def __init__(self, token: str = TOKEN, latency_ms: float = 0) -> None:
        self.token = token
        self.latency = latency_ms / 1000
        self.reset_at: int | None = None
        self._lock = threading.Lock()
        self._posts: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._post_script: list[str] = []
        self._lookup_script: list[str] = []
        self._hung: list[threading.Event] = []
        self._ids = itertools.count(1000)
        self._serving = Serving(_Handler, _HTTPServer, fake=self)

    @property
    def url(self) -> str:
        return self._serving.url

    def start(self) -> FakePlatformServer:
        self._serving.start()
        return self

    def close(self) -> None:
        self.release()
        self._serving.close()

    def __enter__(self) -> FakePlatformServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- behaviour ---------------------------------------------------------------------------

    def configure(
        self,
        *,
        latency_ms: float | None = None,
        post: Iterable[str] | None = None,
        lookup: Iterable[str] | None = None,
        reset_at: int | None = None,
        token: str | None = None,
    ) -> None:
        """Set the latency, append steps to the publish and look-up scripts, set the 429 reset
        instant (epoch seconds) or the token the platform accepts."""
        with self._lock:
            if latency_ms is not None:
                self.latency = latency_ms / 1000
            for steps, allowed, script in (
                (post, POST_STEPS, self._post_script),
                (lookup, LOOKUP_STEPS, self._lookup_script),
            ):
                for step in steps or ():
                    if step not in allowed:
                        raise ValueError(f"unknown step {step!r}; known: {sorted(allowed)}")
                    script.append(step)
            if reset_at is not None:
                self.reset_at = int(reset_at)
            if token is not None:
                self.token = token

    def release(self, count: int | None = None) -> None:
        """Let the ``count`` longest-hung requests answer (default: all), oldest first."""
        with self._lock:
            n = len(self._hung) if count is None else count
            hung, self._hung = self._hung[:n], self._hung[n:]
        for event in hung:
            event.set()

    @property
    def hanging(self) -> int:
        """How many requests are hung right now."""
        with self._lock:
            return len(self._hung)

    # --- what was received --------------------------------------------------------------------

    def posts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(p) for p in self._posts]

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests]

    def counts(self) -> Counter[str]:
        """Accepted posts per idempotency key."""
        return Counter(p["idempotency_key"] for p in self.posts())

    def attempts(self) -> Counter[str]:
        """Publish requests per idempotency key, whatever the answer."""
        return Counter(r["idempotency_key"] for r in self.requests())

    # --- the handlers' side ---------------------------------------------------------------------

    def _delay(self) -> None:
        if self.latency:
            time.sleep(self.latency)  # the platform's own latency, not a test waiting

    def _authorised(self, h: _Handler) -> bool:
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            h._send(401, {"error": "The access token is invalid"})
            return False
        return True

    def _hang(self) -> None:
        event = threading.Event()
        with self._lock:
            self._hung.append(event)
        event.wait(timeout=120)

    def _record(self, h: _Handler, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            post_id = str(next(self._ids))
            post = {
                "id": post_id,
                "url": f"{self.url}/@clarion/{post_id}",
                "idempotency_key": h.headers.get("Idempotency-Key") or "",
                "text": body.get("status"),
                "in_reply_to_id": body.get("in_reply_to_id"),
                "platform": body.get("platform"),
                "authorization": h.headers.get("Authorization"),
                "user_agent": h.headers.get("User-Agent"),
                "received_at": time.time(),
            }
            self._posts.append(post)
        return post

    def _publish(self, h: _Handler, body: dict[str, Any]) -> None:
        with self._lock:
            step = self._post_script.pop(0) if self._post_script else "ok"
            self._requests.append(
                {
                    "idempotency_key": h.headers.get("Idempotency-Key") or "",
                    "text": body.get("status"),
                    "step": step,
                    "user_agent": h.headers.get("User-Agent"),
                }
            )
        if step == "revoked":
            presented = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
            h._send(401, {"error": f"The access token {presented} was revoked"})
            return
        if not self._authorised(h):
            return
        if step == "429":
            reset = self.reset_at if self.reset_at is not None else int(time.time()) + 60
            h._send(
                429,
                {"error": "Too many requests"},
                {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
            )
        elif step == "500":
            h._send(500, {"error": "Internal server error"})
        elif step == "drop":
            h.close_connection = True  # no answer at all
        elif step == "duplicate":
            h._send(
                422,
                {
                    "error": "Validation failed: this status is a duplicate of one you posted",
                    "code": "duplicate",
                },
            )
        else:
            post = self._record(h, body)
            if step == "drop-after":
                h.close_connection = True
                return
            if step == "hang":
                self._hang()
            h._send(200, {"id": post["id"], "url": post["url"]})

    def _lookup(self, h: _Handler, key: str) -> None:
        with self._lock:
            step = self._lookup_script.pop(0) if self._lookup_script else "ok"
        if not self._authorised(h):
            return
        if step == "429":
            reset = self.reset_at if self.reset_at is not None else int(time.time()) + 60
            h._send(429, {"error": "Too many requests"}, {"x-rate-limit-reset": str(reset)})
            return
        if step == "500":
            h._send(500, {"error": "Internal server error"})
            return
        found = next((p for p in self.posts() if p["idempotency_key"] == key), None)
        if step == "hang":  # decided now, delivered late
            self._hang()
        if found is None:
            h._send(404, {"error": "Record not found"})
        else:
            h._send(200, {"id": found["id"], "url": found["url"]})


# --- the adapter -----------------------------------------------------------------------------


def _reset(value: str | None) -> dt.datetime | None:
    """``x-rate-limit-reset``: epoch seconds (X) or an ISO 8601 instant (Mastodon)."""
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:200]
    return str(data.get("error", data)) if isinstance(data, dict) else str(data)


class HttpFakeAdapter(Adapter):
    """Publishes to the fake platform at ``CLARION_FAKE_URL`` over HTTP."""

    platform: ClassVar[type[Mastodon]] = Mastodon

    def __init__(self, account: str = "default") -> None:
        super().__init__(account)
        self.base = os.environ.get("CLARION_FAKE_URL", "http://127.0.0.1:9")
        self.token = os.environ.get("CLARION_FAKE_TOKEN", "")
        self.timeout = float(os.environ.get("CLARION_FAKE_TIMEOUT", "10"))
        secrets.register(self.token)
        split = urllib.parse.urlsplit(self.base)
        self.host = split.hostname or "127.0.0.1"
        self.port = split.port or 80

    def build(self, d: Delivery, reply_to_id: str | None = None) -> Request:
        # one fake serves every platform name: the request says which
        return dataclasses.replace(super().build(d, reply_to_id), platform=d.platform)

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "status": d.text,
            "visibility": "public",
            "platform": d.platform,
            "idempotency_key": d.idempotency_key,
        }
        if d.thread_index:
            payload["in_reply_to_id"] = reply_to_id or f"<id of {d.reply_to}>"
        return payload

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": f"clarion-test pid {os.getpid()}",
            "Content-Type": "application/json",
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _call(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | RetryLater | Unknown:
        """One request; a RetryLater when it never left, an Unknown when its answer was lost."""
        log.debug("%s %s%s headers=%r body=%s", method, self.base, path, headers, body)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, connect timeout: nothing was sent
                return RetryLater(
                    f"could not connect to {self.base}: {exc.__class__.__name__}: {exc}",
                    before_send=True,
                )
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except TimeoutError:
                return Unknown(f"no answer within {self.timeout:g} s after sending")
            except (OSError, http.client.HTTPException) as exc:
                return Unknown(f"the connection failed after sending: {exc.__class__.__name__}")
        finally:
            conn.close()
        log.debug("answer %s %s", resp.status, raw.decode("utf-8", "replace"))
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw

    def publish(self, request: Request) -> Outcome:
        payload = dict(request.payload)
        key = str(payload.pop("idempotency_key"))
        answer = self._call(
            "POST", "/api/v1/statuses", json.dumps(payload).encode(), self._headers(key)
        )
        if isinstance(answer, RetryLater | Unknown):
            return answer
        status, headers, raw = answer
        if status in (200, 201):
            data = json.loads(raw)
            return Published(str(data["id"]), data.get("url"))
        message = f"{status} {_message(raw)}"
        if status == 429:
            return RetryLater(message, not_before=_reset(headers.get("x-rate-limit-reset")))
        if status == 401:
            return Failed(message, auth=True)
        if status >= 500:
            return Unknown(message)
        if status in (403, 422) and b"duplicate" in raw:
            return Failed(message, duplicate=True)
        return Failed(message)

    def reconcile(self, request: Request) -> ReconcileOutcome:
        key = urllib.parse.quote(str(request.payload["idempotency_key"]))
        answer = self._call(
            "GET", f"/api/v1/statuses/lookup?idempotency_key={key}", None, self._headers()
        )
        if isinstance(answer, RetryLater | Unknown):
            return Unknown(f"the look-up failed: {answer.reason}")
        status, headers, raw = answer
        if status == 200:
            data = json.loads(raw)
            return Published(str(data["id"]), data.get("url"))
        if status == 404:
            return Absent()
        if status == 429:
            return RetryLater(
                f"look-up: {status} {_message(raw)}",
                not_before=_reset(headers.get("x-rate-limit-reset")),
            )
        return Unknown(f"look-up: {status} {_message(raw)}")

    def check(self) -> AccountStatus:
        answer = self._call("GET", "/api/v1/accounts/verify_credentials", None, self._headers())
        if isinstance(answer, RetryLater | Unknown):
            return AccountStatus(self.platform.name, self.account, False, problem=answer.reason)
        status, _, raw = answer
        if status != 200:
            return AccountStatus(
                self.platform.name, self.account, False, problem=f"{status} {_message(raw)}"
            )
        return AccountStatus(self.platform.name, self.account, True, posts_as="@clarion")
