"""A small stand-in for a Bluesky PDS, for the rush benchmark only: the XRPC calls the Bluesky
adapter makes to post text (``createSession``, ``refreshSession``, ``createRecord``, ``getRecord``),
each ``createRecord`` answered after ``latency_s``. The project's tests use a real PDS
(tests/servers/pds.py); it needs Node and takes seconds per account to set up, and has no way to
add latency, which is all the benchmark needs. Tokens are unsigned JWTs with an expiry (the SDK
reads it); every handle's password is ``app-password``.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PASSWORD = "app-password"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(did: str, scope: str, lifetime_s: int) -> str:
    now = int(time.time())
    head = _b64({"typ": "at+jwt", "alg": "ES256K"})
    body = _b64({"scope": scope, "sub": did, "iat": now, "exp": now + lifetime_s, "aud": did})
    return f"{head}.{body}.c2lnbmF0dXJl"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    stub: BlueskyStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.stub.handle(self, None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.stub.handle(self, json.loads(self.rfile.read(length) or b"{}"))

    def answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class BlueskyStub:
    def __init__(self, latency_s: float = 0.2) -> None:
        self.latency_s = latency_s
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.created: list[float] = []  # when each post was made
        self.sessions = 0
        self._lock = threading.Lock()
        self._cids = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> BlueskyStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def did(handle: str) -> str:
        return "did:plc:" + handle.split(".")[0].replace("-", "").lower().ljust(24, "x")[:24]

    def _session(self, handle: str) -> dict[str, Any]:
        did = self.did(handle)
        return {
            "did": did,
            "handle": handle,
            "accessJwt": _jwt(did, "com.atproto.access", 7200),
            "refreshJwt": _jwt(did, "com.atproto.refresh", 86400 * 60),
            "active": True,
        }

    def _caller(self, h: _Handler) -> str | None:
        auth = h.headers.get("Authorization", "")
        try:
            part = auth.removeprefix("Bearer ").split(".")[1]
            payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except (IndexError, ValueError):
            return None
        return str(payload["sub"])

    def handle(self, h: _Handler, body: dict[str, Any] | None) -> None:
        url = urlsplit(h.path)
        method = url.path.removeprefix("/xrpc/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method == "com.atproto.server.createSession":
            assert body is not None
            if body.get("password") != PASSWORD:
                h.answer(401, {"error": "AuthenticationRequired", "message": "Invalid password"})
                return
            with self._lock:
                self.sessions += 1
            h.answer(200, self._session(str(body["identifier"])))
            return
        caller = self._caller(h)
        if caller is None:
            h.answer(401, {"error": "AuthenticationRequired", "message": "no token"})
            return
        if method == "com.atproto.server.refreshSession":
            h.answer(200, self._session(caller.removeprefix("did:plc:") + ".stub"))
        elif method == "com.atproto.repo.createRecord":
            assert body is not None
            time.sleep(self.latency_s)  # the server's own latency, not a wait for something
            key = (str(body["repo"]), str(body.get("rkey")))
            with self._lock:
                cid = f"bafyreistub{next(self._cids):020d}"
                self.records[key] = {"cid": cid, "value": body["record"]}
                self.created.append(time.time())
            uri = f"at://{key[0]}/{body['collection']}/{key[1]}"
            h.answer(200, {"uri": uri, "cid": cid})
        elif method == "com.atproto.repo.getRecord":
            found = self.records.get((query.get("repo", ""), query.get("rkey", "")))
            if found is None:
                h.answer(400, {"error": "RecordNotFound", "message": "Could not locate record"})
            else:
                uri = f"at://{query['repo']}/{query.get('collection')}/{query['rkey']}"
                h.answer(200, {"uri": uri, **found})
        else:
            h.answer(400, {"error": "MethodNotImplemented", "message": method})
