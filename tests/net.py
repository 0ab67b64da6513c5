"""Loopback networking for the tests: free ports, and small HTTP servers run in a thread."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens now: free to bind, or to be refused on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Connecting to it is refused (nothing listens there).
closed_port = free_port


class Serving:
    """An HTTP server on 127.0.0.1 (a free port) answering from a background thread; a context
    manager, or ``start()`` / ``close()``. ``httpd`` is the server object, for handlers to reach
    shared state through ``self.server``."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        **state: Any,
    ) -> None:
        self.httpd = server_class(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        for name, value in state.items():
            setattr(self.httpd, name, value)
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Serving:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> Serving:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
