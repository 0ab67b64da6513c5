"""Bluesky sessions kept between runs, so a week of cron runs logs in a handful of times.

A PDS allows 30 ``com.atproto.server.createSession`` calls per 5 minutes and 300 a day per
account; a session's access JWT lasts a couple of hours, its refresh JWT weeks. So the session
(``accessJwt``, ``refreshJwt``, with the DID, handle and service it belongs to) is kept in the
token store (:mod:`clarion.tokens`: the keyring or a 0600 file, never the ledger), and a run:

1. reuses the saved session while its access JWT has over :data:`MARGIN` left;
2. else renews it with ``com.atproto.server.refreshSession`` (under the account's lock, after
   reading the store again: another run may just have done it) and saves the new pair at once;
3. logs in with the app password (``createSession``) only when there is no saved session, it
   belongs to another handle or service, or the PDS refuses to renew it (expired, revoked).

A session the PDS refuses mid-run (``ExpiredToken``/``InvalidToken``) is renewed the same way.
The SDK is imported by the caller; this module only shapes what is saved.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clarion.platforms.bluesky._xrpc import api_error
from clarion.tokens import TokenSet, TokenStore, TokenStoreError

log = logging.getLogger("clarion.platforms.bluesky")

PLATFORM = "bluesky"
#: Renew when less than this is left (more than the SDK's own 15 minutes, so it never renews
#: behind the store's back within a run).
MARGIN = dt.timedelta(minutes=20)


@dataclass(frozen=True)
class Session:
    """What the SDK needs to act as the account (``atproto_client`` ``Session``'s fields)."""

    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)


def jwt_expiry(token: str) -> dt.datetime | None:
    """The ``exp`` claim of a JWT (not verified: only to know when to renew), or None."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return dt.datetime.fromtimestamp(float(claims["exp"]), dt.UTC)
    except (IndexError, ValueError, KeyError, TypeError, OverflowError):
        return None


def fingerprint(password: str | None) -> str:
    """A short hash of the app password the session was made with: a changed password (set by a
    person) means a new login, not the old session. (An app password has ~80 random bits: its
    hash gives nothing away, and it is kept beside tokens that are worth more.)"""
    if not password:
        return ""
    return hashlib.sha256(f"clarion-bluesky:{password}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Login:
    """Whose session: the service, the handle and the app password as configured."""

    account: str
    service: str
    handle: str
    password: str | None = field(default=None, repr=False)

    def matches(self, tokens: TokenSet) -> bool:
        extra = tokens.extra
        same = extra.get("service") == self.service
        same = same and extra.get("login", "").lower() == self.handle.lower()
        return same and (not self.password or extra.get("password") == fingerprint(self.password))


def saved(store: TokenStore, login: Login) -> TokenSet | None:
    """The account's saved session, if it is one for this service, handle and app password."""
    found = store.load(PLATFORM, login.account)
    if found is None or not found.refresh or not login.matches(found):
        return None
    return found


def fresh(tokens: TokenSet) -> bool:
    return not tokens.expires_within(MARGIN)


def _shape(answer: Any) -> Session:
    """A ``createSession``/``refreshSession`` answer (SDK model or dict) as a :class:`Session`."""

    def get(name: str) -> Any:
        return answer.get(name) if isinstance(answer, dict) else getattr(answer, name, None)

    return Session(
        did=str(get("did")),
        handle=str(get("handle")),
        access_jwt=str(get("access_jwt") or get("accessJwt")),
        refresh_jwt=str(get("refresh_jwt") or get("refreshJwt")),
    )


def save(store: TokenStore, login: Login, answer: Any) -> Session:
    """Keep a ``createSession``/``refreshSession`` answer; the session."""
    session = _shape(answer)
    extra = {"service": login.service, "login": login.handle, "did": session.did}
    extra.update(handle=session.handle, password=fingerprint(login.password))
    tokens = TokenSet(
        session.access_jwt, session.refresh_jwt, jwt_expiry(session.access_jwt), extra
    )
    store.save(PLATFORM, login.account, tokens)
    return session


def session_of(tokens: TokenSet) -> Session:
    return Session(
        did=tokens.extra.get("did", ""),
        handle=tokens.extra.get("handle", ""),
        access_jwt=tokens.access,
        refresh_jwt=tokens.refresh or "",
    )


def keeper(store: TokenStore, login: Login) -> Callable[[Any, Any], None]:
    """A callback for the SDK's ``on_session_change``: saves a session it renewed by itself."""

    def keep(_event: Any, session: Any) -> None:
        try:
            save(store, login, session)
        except TokenStoreError as exc:
            log.warning("Bluesky session not kept between runs: %s", exc)

    return keep


def renew(client: Any, refresh: str) -> Any:
    """``com.atproto.server.refreshSession``; None when the server refuses (log in again)."""
    try:
        return client.com.atproto.server.refresh_session(
            headers={"Authorization": f"Bearer {refresh}"}, ignore_session_check=True
        )
    except Exception as exc:
        err = api_error(exc)
        if err is not None and err.status is not None and 400 <= err.status < 500:
            log.info("Bluesky refused to renew the saved session (%s)", err.words())
            return None
        raise


def establish(
    store: TokenStore | None,
    login: Login,
    *,
    refused: str | None,
    renew: Callable[[str], Any],
    create: Callable[[], Any],
) -> Session:
    """The session to use: the saved one while fresh (and not ``refused``: the access JWT the
    server just turned down), else renewed with ``renew(refresh_jwt)``, else ``create()``d;
    whatever is new is saved before it is used."""
    if store is None:
        return _shape(create())
    try:
        kept = saved(store, login)
        if kept is not None and fresh(kept) and kept.access != refused:
            return session_of(kept)
        with store.lock(PLATFORM, login.account):
            kept = saved(store, login)  # another run may have renewed it meanwhile
            if kept is not None and fresh(kept) and kept.access != refused:
                return session_of(kept)
            renewed = renew(kept.refresh) if kept is not None and kept.refresh else None
            return save(store, login, renewed or create())
    except TokenStoreError as exc:
        log.warning("Bluesky session not kept between runs: %s", exc)
        return _shape(create())
