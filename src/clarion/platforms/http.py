"""One HTTP request with ``requests``, for the adapters that speak a platform's HTTP API
themselves (the Graph API, Threads, LinkedIn): a timeout on connecting and on every read, no
redirects followed, and what came back as a typed :class:`Answer`, or :class:`NoAnswer` saying
whether the request may have reached the platform (:func:`clarion.platforms.transport.never_sent`).
Each platform's module adds its own headers and reads its own error bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.platforms import transport

__all__ = ["Answer", "NoAnswer", "request"]


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer."""

    status: int
    data: Any  # the JSON body, or None when it was not JSON
    headers: Mapping[str, str]
    text: str

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body when it is an object, else an empty one."""
        return self.data if isinstance(self.data, dict) else {}


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """No HTTP answer. ``sent``: False when the request cannot have left (connection refused,
    host not found, connect timeout); True when it may have reached the platform (read timeout,
    connection dropped after sending)."""

    sent: bool
    reason: str


def request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    *,
    params: Mapping[str, str] | None = None,
    data: Any = None,
    files: Mapping[str, tuple[str, Any, str]] | None = None,
) -> Answer | NoAnswer:
    """Send one request; ``data`` is a form (sent in its own order) or the raw body."""
    import requests

    try:
        resp = requests.request(
            method,
            url,
            params=params,
            data=data,
            files=files,
            headers=dict(headers),
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.exceptions.ReadTimeout:
        return NoAnswer(True, f"no answer within {timeout:g} s")
    except requests.exceptions.RequestException as exc:
        return NoAnswer(not transport.never_sent(exc), f"{type(exc).__name__}: {exc}")
    try:
        body: Any = resp.json()
    except ValueError:
        body = None
    return Answer(resp.status_code, body, resp.headers, resp.text)
