"""A stub of LinkedIn's versioned REST API (Page posting), on 127.0.0.1 from a background thread.

It implements what Clarion's LinkedIn adapter uses, with the documented shapes
(learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api, images-api,
multiimage-post-api, organizations/organization-lookup-api; errors as
learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling):

* ``POST /rest/images?action=initializeUpload`` -> ``{"value": {"uploadUrlExpiresAt",
  "uploadUrl", "image"}}``; ``PUT /upload/{n}`` (the upload URL) keeps the bytes' SHA-256 -> 201;
* ``POST /rest/posts`` -> 201, empty body, the post's URN in ``x-restli-id``;
* ``GET /rest/posts?author=URN&q=author&count=&start=`` -> ``{"elements", "paging"}``, newest
  first;
* ``GET /rest/organizations/{id}`` -> the organisation (``localizedName``, ``vanityName``).

Every request is checked as LinkedIn would: ``Authorization: Bearer`` with the right token (401),
``X-Restli-Protocol-Version: 2.0.0`` and a ``Linkedin-Version`` of six digits (400), a version in
:attr:`LinkedInStub.retired` (426), the author and image owner the organisation (403), the post's
required fields, its images (uploaded, owned, 2 to 20 for multiImage, alt text of at most 4,086
characters) and its commentary: an unescaped little-text reserved character is refused (422;
LinkedIn itself cuts the post there, which a test could not see), by this module's own reading of
the little grammar, not Clarion's. A repeat of a post's commentary gets LinkedIn's 422 duplicate.

Every request is recorded (:meth:`LinkedInStub.requests`: method, path, query, headers, raw body,
parsed JSON, the step applied). Faults are injected per endpoint (``images``, ``upload``,
``posts``, ``list``, ``organizations``) with :meth:`LinkedInStub.fail`, one step per request:
``429`` (with ``Retry-After`` when :attr:`retry_after` is set), ``500``, ``slow`` (done, answered
after :attr:`slow_s`), ``drop`` (closed before anything is done), ``drop-after`` (done, then
closed), ``revoked`` (401), ``retired`` (426), ``forbidden`` (403), ``empty`` (``list`` only).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.net import Serving

ENDPOINTS = frozenset({"images", "upload", "posts", "list", "organizations"})
STEPS = frozenset(
    {"ok", "429", "500", "slow", "drop", "drop-after", "revoked", "retired", "forbidden", "empty"}
)
#: The little format's reserved characters, and what may stand where one is (an escape, a
#: hashtag template, a mention), as the little-text-format page's grammar writes them.
RESERVED = set("\\|{}@[]()<>#*_~")
_LITTLE_OK = re.compile(
    r"\\[\\|{}@\[\]()<>#*_~]"
    r"|\{hashtag\|[#\uff03]\|[^\\|{}@\[\]()<>#*_~]+\}"
    r"|@\[(?:\\.|[^\]\\])*\]\(urn:li:(?:person|organization):[A-Za-z0-9_-]+\)"
)


def error(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    """LinkedIn's documented error shape."""
    return {"message": message, "serviceErrorCode": code if code is not None else status,
            "status": status}  # fmt: skip


def little_problem(text: str) -> str | None:
    """Where ``text`` breaks the little format (an unescaped reserved character), else None."""
    at = 0
    while at < len(text):
        m = _LITTLE_OK.match(text, at)
        if m:
            at = m.end()
        elif text[at] in RESERVED:
            return f"unescaped reserved character {text[at]!r} at position {at}"
        else:
            at += 1
    return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: LinkedInStub


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection: a drop affects only that one

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode() if data is not None else b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the client gave up (a read timeout)
            self.close_connection = True

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self.server.stub._handle(self, b"")

    def do_POST(self) -> None:
        self.server.stub._handle(self, self._body())

    def do_PUT(self) -> None:
        self.server.stub._handle(self, self._body())


class LinkedInStub:
    """The stub server; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        token: str,
        organization_id: str = "2414183",
        name: str = "Clarion Test Page",
        version: str | None = None,
    ) -> None:
        from clarion.platforms.linkedin import LINKEDIN_VERSION

        self.token = token
        self.organization_id = organization_id
        self.name = name
        #: Linkedin-Version values answered 426 (sunset).
        self.retired: set[str] = {"202201", "202306"}
        self.version = version or LINKEDIN_VERSION
        #: ``Retry-After`` seconds sent with a 429; None: none.
        self.retry_after: int | None = None
        self.slow_s = 5.0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._scripts: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
        self._requests: list[dict[str, Any]] = []
        self._posts: list[dict[str, Any]] = []
        self._images: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, str] = {}  # upload number -> image urn
        self._ids = itertools.count(7_000_000_000_000_000_001)
        self._serving = Serving(_Handler, _HTTPServer, stub=self)

    @property
    def url(self) -> str:
        return self._serving.url

    @property
    def author(self) -> str:
        return f"urn:li:organization:{self.organization_id}"

    def start(self) -> LinkedInStub:
        self._serving.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._serving.close()

    def __enter__(self) -> LinkedInStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fail(self, endpoint: str, *steps: str) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {sorted(ENDPOINTS)}")
        for step in steps:
            if step not in STEPS:
                raise ValueError(f"unknown step {step!r}; known: {sorted(STEPS)}")
        with self._lock:
            self._scripts[endpoint].extend(steps)

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests if endpoint in (None, r["endpoint"])]

    def posts(self) -> list[dict[str, Any]]:
        """Published posts, oldest first."""
        with self._lock:
            return [dict(p) for p in self._posts]

    def images(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: dict(v) for k, v in self._images.items()}

    # --- handling -----------------------------------------------------------------------------

    def _endpoint(self, method: str, path: str, query: dict[str, str]) -> str:
        if (
            method == "POST"
            and path == "/rest/images"
            and query.get("action") == "initializeUpload"
        ):
            return "images"
        if method == "PUT" and re.fullmatch(r"/upload/\d+", path):
            return "upload"
        if path == "/rest/posts":
            return {"POST": "posts", "GET": "list"}.get(method, "")
        if method == "GET" and path == f"/rest/organizations/{self.organization_id}":
            return "organizations"
        return ""

    def _handle(self, h: _Handler, body: bytes) -> None:
        split = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        endpoint = self._endpoint(h.command, split.path, query)
        parsed: Any = None
        if body and endpoint != "upload":
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        with self._lock:
            script = self._scripts.get(endpoint) or []
            step = script.pop(0) if script else "ok"
            self._requests.append(
                {
                    "method": h.command,
                    "path": split.path,
                    "endpoint": endpoint,
                    "query": query,
                    "headers": dict(h.headers.items()),
                    "body": body,
                    "json": parsed,
                    "step": step,
                }
            )
        status, answer, headers = self._checked(h, endpoint, step)
        if status:
            h.send_json(status, answer, headers)
            return
        if step == "drop":
            h.close_connection = True
            return
        status, answer, headers = self._answer(endpoint, split.path, query, body, parsed, step)
        if step == "drop-after":
            h.close_connection = True
            return
        if step == "slow":
            self._closing.wait(self.slow_s)  # the platform's own slowness, not a test waiting
        h.send_json(status, answer, headers)

    def _checked(self, h: _Handler, endpoint: str, step: str) -> tuple[int, Any, dict[str, str]]:
        """The refusal every request gets before anything is done; (0, None, {}) when none."""
        if not endpoint:
            return 404, error(404, f"Resource {h.path} does not exist"), {}
        if (h.headers.get("Authorization") or "") != f"Bearer {self.token}" or step == "revoked":
            return 401, error(401, "Invalid access token", 65600), {}
        version = h.headers.get("Linkedin-Version") or ""
        if not version:
            return 400, error(400, "A version must be present. Please specify a version "
                              "by adding the LinkedIn-Version header.", 100), {}  # fmt: skip
        if version in self.retired or step == "retired":
            return 426, error(426, f"Requested version {version} is not active", 100), {}
        if not re.fullmatch(r"\d{6}", version):
            return 400, error(400, f"Invalid version {version}", 100), {}
        if h.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return 400, error(400, "X-Restli-Protocol-Version 2.0.0 is required", 100), {}
        if step == "forbidden":
            return 403, error(403, "Not enough permissions to access: "
                              "partnerApiPostsExternal.CREATE.20260301", 100), {}  # fmt: skip
        if step == "429":
            extra = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
            return 429, error(429, "Resource level throttle APPLICATION DAY limit for calls "
                              "to this resource is reached.", 101), extra  # fmt: skip
        if step == "500":
            return 500, error(500, "Internal Server Error"), {}
        return 0, None, {}

    def _answer(
        self, endpoint: str, path: str, query: dict[str, str], body: bytes, parsed: Any, step: str
    ) -> tuple[int, Any, dict[str, str]]:
        if endpoint == "upload":
            with self._lock:
                urn = self._uploads.get(path.rsplit("/", 1)[1])
                if urn is None:
                    return 404, error(404, "Unknown upload"), {}
                self._images[urn]["sha256"] = hashlib.sha256(body).hexdigest()
                self._images[urn]["bytes"] = len(body)
            return 201, None, {}
        if endpoint == "organizations":
            return 200, {"id": int(self.organization_id), "localizedName": self.name,
                         "vanityName": "clarion-test-page"}, {}  # fmt: skip
        if endpoint == "list":
            return self._listing(query, step)
        if not isinstance(parsed, dict):
            return 400, error(400, "Request body is not valid JSON"), {}
        if endpoint == "images":
            owner = (parsed.get("initializeUploadRequest") or {}).get("owner")
            if owner != self.author:
                return 403, error(403, f"Not enough permissions to upload for {owner}"), {}
            with self._lock:
                number = str(len(self._uploads) + 1)
                urn = f"urn:li:image:C4D10AQ{number:0>9}"
                self._uploads[number] = urn
                self._images[urn] = {"owner": owner, "sha256": None, "bytes": 0}
            value = {"uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                     "uploadUrl": f"{self.url}/upload/{number}", "image": urn}  # fmt: skip
            return 200, {"value": value}, {}
        return self._create(parsed)

    def _create(self, post: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        for field in ("author", "commentary", "visibility", "distribution", "lifecycleState"):
            if field not in post:
                return 422, error(422, f"/{field} :: field is required but not found"), {}
        if post["author"] != self.author:
            return 403, error(403, f"Not enough permissions to post as {post['author']}"), {}
        problem = little_problem(str(post["commentary"]))
        if problem:
            return 422, error(422, f"/commentary :: {problem}"), {}
        content = post.get("content") or {}
        media = [content["media"]] if "media" in content else []
        if "multiImage" in content:
            media = list(content["multiImage"].get("images") or [])
            if not 2 <= len(media) <= 20:
                return 422, error(422, "/content/multiImage/images :: 2 to 20 images"), {}
        with self._lock:
            for m in media:
                image = self._images.get(str(m.get("id")))
                if image is None or image["sha256"] is None:
                    return 422, error(422, f"/content :: image {m.get('id')} not uploaded"), {}
                if len(str(m.get("altText") or "")) > 4086:
                    return 422, error(422, "/content :: altText longer than 4086"), {}
            for old in self._posts:
                if old["commentary"] == post["commentary"]:
                    return 422, error(422, f"Content is a duplicate of {old['id']}"), {}
            urn = f"urn:li:share:{next(self._ids)}"
            self._posts.append({**post, "id": urn, "createdAt": int(time.time() * 1000)})
        return 201, None, {"x-restli-id": urn}

    def _listing(self, query: dict[str, str], step: str) -> tuple[int, Any, dict[str, str]]:
        if query.get("q") != "author" or query.get("author") != self.author:
            return 400, error(400, "q=author and the author's URN are required"), {}
        count = int(query.get("count") or 10)
        start = int(query.get("start") or 0)
        with self._lock:
            newest = [] if step == "empty" else list(reversed(self._posts))
        page = newest[start : start + count]
        return 200, {"elements": page, "paging": {"start": start, "count": count,
                                                  "links": []}}, {}  # fmt: skip
