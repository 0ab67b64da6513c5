"""A webhook receiver on 127.0.0.1: records every JSON body POSTed to it (apprise's ``json://``).

``Webhook()`` is a context manager; :attr:`url` is the ``json://`` target for ``CLARION_NOTIFY``
(``path`` after the port), :meth:`wait_for` polls with a deadline until ``n`` messages came.
Set :attr:`status` to answer with an error (a notifier that refuses).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.net import Serving


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        hook: Webhook = self.server.hook  # type: ignore[attr-defined]
        with hook.lock:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            hook.received.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        self.send_response(hook.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class Webhook:
    def __init__(self, path: str = "/clarion-alerts") -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.status = 200
        self.path = path
        self._serving = Serving(_Handler, hook=self)
        self.port = self._serving.port

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}{self.path}"

    def messages(self) -> list[dict[str, Any]]:
        """Each message: apprise's JSON (``title``, ``message``, ``type``...)."""
        with self.lock:
            return [dict(r["body"]) for r in self.received]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"webhook got {len(self.received)} of {n} messages")
            time.sleep(0.01)
        return self.messages()

    def __enter__(self) -> Webhook:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()
