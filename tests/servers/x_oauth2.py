"""The OAuth 2.0 part of the X stub (:mod:`tests.servers.x_stub`): user access tokens that expire,
refresh tokens that work once, as X's do.

* ``POST /2/oauth2/token`` (form-encoded, the app's ``client_id`` in the body; for a confidential
  app, HTTP Basic with its id and secret): ``grant_type=refresh_token`` answers a new access token
  (``expires_in``: :attr:`OAuth2Server.lifetime_s`, 7200 like X unless set) and a **new** refresh
  token, and the one sent stops working; a used, unknown or revoked one is answered 400
  ``invalid_request`` with X's words. ``grant_type=authorization_code`` takes a code from the
  authorisation page with its PKCE ``code_verifier`` (S256) and ``redirect_uri``.
* ``GET /i/oauth2/authorize``: the authorisation page, approved at once: 302 to ``redirect_uri``
  with ``code`` and ``state`` (what X does after the person clicks "Authorize app").
* :meth:`OAuth2Server.authorized`: whether a Bearer token is a live access token; an expired one
  is refused with 401 by the stub, like X. The stub's clock can be moved on
  (:meth:`OAuth2Server.advance`) so tests never wait for two hours.

Faults (:meth:`XStub.fault` on ``"POST /2/oauth2/token"``): ``error`` (503, nothing renewed) and
``drop_after`` (renewed, then the answer is lost: the new refresh token never reaches the client).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

TOKEN = "/2/oauth2/token"
AUTHORIZE = "/i/oauth2/authorize"
INVALID = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
}


class _Handler(Protocol):
    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None: ...
    def drop(self) -> None: ...


@dataclass
class OAuth2Server:
    client_id: str = "stub-oauth2-client-id"
    #: Set for a confidential app (then HTTP Basic is required on the token endpoint).
    client_secret: str | None = None
    lifetime_s: int = 7200
    #: Seconds added to the real clock (:meth:`advance`).
    offset_s: float = 0.0
    #: access token -> when it expires (the stub's clock).
    access: dict[str, float] = field(default_factory=dict)
    #: Refresh tokens that still work.
    refresh: set[str] = field(default_factory=set)
    #: Refresh tokens already used (refused if sent again).
    used: set[str] = field(default_factory=set)
    #: How many renewals were answered with new tokens.
    renewals: int = 0
    #: code -> (code challenge, redirect_uri).
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset_s += seconds

    def issue(self) -> dict[str, Any]:
        """A new token pair, as X's token endpoint answers it."""
        n = next(self._ids)
        access, refresh = f"stub-x-access-{n:04d}-a1b2c3", f"stub-x-refresh-{n:04d}-d4e5f6"
        self.access[access] = self.now() + self.lifetime_s
        self.refresh.add(refresh)
        return {
            "token_type": "bearer",
            "expires_in": self.lifetime_s,
            "access_token": access,
            "scope": "tweet.write users.read tweet.read offline.access media.write",
            "refresh_token": refresh,
        }

    def seed(self) -> dict[str, Any]:
        with self._lock:
            return self.issue()

    def authorized(self, token: str) -> bool:
        with self._lock:
            expires = self.access.get(token)
            return expires is not None and self.now() < expires

    def live_refresh(self) -> set[str]:
        with self._lock:
            return set(self.refresh)

    @staticmethod
    def handles(path: str) -> bool:
        return path in (TOKEN, AUTHORIZE)

    def serve(
        self,
        h: _Handler,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        fault: str | None,
    ) -> None:
        if path == AUTHORIZE:
            self._authorize(h, query)
            return
        if fault == "error":
            h.answer(503, {"title": "Service Unavailable", "status": 503})
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        status, answer = self._token(form, headers)
        if fault == "drop_after":
            h.drop()
            return
        h.answer(status, answer)

    def _client_ok(self, form: dict[str, str], headers: dict[str, str]) -> bool:
        if self.client_secret is None:
            return form.get("client_id") == self.client_id
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return headers.get("Authorization") == "Basic " + base64.b64encode(pair).decode()

    def _token(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        if not self._client_ok(form, headers):
            return 401, {
                "error": "unauthorized_client",
                "error_description": "Missing valid authorization header",
            }
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                token = form.get("refresh_token", "")
                if token not in self.refresh:
                    return 400, INVALID
                self.refresh.discard(token)
                self.used.add(token)
                self.renewals += 1
                return 200, self.issue()
            if form.get("grant_type") == "authorization_code":
                code = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if code is None or code != (challenge, form.get("redirect_uri", "")):
                    return 400, INVALID
                return 200, self.issue()
        return 400, {"error": "unsupported_grant_type"}

    def _authorize(self, h: _Handler, query: dict[str, list[str]]) -> None:
        got = {k: v[0] for k, v in query.items()}
        scopes = set(got.get("scope", "").split())
        if got.get("client_id") != self.client_id or "offline.access" not in scopes:
            h.answer(400, {"error": "invalid_request"})
            return
        code = f"stub-code-{next(self._ids)}"
        with self._lock:
            self.codes[code] = (got.get("code_challenge", ""), got.get("redirect_uri", ""))
        target = (
            got["redirect_uri"] + "?" + urlencode({"state": got.get("state", ""), "code": code})
        )
        h.answer(302, {"redirect": target}, {"Location": target})
