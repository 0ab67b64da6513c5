"""A stub of the Facebook Graph API (Page posting), served on 127.0.0.1 from a background thread.

It implements what Clarion's Facebook adapter uses, under ``/{version}/``:

* ``POST /{page}/feed`` (``message``, ``attached_media[i]={"media_fbid": ...}``) -> ``{"id"}``;
* ``POST /{page}/photos`` (multipart: ``source`` file, ``message``, ``alt_text_custom``,
  ``published``) -> ``{"id", "post_id"}``, or ``{"id"}`` for an unpublished photo;
* ``GET /{page}/posts`` (``fields``, ``limit``, ``after``) -> ``{"data": [...], "paging"}``,
  newest first;
* ``GET /?ids=ID,...&fields=...`` (a "multiple ID read", at most 50 ids): each post's
  ``reactions``/``comments`` summaries, ``shares`` (left out while 0, as Graph does) and
  ``insights`` (``post_media_view``, ``post_total_media_view_unique``), from counts a test sets
  with :meth:`GraphStub.set_counts`; an id it does not hold fails the whole request with code
  803, as Graph does;
* ``GET /me`` (the Page, for a Page token) and ``GET /debug_token`` (``expires_at``, ``scopes``).

The token is checked in ``Authorization: Bearer`` (or an ``access_token`` field); a wrong one gets
Graph's code 190. A message equal to one already posted gets ``(#506) Duplicate status message``,
as Facebook does.

Every request is recorded (:meth:`GraphStub.requests`: method, path, query, form fields, files
with their size and SHA-256, headers, the step applied). Faults are injected per endpoint
(``feed``, ``photos``, ``posts``, ``ids``, ``me``, ``debug_token``) from Python with
:meth:`GraphStub.fail`, one step per request, then "ok" again:

* ``throttle-4``, ``throttle-17``, ``throttle-32``, ``throttle-613``: Graph's throttling errors,
  with ``X-App-Usage`` and, when :attr:`regain_minutes` is set, ``X-Business-Use-Case-Usage``
  carrying ``estimated_time_to_regain_access``; nothing is done;
* ``500``: HTTP 500 with code 1 ("An unknown error has occurred."), nothing done; ``503-html``: a
  proxy's HTML page, nothing done;
* ``slow``: done, then answered only after :attr:`slow_s` seconds (the client times out first);
* ``drop-after``: done (recorded, post made), then the connection closed without an answer;
* ``drop``: the connection closed before answering; nothing done;
* ``duplicate``: code 506; ``revoked``: code 190 (its message repeats the presented token, so
  tests see that Clarion redacts it);
* ``empty`` (``posts`` only): an empty listing, as if the post were not visible yet.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import hashlib
import itertools
import json
import threading
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from clarion.platforms.facebook import GRAPH_VERSION
from tests.net import Serving

ENDPOINTS = frozenset({"feed", "photos", "posts", "ids", "me", "debug_token"})
STEPS = frozenset(
    {
        "ok",
        "throttle-4",
        "throttle-17",
        "throttle-32",
        "throttle-613",
        "500",
        "503-html",
        "slow",
        "drop-after",
        "drop",
        "duplicate",
        "revoked",
        "empty",
    }
)
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}


#: Graph's documented error response (tests/fixtures/SOURCES.md), the shape of every error here.
DOCUMENTED_ERROR = Path(__file__).resolve().parents[1] / "fixtures" / "facebook" / "error.json"


def graph_error(
    message: str, code: int, kind: str | None = None, subcode: int | None = None
) -> dict[str, Any]:
    """Graph's documented error with this message and code (its type unless ``kind``)."""
    documented = json.loads(DOCUMENTED_ERROR.read_text(encoding="utf-8"))["error"]
    err: dict[str, Any] = {"message": message, "type": kind or documented["type"], "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err["fbtrace_id"] = "AStubTrace" + str(code)  # Graph's ids are opaque; this one names the code
    return {"error": err}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: GraphStub


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection: a drop affects only that one

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(data).encode(), "application/json", headers)

    def send_raw(
        self, status: int, raw: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the client gave up (a read timeout)
            self.close_connection = True

    def do_GET(self) -> None:
        self.server.stub._handle(self, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.stub._handle(self, self.rfile.read(length) if length else b"")


def _form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Form fields and files of a urlencoded or multipart body."""
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields: dict[str, str] = {}
        files: dict[str, dict[str, Any]] = {}
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            data = part.get_payload(decode=True)
            raw = data if isinstance(data, bytes) else b""
            filename = part.get_filename()
            if filename is None:
                fields[name] = raw.decode()
            else:
                files[name] = {
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "size": len(raw),
                    "sha256": hashlib.sha256(raw).hexdigest(),
                }
        return fields, files
    parsed = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}, {}


class GraphStub:
    """The stub server; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        token: str,
        page_id: str = "104857600123456",
        page_name: str = "Clarion Test Page",
        version: str = GRAPH_VERSION,
        latency: float = 0.0,
    ) -> None:
        #: Seconds every answer waits (the report's benchmark: a platform far away).
        self.latency = latency
        #: Counts a test gave a post: id -> {"reactions", "comments", "shares", "views", "viewers"}.
        self.counts: dict[str, dict[str, int]] = {}
        self.token = token
        self.page_id = page_id
        self.page_name = page_name
        self.version = version
        #: ``estimated_time_to_regain_access`` (minutes) sent with throttling errors; None: none.
        self.regain_minutes: int | None = None
        #: How long a ``slow`` answer is held back, in seconds.
        self.slow_s = 5.0
        #: What ``/debug_token`` says.
        self.expires_at = 0
        self.scopes = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._scripts: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
        self._requests: list[dict[str, Any]] = []
        self._posts: list[dict[str, Any]] = []
        self._photos: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._serving = Serving(_Handler, _HTTPServer, stub=self)

    @property
    def url(self) -> str:
        """The base URL (what ``CLARION_FACEBOOK_GRAPH_URL`` is set to; no version)."""
        return self._serving.url

    def start(self) -> GraphStub:
        self._serving.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._serving.close()

    def __enter__(self) -> GraphStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- control -------------------------------------------------------------------------------

    def fail(self, endpoint: str, *steps: str) -> None:
        """Append steps to an endpoint's script (one per request; "ok" when it is empty)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ENDPOINTS)}")
        for step in steps:
            if step not in STEPS:
                raise ValueError(f"unknown step {step!r}; known: {sorted(STEPS)}")
        with self._lock:
            self._scripts[endpoint].extend(steps)

    # --- what it received ---------------------------------------------------------------------

    def requests(
        self, endpoint: str | None = None, method: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(r)
                for r in self._requests
                if (endpoint is None or r["endpoint"] == endpoint)
                and (method is None or r["method"] == method)
            ]

    def posts(self) -> list[dict[str, Any]]:
        """Published posts, oldest first."""
        with self._lock:
            return [dict(p) for p in self._posts]

    def photos(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(p) for p in self._photos.values()]

    def set_counts(self, post_id: str, **counts: int) -> None:
        """Give a post counts: ``reactions``, ``comments``, ``shares``, ``views``, ``viewers``."""
        with self._lock:
            self.counts.setdefault(post_id, {}).update(counts)

    def delete(self, post_id: str) -> None:
        with self._lock:
            self._posts = [p for p in self._posts if p["id"] != post_id]

    # --- handling -----------------------------------------------------------------------------

    def _handle(self, h: _Handler, body: bytes) -> None:
        split = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        fields, files = _form(h.headers.get("Content-Type") or "", body) if body else ({}, {})
        parts = split.path.strip("/").split("/")
        endpoint = ""
        if self.latency:
            self._closing.wait(self.latency)
        if parts == [self.version] and "ids" in query:
            endpoint = "ids"
        elif len(parts) == 2 and parts[0] == self.version and parts[1] in ("me", "debug_token"):
            endpoint = parts[1]
        elif len(parts) == 3 and parts[0] == self.version and parts[1] == self.page_id:
            endpoint = parts[2] if parts[2] in ("feed", "photos", "posts") else ""
        expected = {"feed": "POST", "photos": "POST"}.get(endpoint, "GET")
        with self._lock:
            step = "ok"
            if endpoint and h.command == expected and self._scripts[endpoint]:
                step = self._scripts[endpoint].pop(0)
            self._requests.append(
                {
                    "method": h.command,
                    "path": split.path,
                    "endpoint": endpoint,
                    "query": query,
                    "fields": fields,
                    "files": files,
                    "headers": dict(h.headers.items()),
                    "step": step,
                }
            )
        if not endpoint or h.command != expected:
            h.send_json(400, graph_error("Unknown path components: " + split.path, 2500))
            return
        presented = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        presented = presented or fields.get("access_token") or query.get("access_token", "")
        if step == "revoked":
            h.send_json(
                400,
                graph_error(
                    f"Error validating access token: the session for token {presented} has "
                    "been invalidated because the user changed their password.",
                    190,
                    subcode=460,
                ),
            )
            return
        if presented != self.token:
            h.send_json(
                400, graph_error("Invalid OAuth access token - Cannot parse access token", 190)
            )
            return
        if step.startswith("throttle-"):
            code = int(step.removeprefix("throttle-"))
            headers = {"X-App-Usage": json.dumps({"call_count": 100, "total_time": 40})}
            if self.regain_minutes is not None:
                usage = {
                    self.page_id: [
                        {
                            "type": "pages",
                            "call_count": 100,
                            "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": self.regain_minutes,
                        }
                    ]
                }
                headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            h.send_json(400, graph_error(THROTTLE_MESSAGES[code], code), headers)
            return
        if step == "500":
            h.send_json(500, graph_error("An unknown error has occurred.", 1))
            return
        if step == "503-html":
            h.send_raw(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if step == "duplicate":
            h.send_json(400, graph_error("(#506) Duplicate status message", 506))
            return
        if step == "drop":
            h.close_connection = True
            return
        status, answer = self._answer(endpoint, fields, files, query, step)
        if step == "drop-after":
            h.close_connection = True
            return
        if step == "slow":
            self._closing.wait(self.slow_s)  # the platform's own slowness, not a test waiting
        h.send_json(status, answer)

    def _answer(
        self,
        endpoint: str,
        fields: dict[str, str],
        files: dict[str, dict[str, Any]],
        query: dict[str, str],
        step: str,
    ) -> tuple[int, Any]:
        if endpoint == "feed":
            return self._feed(fields)
        if endpoint == "photos":
            return self._photo(fields, files)
        if endpoint == "posts":
            return self._listing(query, step)
        if endpoint == "ids":
            return self._read_ids(query)
        if endpoint == "me":
            return 200, {"id": self.page_id, "name": self.page_name}
        return 200, self._debug(query)

    def _now(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")

    def _duplicate(self, message: str) -> bool:
        return bool(message) and any(p["message"] == message for p in self._posts)

    def _read_ids(self, query: dict[str, str]) -> tuple[int, Any]:
        ids = [i for i in query["ids"].split(",") if i]
        if len(ids) > 50:
            return 400, graph_error("(#100) Too many IDs. Maximum: 50", 100)
        with self._lock:
            held = {p["id"] for p in self._posts}
            counts = {i: dict(self.counts.get(i, {})) for i in ids}
        missing = [i for i in ids if i not in held]
        if missing:
            message = "(#803) Some of the aliases you requested do not exist: " + ",".join(missing)
            return 404, graph_error(message, 803)
        fields = query.get("fields", "")
        out: dict[str, Any] = {}
        for i in ids:
            c = counts[i]
            post: dict[str, Any] = {"id": i}
            if "reactions" in fields:
                post["reactions"] = {"data": [], "summary": {"total_count": c.get("reactions", 0)}}
            if "comments" in fields:
                post["comments"] = {
                    "data": [],
                    "summary": {
                        "order": "ranked",
                        "total_count": c.get("comments", 0),
                        "can_comment": True,
                    },
                }
            if "shares" in fields and c.get("shares"):
                post["shares"] = {"count": c["shares"]}
            if "insights" in fields:
                post["insights"] = {
                    "data": [
                        {
                            "name": name,
                            "period": "lifetime",
                            "values": [{"value": c.get(key, 0)}],
                            "title": title,
                            "id": f"{i}/insights/{name}/lifetime",
                        }
                        for name, key, title in (
                            ("post_media_view", "views", "Views"),
                            ("post_total_media_view_unique", "viewers", "Viewers"),
                        )
                        if name in fields
                    ],
                    "paging": {},
                }
            out[i] = post
        return 200, out

    def _new_post(self, message: str, media: Iterable[str]) -> dict[str, Any]:
        number = f"{next(self._ids):06d}"
        post = {
            "id": f"{self.page_id}_{number}",
            "message": message,
            "created_time": self._now(),
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{number}",
            "attached_media": list(media),
        }
        self._posts.append(post)
        return post

    def _feed(self, fields: dict[str, str]) -> tuple[int, Any]:
        message = fields.get("message", "")
        media: list[str] = []
        for n in itertools.count():
            raw = fields.get(f"attached_media[{n}]")
            if raw is None:
                break
            fbid = str(json.loads(raw).get("media_fbid"))
            photo = self._photos.get(fbid)
            if photo is None or photo["published"]:
                return 400, graph_error(f"(#100) Invalid media_fbid {fbid}", 100)
            media.append(fbid)
        if not message and not media:
            return 400, graph_error("(#100) The parameter message is required", 100)
        with self._lock:
            if self._duplicate(message):
                return 400, graph_error("(#506) Duplicate status message", 506)
            post = self._new_post(message, media)
        return 200, {"id": post["id"]}

    def _photo(self, fields: dict[str, str], files: dict[str, dict[str, Any]]) -> tuple[int, Any]:
        if "source" not in files:
            return 400, graph_error("(#324) Requires upload file", 324)
        published = fields.get("published", "true") != "false"
        message = fields.get("message", "")
        with self._lock:
            if published and self._duplicate(message):
                return 400, graph_error("(#506) Duplicate status message", 506)
            photo_id = str(900000 + next(self._ids))
            self._photos[photo_id] = {
                "id": photo_id,
                "published": published,
                "alt_text_custom": fields.get("alt_text_custom"),
                "sha256": files["source"]["sha256"],
            }
            if not published:
                return 200, {"id": photo_id}
            post = self._new_post(message, [photo_id])
        return 200, {"id": photo_id, "post_id": post["id"]}

    def _listing(self, query: dict[str, str], step: str) -> tuple[int, Any]:
        wanted = (query.get("fields") or "id").split(",")
        limit = int(query.get("limit") or 25)
        start = int(query.get("after") or 0)
        with self._lock:
            newest = [] if step == "empty" else list(reversed(self._posts))
        page = [{k: p[k] for k in wanted if k in p} for p in newest[start : start + limit]]
        body: dict[str, Any] = {"data": page}
        if start + limit < len(newest):
            body["paging"] = {
                "cursors": {"before": str(start), "after": str(start + limit)},
                "next": f"{self.url}/{self.version}/{self.page_id}/posts?after={start + limit}",
            }
        return 200, body

    def _debug(self, query: dict[str, str]) -> dict[str, Any]:
        return {
            "data": {
                "app_id": "1234567",
                "type": "PAGE",
                "application": "Clarion",
                "expires_at": self.expires_at,
                "is_valid": query.get("input_token") == self.token,
                "profile_id": self.page_id,
                "scopes": list(self.scopes),
                "user_id": "7654321",
            }
        }
