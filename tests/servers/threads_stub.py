"""A stub of the Threads API (publishing), served on 127.0.0.1 from a background thread.

It implements what Clarion's Threads adapter uses, under ``/v1.0/``, with the documented shapes
(Meta's Threads API pages, cited in ``clarion.platforms.threads``):

* ``POST /{user}/threads``: a media container, checked as Threads documents: ``media_type`` TEXT
  needs ``text``, IMAGE needs ``image_url`` (fetched here over HTTP, as Threads does: an address
  that does not answer 200 is refused), CAROUSEL needs 2 to 20 ``children`` that are this user's
  ``is_carousel_item`` containers; ``text`` at most 500 as Threads counts; at most 5 links;
  ``reply_to_id`` must be a published post -> ``{"id"}``;
* ``GET /{container}?fields=status,error_message``: ``IN_PROGRESS`` on the first look, then
  ``FINISHED`` (``PUBLISHED`` once published);
* ``POST /{user}/threads_publish`` (``creation_id`` of a FINISHED container) -> ``{"id"}``;
* ``GET /{media}?fields=permalink`` (and ``id``, ``text``, ``timestamp``);
* ``GET /{user}/threads`` and ``/{user}/replies`` (``fields``, ``limit``, ``after``), newest first;
* ``GET /me`` and ``GET /{user}/threads_publishing_limit``.

The token is checked in ``Authorization: Bearer``; a wrong one gets code 190 (HTTP 401). Every
request is recorded (:meth:`ThreadsStub.requests`: method, path, query, form fields, the raw body,
headers, the step applied). Faults are scripted per endpoint (``threads``, ``status``,
``publish``, ``media``, ``listing``, ``me``, ``limit``) with :meth:`ThreadsStub.fail`, one step
per request, then "ok" again: ``throttle-4`` / ``-17`` / ``-32`` / ``-613`` (HTTP 429 with that
Graph code, ``Retry-After`` when :attr:`retry_after` is set; nothing done), ``500`` (code 2,
nothing done), ``slow`` (done, answered after :attr:`slow_s`), ``drop`` (closed before doing
anything), ``drop-after`` (done, then closed without an answer), ``revoked`` (code 190, its
message repeating the token, so tests see Clarion redact it), ``error`` (``status`` only: the
container goes ERROR).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clarion.platforms.threads import Threads
from tests.net import Serving

VERSION = "v1.0"
ENDPOINTS = frozenset({"threads", "status", "publish", "media", "listing", "me", "limit"})
STEPS = frozenset(
    {
        "ok",
        "throttle-4",
        "throttle-17",
        "throttle-32",
        "throttle-613",
        "500",
        "slow",
        "drop",
        "drop-after",
        "revoked",
        "error",
    }
)
THROTTLE_MESSAGES = {
    4: "Application request limit reached",
    17: "User request limit reached",
    32: "Page request limit reached",
    613: "Calls to this api have exceeded the rate limit.",
}


def graph_error(message: str, code: int, kind: str = "OAuthException", **more: Any) -> Any:
    """Graph's documented error shape (error handling guide)."""
    return {"error": {"message": message, "type": kind, "code": code, **more,
                      "fbtrace_id": f"AStubTrace{code}"}}  # fmt: skip


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: ThreadsStub


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except OSError:
            self.close_connection = True

    def do_GET(self) -> None:
        self.server.stub._handle(self, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.stub._handle(self, self.rfile.read(length) if length else b"")


class ThreadsStub:
    """The stub server; see the module docstring. Use as a context manager."""

    def __init__(self, token: str, user_id: str = "17841400000000001", username: str = "clarion"):
        self.token = token
        self.user_id = user_id
        self.username = username
        #: Seconds a ``slow`` answer is held back; ``Retry-After`` seconds on throttling (None:
        #: none).
        self.slow_s = 5.0
        self.retry_after: int | None = None
        #: Posts published in the last 24 hours before the stub started (the quota's use).
        self.quota_used = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._scripts: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
        self._requests: list[dict[str, Any]] = []
        self._containers: dict[str, dict[str, Any]] = {}
        self._posts: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._serving = Serving(_Handler, _HTTPServer, stub=self)

    @property
    def url(self) -> str:
        """What ``CLARION_THREADS_API_BASE`` is set to (no version)."""
        return self._serving.url

    def __enter__(self) -> ThreadsStub:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._serving.close()

    def fail(self, endpoint: str, *steps: str) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ENDPOINTS)}")
        if unknown := set(steps) - STEPS:
            raise ValueError(f"unknown steps {sorted(unknown)}; known: {sorted(STEPS)}")
        with self._lock:
            self._scripts[endpoint].extend(steps)

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests if endpoint in (None, r["endpoint"])]

    def posts(self) -> list[dict[str, Any]]:
        """Published posts (and replies), oldest first."""
        with self._lock:
            return [dict(p) for p in self._posts]

    # --- handling -----------------------------------------------------------------------------

    def _endpoint(self, method: str, parts: list[str], query: dict[str, str]) -> str:
        if len(parts) < 2 or parts[0] != VERSION:
            return ""
        if parts[1:] == ["me"] and method == "GET":
            return "me"
        if len(parts) == 3 and parts[1] == self.user_id:
            return {
                ("POST", "threads"): "threads",
                ("POST", "threads_publish"): "publish",
                ("GET", "threads"): "listing",
                ("GET", "replies"): "listing",
                ("GET", "threads_publishing_limit"): "limit",
            }.get((method, parts[2]), "")
        if len(parts) == 2 and method == "GET":
            if parts[1] in self._containers and "status" in query.get("fields", ""):
                return "status"
            if any(p["id"] == parts[1] for p in self._posts):
                return "media"
        return ""

    def _handle(self, h: _Handler, body: bytes) -> None:
        split = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        parsed = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        fields = {k: v[-1] for k, v in parsed.items()}
        parts = split.path.strip("/").split("/")
        with self._lock:
            endpoint = self._endpoint(h.command, parts, query)
            step = self._scripts[endpoint].pop(0) if endpoint and self._scripts[endpoint] else "ok"
            record: dict[str, Any] = {
                "method": h.command,
                "path": split.path,
                "endpoint": endpoint,
                "query": query,
                "fields": fields,
                "body": body,
                "headers": dict(h.headers.items()),
                "step": step,
                "answer": None,
            }
            self._requests.append(record)
        if not endpoint:
            message = (
                f"Unsupported {h.command} request. Object with ID '{parts[-1]}' does not exist"
            )
            h.send_json(400, graph_error(message, 100, "GraphMethodException"))
            return
        presented = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        if step == "revoked":
            message = f"Error validating access token: the session for {presented} was revoked."
            h.send_json(401, graph_error(message, 190, error_subcode=460))
            return
        if presented != self.token:
            h.send_json(401, graph_error("Invalid OAuth access token - Cannot parse token", 190))
            return
        if step.startswith("throttle-"):
            code = int(step.removeprefix("throttle-"))
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
            h.send_json(429, graph_error(THROTTLE_MESSAGES[code], code), headers)
            return
        if step == "500":
            h.send_json(500, graph_error("An unexpected error has occurred. Retry later.", 2))
            return
        if step == "drop":
            h.close_connection = True
            return
        status, answer = self._answer(endpoint, parts, fields, query, step)
        record["answer"] = answer
        if step == "drop-after":
            h.close_connection = True
            return
        if step == "slow":
            self._closing.wait(self.slow_s)
        h.send_json(status, answer)

    def _answer(
        self,
        endpoint: str,
        parts: list[str],
        fields: dict[str, str],
        query: dict[str, str],
        step: str,
    ) -> tuple[int, Any]:
        if endpoint == "threads":
            return self._container(fields)
        if endpoint == "status":
            return self._status(parts[1], step)
        if endpoint == "publish":
            return self._publish(fields)
        if endpoint == "media":
            return self._media(parts[1], query)
        if endpoint == "listing":
            return self._listing(parts[2] == "replies", query)
        if endpoint == "me":
            return 200, {"id": self.user_id, "username": self.username}
        with self._lock:
            used = self.quota_used + len(self._posts)
        return 200, {
            "data": [{"quota_usage": used, "config": {"quota_total": 250, "quota_duration": 86400}}]
        }

    @staticmethod
    def _invalid(message: str, code: int = 100) -> tuple[int, Any]:
        return 400, graph_error(message, code, error_user_msg=message)

    def _fetch(self, url: str) -> str | tuple[int, Any]:
        """The SHA-256 of what ``url`` serves, or the error Threads would answer."""
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return hashlib.sha256(answer.read()).hexdigest()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return self._invalid(f"Media download has failed: could not fetch {url} ({exc})")

    def _container(self, fields: dict[str, str]) -> tuple[int, Any]:
        kind = fields.get("media_type")
        text = fields.get("text", "")
        if kind not in ("TEXT", "IMAGE", "CAROUSEL"):
            return self._invalid(f"Param media_type must be one of TEXT, IMAGE, CAROUSEL: {kind}")
        if kind == "TEXT" and not text:
            return self._invalid("Param text is required for media_type TEXT")
        if Threads.count(text) > Threads.max_length:
            return self._invalid("Param text must be at most 500 characters long")
        if len(Threads.links(text)) > 5:
            return self._invalid("THREADS_API__LINK_LIMIT_EXCEEDED")
        reply_to = fields.get("reply_to_id")
        if reply_to is not None and not any(p["id"] == reply_to for p in self.posts()):
            return self._invalid(f"Param reply_to_id {reply_to} is not a post you can reply to")
        container: dict[str, Any] = {"kind": kind, "fields": dict(fields), "looks": 0}
        if kind == "IMAGE":
            if not fields.get("image_url"):
                return self._invalid("Param image_url is required for media_type IMAGE")
            fetched = self._fetch(fields["image_url"])
            if isinstance(fetched, tuple):
                return fetched
            container["sha256"] = fetched
        if kind == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 20:
                return self._invalid("A carousel needs 2 to 20 children")
            with self._lock:
                items = [self._containers.get(c) for c in children]
            if any(i is None or i["fields"].get("is_carousel_item") != "true" for i in items):
                return self._invalid("Param children must be carousel item containers")
            container["children"] = [i["sha256"] for i in items if i]
        with self._lock:
            ident = str(18_000_000_000_000_000 + next(self._ids))
            container["status"] = "IN_PROGRESS"
            self._containers[ident] = container
        return 200, {"id": ident}

    def _status(self, ident: str, step: str) -> tuple[int, Any]:
        with self._lock:
            c = self._containers[ident]
            c["looks"] += 1
            if step == "error":
                c["status"] = "ERROR"
            elif c["status"] == "IN_PROGRESS" and c["looks"] > 1:
                c["status"] = "FINISHED"
            answer = {"status": c["status"], "id": ident}
        if answer["status"] == "ERROR":
            answer["error_message"] = "UNKNOWN"
        return 200, answer

    def _publish(self, fields: dict[str, str]) -> tuple[int, Any]:
        ident = fields.get("creation_id", "")
        with self._lock:
            c = self._containers.get(ident)
            if c is None or c["fields"].get("is_carousel_item") == "true":
                return self._invalid(f"Param creation_id {ident} is not a container to publish")
            if c["status"] != "FINISHED":
                return self._invalid("The media is not ready for publishing, please wait", 24)
            c["status"] = "PUBLISHED"
            number = next(self._ids)
            post = {
                "id": str(19_000_000_000_000_000 + number),
                "text": c["fields"].get("text", ""),
                "media_type": c["kind"],
                "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink": f"https://www.threads.com/@{self.username}/post/Stub{number:05d}",
                "reply_to": c["fields"].get("reply_to_id"),
                "alt_text": c["fields"].get("alt_text"),
                "images": c.get("children") or ([c["sha256"]] if "sha256" in c else []),
                "link_attachment": c["fields"].get("link_attachment"),
            }
            self._posts.append(post)
        return 200, {"id": post["id"]}

    def _media(self, ident: str, query: dict[str, str]) -> tuple[int, Any]:
        wanted = (query.get("fields") or "id").split(",")
        post = next(p for p in self.posts() if p["id"] == ident)
        return 200, {k: post[k] for k in ("id", *wanted) if k in post}

    def _listing(self, replies: bool, query: dict[str, str]) -> tuple[int, Any]:
        wanted = (query.get("fields") or "id").split(",")
        limit = int(query.get("limit") or 25)
        start = int(query.get("after") or 0)
        newest = [p for p in reversed(self.posts()) if bool(p["reply_to"]) == replies]
        page = [{k: p[k] for k in wanted if k in p} for p in newest[start : start + limit]]
        body: dict[str, Any] = {"data": page}
        if start + limit < len(newest):
            body["paging"] = {
                "cursors": {"before": str(start), "after": str(start + limit)},
                "next": f"{self.url}/{VERSION}/{self.user_id}/threads?after={start + limit}",
            }
        return 200, body
