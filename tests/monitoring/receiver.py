"""A heartbeat receiver on 127.0.0.1, as a cron-monitoring service would be: it counts the pings
(method, path, User-Agent) and answers 200, or what it is told to answer."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.net import Serving

#: Looks like nothing a generic secret pattern catches: only its registration hides it.
TOKEN = "hb7Kq2-push-4d1e9a"


@dataclass(frozen=True)
class Heard:
    method: str
    path: str
    agent: str


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.heard.append(Heard("GET", self.path, self.headers.get("User-Agent", "")))
            status = self.server.status
        body = b"OK" if status == 200 else b"no"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver(Serving):
    def __init__(self) -> None:
        super().__init__(_Handler, heard=[], lock=threading.Lock(), status=200)
        self.ping_url = f"{self.url}/ping/{TOKEN}"

    @property
    def heard(self) -> list[Heard]:
        with self.httpd.lock:
            return list(self.httpd.heard)

    def answer(self, status: int) -> None:
        with self.httpd.lock:
            self.httpd.status = status

    def wait_for(self, n: int, timeout: float = 20) -> list[Heard]:
        """Poll until ``n`` pings were heard (a deadline, never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while len(self.heard) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"heard {len(self.heard)} pings, waited for {n}")
            time.sleep(0.02)
        return self.heard
