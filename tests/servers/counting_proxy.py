"""A plain HTTP proxy on 127.0.0.1 in front of a server (the test PDS), counting the XRPC methods
called through it: how many ``com.atproto.server.createSession`` a week of runs costs.

Every request is passed on as it came (method, path, query, body, headers but ``Host``), and the
answer comes back as the server gave it.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.net import Serving

_SKIP = {"host", "connection", "content-length", "transfer-encoding", "accept-encoding"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: CountingProxy


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        proxy = self.server.proxy
        proxy.count(self.path.split("?")[0].removeprefix("/xrpc/"))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP}
        request = urllib.request.Request(
            proxy.target + self.path, data=body, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, answer_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, answer_headers, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in _SKIP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class CountingProxy:
    """``with CountingProxy(pds.url) as proxy:`` then point clients at ``proxy.url``."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._serving = Serving(_Handler, _Server, proxy=self)
        self.url = self._serving.url

    def count(self, nsid: str) -> None:
        with self._lock:
            self.calls[nsid] += 1

    def __getitem__(self, nsid: str) -> int:
        with self._lock:
            return self.calls[nsid]

    def __enter__(self) -> CountingProxy:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()
