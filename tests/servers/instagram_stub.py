"""A stub of the Instagram API's content publishing on 127.0.0.1, answering under ``/{version}/``
in Meta's documented shapes (https://developers.facebook.com/docs/instagram-platform/content-publishing/):
``POST /{ig-user-id}/media`` (an image container, fetched over HTTP as Instagram does and checked:
9004/2207052 unfetchable, 36000/2207004 over 8 MiB, 36001/2207005 not JPEG, 36003/2207009 outside
4:5..1.91:1; or a CAROUSEL of 2-10 finished items; captions over 2,200 characters, 30 hashtags or
20 mentions refused with code 100), ``GET /{container-id}`` (IN_PROGRESS, then FINISHED from the
next poll), ``POST /{ig-user-id}/media_publish`` (finished containers only, 9007/2207027; over the
quota 9/2207042), ``GET /{media-id}?fields=permalink``, ``GET /{ig-user-id}/media``,
``GET /{ig-user-id}``, ``GET /{ig-user-id}/content_publishing_limit`` and ``GET /debug_token``.

A wrong ``Authorization: Bearer`` token gets code 190. Every request is recorded. Faults per
endpoint (:data:`ENDPOINTS`) from :meth:`InstagramStub.fail`, one step per request: throttle-4/17/
32/613, limit-reached, 500 (nothing done), slow (done, answered after :attr:`slow_s`), drop
(nothing done), drop-after (done, then closed), revoked (190); ``status`` also error / expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clarion.platforms.instagram import _api, rules
from tests.net import Serving
from tests.servers.graph_stub import THROTTLE_MESSAGES, graph_error

ENDPOINTS = frozenset(
    {"media", "status", "media_publish", "permalink", "listing", "user", "limit", "debug_token"}
)
FAULTS = ["limit-reached", "500", "slow", "drop", "drop-after", "revoked", "error", "expired"]
STEPS = frozenset({"ok", *(f"throttle-{c}" for c in THROTTLE_MESSAGES), *FAULTS})
MAX_IMAGE = 8 * 1024 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: InstagramStub


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


class Refused(Exception):  # an Instagram error answer, with its documented body
    def __init__(self, message: str, code: int, subcode: int | None = None) -> None:
        super().__init__(message)
        self.body = graph_error(message, code, subcode=subcode)


class InstagramStub:
    """The stub server; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        token: str,
        user_id: str = "17841400000000001",
        username: str = "clarion.charity",
        version: str = _api.VERSION,
    ) -> None:
        self.token, self.user_id, self.username, self.version = token, user_id, username, version
        self.quota_total, self.slow_s = 100, 5.0
        #: What ``/debug_token`` says (0: never; None: it answers an error, as graph.instagram.com)
        self.expires_at: int | None = 1_893_456_000
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._scripts: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
        self._requests: list[dict[str, Any]] = []
        self._containers: dict[str, dict[str, Any]] = {}
        self._media: list[dict[str, Any]] = []
        self._fetched: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._serving = Serving(_Handler, _HTTPServer, stub=self)

    @property
    def url(self) -> str:  # what CLARION_INSTAGRAM_API_BASE is set to (no version)
        return self._serving.url

    def start(self) -> InstagramStub:
        self._serving.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._serving.close()

    def __enter__(self) -> InstagramStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fail(self, endpoint: str, *steps: str) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ENDPOINTS)}")
        unknown = set(steps) - STEPS
        if unknown:
            raise ValueError(f"unknown steps {sorted(unknown)}; known: {sorted(STEPS)}")
        with self._lock:
            self._scripts[endpoint].extend(steps)

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """Every request received, oldest first (of one endpoint when given)."""
        with self._lock:
            return [dict(r) for r in self._requests if endpoint in (None, r["endpoint"])]

    def media(self) -> list[dict[str, Any]]:
        """Published posts, oldest first."""
        with self._lock:
            return [dict(m) for m in self._media]

    def fetched(self) -> list[dict[str, Any]]:
        """Every image the stub fetched: url, status, sha256."""
        with self._lock:
            return [dict(f) for f in self._fetched]

    def containers(self) -> list[dict[str, Any]]:
        """Every container made, in the order they were made."""
        with self._lock:
            return [dict(c) for c in self._containers.values()]

    # --- routing ------------------------------------------------------------------------------

    def _endpoint(self, method: str, parts: list[str], query: dict[str, str]) -> str:
        rest = parts[1:] if parts and parts[0] == self.version else ["?", "?", "?"]
        if method == "GET" and rest == ["debug_token"]:
            return "debug_token"
        if method == "GET" and rest == [self.user_id]:
            return "user"
        if method == "GET" and len(rest) == 1:
            if rest[0] in self._containers:
                return "status"
            if any(m["id"] == rest[0] for m in self._media):
                return "permalink"
            return ""
        if len(rest) == 2 and rest[0] == self.user_id:
            edge = {
                ("POST", "media"): "media",
                ("GET", "media"): "listing",
                ("POST", "media_publish"): "media_publish",
                ("GET", "content_publishing_limit"): "limit",
            }
            return edge.get((method, rest[1]), "")
        return ""

    def _handle(self, h: _Handler, body: bytes) -> None:
        split = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        parsed = urllib.parse.parse_qs(body.decode(), keep_blank_values=True) if body else {}
        fields = {k: v[-1] for k, v in parsed.items()}
        parts = split.path.strip("/").split("/")
        with self._lock:
            endpoint = self._endpoint(h.command, parts, query)
            script = self._scripts.get(endpoint) or []
            step = script.pop(0) if script else "ok"
            self._requests.append(
                {
                    "method": h.command,
                    "path": split.path,
                    "endpoint": endpoint,
                    "query": query,
                    "fields": fields,
                    "headers": dict(h.headers.items()),
                    "step": step,
                }
            )
        if not endpoint:
            message = f"Unsupported {h.command.lower()} request. Object with ID does not exist"
            h.send_json(400, graph_error(message, 100, subcode=33))
            return
        presented = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        if step == "revoked":
            message = (
                f"Error validating access token: the session for token {presented} has been "
                "invalidated because the user changed their password."
            )
            h.send_json(400, graph_error(message, 190, subcode=460))
            return
        if presented != self.token:
            h.send_json(400, graph_error("Invalid OAuth access token - Cannot parse", 190))
            return
        if step.startswith("throttle-"):
            code = int(step.removeprefix("throttle-"))
            h.send_json(400, graph_error(THROTTLE_MESSAGES[code], code))
            return
        if step == "limit-reached":
            h.send_json(400, _limit_error())
            return
        if step == "500":
            h.send_json(500, graph_error("Instagram server error. Try again.", -1, 2207001))
            return
        if step == "drop":
            h.close_connection = True
            return
        try:
            status, answer = self._answer(endpoint, parts, fields, query, step)
        except Refused as exc:
            status, answer = 400, exc.body
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
        if endpoint == "media":
            return 200, {"id": self._create(fields)}
        if endpoint == "status":
            return 200, self._status(parts[-1], step)
        if endpoint == "media_publish":
            return 200, {"id": self._publish(fields)}
        if endpoint == "permalink":
            with self._lock:
                post = next(m for m in self._media if m["id"] == parts[-1])
            return 200, {"id": post["id"], "permalink": post["permalink"]}
        if endpoint == "listing":
            return 200, self._listing(query)
        if endpoint == "user":
            return 200, {"id": self.user_id, "username": self.username}
        if endpoint == "limit":
            config = {"quota_total": self.quota_total, "quota_duration": 86400}
            return 200, {"data": [{"quota_usage": self._used(), "config": config}]}
        if self.expires_at is None:
            raise Refused("Unsupported get request.", 100)
        return 200, {"data": {"is_valid": True, "expires_at": self.expires_at, "type": "USER"}}

    # --- the documented rules -----------------------------------------------------------------

    @staticmethod
    def _caption(text: str) -> None:
        if len(text) > rules.Instagram.max_length:
            raise Refused("Param caption must be at most 2200 characters long.", 100)
        if len(rules.hashtags(text)) > rules.MAX_HASHTAGS:
            raise Refused("The caption has more than 30 hashtags.", 100)
        if len(rules.mentions(text)) > rules.MAX_MENTIONS:
            raise Refused("The caption has more than 20 @ tags.", 100)

    def _image(self, url: str) -> dict[str, Any]:
        """Fetch ``url`` as Instagram does, and check it."""
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data = answer.read(MAX_IMAGE + 1)
                status = answer.status
        except (OSError, ValueError) as exc:
            with self._lock:
                self._fetched.append({"url": url, "status": str(exc), "sha256": None})
            raise Refused(
                f"The media could not be fetched from this uri: {url}", 9004, 2207052
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._fetched.append({"url": url, "status": status, "sha256": digest})
        if len(data) > MAX_IMAGE:
            raise Refused("The image size is too large.", 36000, 2207004)
        if not data.startswith(b"\xff\xd8\xff"):
            raise Refused("The image format is not supported.", 36001, 2207005)
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
        ratio = width / height
        if not 0.8 - 0.005 <= ratio <= 1.91 + 0.005:
            raise Refused(
                f"The submitted image with aspect ratio ('{width}/{height}') cannot be "
                "published. Please submit an image with a valid aspect ratio.",
                36003,
                2207009,
            )
        return {"url": url, "sha256": digest, "width": width, "height": height}

    def _create(self, fields: dict[str, str]) -> str:
        caption = fields.get("caption", "")
        self._caption(caption)
        made: dict[str, Any] = {"caption": caption, "polls": 0, "published": False}
        if fields.get("media_type") == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 10:
                raise Refused("Carousels take 2 to 10 children.", 100)
            with self._lock:
                found = [self._containers.get(c) for c in children]
            if any(c is None or not c["item"] or c["polls"] < 2 for c in found):
                raise Refused("Children must be finished carousel item containers.", 100)
            made.update(kind="CAROUSEL", children=children, item=False)
        else:
            url = fields.get("image_url")
            if not url:
                raise Refused("The parameter image_url is required.", 100)
            made.update(
                kind="IMAGE",
                image=self._image(url),
                alt_text=fields.get("alt_text"),
                item=fields.get("is_carousel_item") == "true",
            )
        with self._lock:
            made["id"] = str(17_900_000_000_000_000 + next(self._ids))
            self._containers[made["id"]] = made
        return str(made["id"])

    def _status(self, cid: str, step: str) -> dict[str, Any]:
        with self._lock:
            c = self._containers[cid]
            c["polls"] += 1
            if step == "error":
                return {"id": cid, "status_code": "ERROR", "status": "Error: 2207003"}
            if step == "expired":
                return {"id": cid, "status_code": "EXPIRED", "status": "Expired"}
            code = "PUBLISHED" if c["published"] else "IN_PROGRESS"
            if code == "IN_PROGRESS" and c["polls"] >= 2:
                code = "FINISHED"
            return {"id": cid, "status_code": code, "status": code.title()}

    def _used(self) -> int:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        with self._lock:
            return sum(1 for m in self._media if m["at"] > since)

    def _publish(self, fields: dict[str, str]) -> str:
        cid = fields.get("creation_id", "")
        if self._used() >= self.quota_total:
            raise Refused(_limit_error()["error"]["message"], 9, 2207042)
        with self._lock:
            c = self._containers.get(cid)
            if c is None or c["item"] or c["polls"] < 2 or c["published"]:
                raise Refused("Media ID is not available", 9007, 2207027)
            c["published"] = True
            number = next(self._ids)
            now = dt.datetime.now(dt.UTC)
            post = {
                "id": str(18_000_000_000_000_000 + number),
                "caption": c["caption"],
                "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink": f"https://www.instagram.com/p/Stub{number}/",
                "media_type": "CAROUSEL_ALBUM" if c["kind"] == "CAROUSEL" else "IMAGE",
                "container": cid,
                "at": now,
            }
            self._media.append(post)
        return str(post["id"])

    def _listing(self, query: dict[str, str]) -> dict[str, Any]:
        wanted = (query.get("fields") or "id").split(",")
        limit, start = int(query.get("limit") or 25), int(query.get("after") or 0)
        with self._lock:
            newest = list(reversed(self._media))
        page = [{k: m[k] for k in wanted if k in m} for m in newest[start : start + limit]]
        body: dict[str, Any] = {"data": page}
        if start + limit < len(newest):
            body["paging"] = {
                "cursors": {"before": str(start), "after": str(start + limit)},
                "next": f"{self.url}/{self.version}/{self.user_id}/media?after={start + limit}",
            }
        return body


def _limit_error() -> dict[str, Any]:
    message = (
        "You reached maximum number of posts that is allowed to be published by Content "
        "Publishing API."
    )
    return graph_error(message, 9, subcode=2207042)
