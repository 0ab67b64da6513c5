"""X OAuth 2.0 user context with refresh tokens: renewing the access token before it expires.

X's access tokens last 2 hours; with the ``offline.access`` scope X also gives a refresh token,
exchanged at ``POST {api_base}/2/oauth2/token`` (``grant_type=refresh_token``, form-encoded; the
app's client id in the body, and for a confidential app its id and secret as HTTP Basic) for a new
access token *and a new refresh token*: each refresh token works once.

The token set lives in :mod:`clarion.tokens` (keyring or a 0600 file), never in the ledger. A
renewal (:func:`access_token`), under the account's lock so no two runs on a machine renew at once:

1. re-read the set (another run may just have renewed it); done if over :data:`MARGIN` is left;
2. save the set marked "renewing since ..." (so a run that dies from here on leaves a trace);
3. ``POST /2/oauth2/token``; 4. save X's answer at once (atomic, fsync'd) before anything uses it;
   the saved set replaces the marked one.

A crash before 3 reaches X leaves the old refresh token valid: the next run renews with it. A
crash after 4 leaves the new set saved: the next run uses it. Between X's answer and 4 (a few
milliseconds: nothing else happens there) the new refresh token exists only in the answer that was
lost; X then refuses the old one (``invalid_grant``) and the account is paused with words naming
``clarion accounts login x --oauth2`` and saying a run stopped while renewing. X gives no way to
get that token back: only a new authorisation does.

If renewal fails for a reason that is not X refusing the token (no answer, a 5xx), the current
access token is used while it lasts; the next run tries again.

``requests`` is imported inside functions only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets as random
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from clarion import failpoints
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.secrets import redact
from clarion.tokens import TokenSet, TokenStore, TokenStoreError, now

PLATFORM = "x"
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 (an address, not a secret)
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
#: Renew when less than this is left on the access token.
MARGIN = dt.timedelta(minutes=10)
#: X's answers that mean "this refresh token (or grant) is no good": renewing cannot succeed.
_REFUSED = ("invalid_grant", "invalid_request", "invalid_client", "unauthorized_client")


@dataclass(frozen=True)
class App:
    """The X developer app the account authorised (its OAuth 2.0 client)."""

    api_base: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class Access:
    """An access token to send as ``Bearer``."""

    token: str = field(repr=False)
    expires_at: dt.datetime | None
    #: True when this run renewed it.
    renewed: bool = False
    #: True when the set carries a refresh token (it can be renewed).
    renewable: bool = True


@dataclass(frozen=True)
class KeyProblem:
    """The token cannot be had: ``refused`` True means a person must log in again (pause the
    account); False means try again later (X could not be reached)."""

    reason: str
    refused: bool = True


def outcome(problem: KeyProblem) -> Failed | RetryLater:
    """A key that cannot be had: refused (pause the account) or not now (nothing was sent)."""
    if problem.refused:
        return Failed(problem.reason, auth=True)
    return RetryLater(problem.reason, before_send=True)


def login_command(account: str) -> str:
    extra = "" if account == "default" else f" --account {account}"
    return f"clarion accounts login x --oauth2{extra}"


# --- talking to the token endpoint ----------------------------------------------------------------


def _token_call(app: App, form: dict[str, str]) -> TokenSet | KeyProblem:
    """One ``POST /2/oauth2/token``: the new set, or why not."""
    import requests

    form = {**form, "client_id": app.client_id}
    auth = (app.client_id, app.client_secret) if app.client_secret else None
    url = app.api_base.rstrip("/") + TOKEN_PATH
    try:
        response = requests.post(url, data=form, auth=auth, timeout=app.timeout)
    except requests.exceptions.RequestException as exc:
        return KeyProblem(redact(f"could not reach X to renew the key: {exc}"), refused=False)
    failpoints.hit("x-token-after-refresh")
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200 and isinstance(body.get("access_token"), str):
        expires_in = body.get("expires_in")
        expires_at = (
            now() + dt.timedelta(seconds=int(expires_in))
            if isinstance(expires_in, int | float) and expires_in > 0
            else None
        )
        refresh = body.get("refresh_token")
        extra = {"scope": str(body["scope"])} if body.get("scope") else {}
        return TokenSet(
            access=body["access_token"],
            refresh=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=expires_at,
            extra=extra,
        ).register()
    error = str(body.get("error") or "")
    said = " ".join(str(body.get(k) or "") for k in ("error", "error_description")).strip()
    words = redact(f"X answered {response.status_code}" + (f": {said}" if said else ""))
    if response.status_code in (400, 401, 403) and (error in _REFUSED or not error):
        return KeyProblem(words, refused=True)
    return KeyProblem(f"X could not renew the key now ({words})", refused=False)


def exchange_code(app: App, code: str, verifier: str, redirect_uri: str) -> TokenSet | KeyProblem:
    """The first token set, from the code X's authorisation page gave (PKCE)."""
    return _token_call(
        app,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        },
    )


def exchange_refresh_token(app: App, refresh: str) -> TokenSet | KeyProblem:
    """A set from a refresh token pasted by a person (it is used up by this)."""
    got = _token_call(app, {"grant_type": "refresh_token", "refresh_token": refresh})
    return _keep_refresh(got, refresh)


def _keep_refresh(got: TokenSet | KeyProblem, old: str | None) -> TokenSet | KeyProblem:
    # With no new refresh token in the answer, the old one stays valid (RFC 6749 6).
    if isinstance(got, TokenSet) and got.refresh is None and old:
        return replace(got, refresh=old)
    return got


def authorization(
    app: App, redirect_uri: str, authorize_url: str = AUTHORIZE_URL
) -> tuple[str, str, str]:
    """(the address to open, state, PKCE verifier) for X's authorisation page."""
    verifier = random.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = random.token_urlsafe(24)
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    return f"{authorize_url}?{urlencode(query)}", state, verifier


# --- the token for a run ----------------------------------------------------------------------


def _renewal_refused(account: str, tokens: TokenSet, words: str) -> KeyProblem:
    stopped = ""
    if tokens.renewing_since is not None:
        stopped = (
            f" (a run renewing it at {tokens.renewing_since:%Y-%m-%d %H:%M} UTC stopped or got "
            "no answer, after X may already have replaced it)"
        )
    return KeyProblem(
        f"X refused to renew the OAuth 2.0 key of account {account!r}{stopped}: {words}. "
        f"Authorise Clarion again with `{login_command(account)}`"
    )


def access_token(
    store: TokenStore, account: str, app: App | None, *, stale: str | None = None
) -> Access | KeyProblem | None:
    """The access token to use now, renewed first when under :data:`MARGIN` is left (or when it
    equals ``stale``: X refused it). None when the account has no saved OAuth 2.0 set."""
    try:
        tokens = store.load(PLATFORM, account)
        if tokens is None:
            return None
        if not _needs_renewal(tokens, stale):
            return _access(tokens)
        with store.lock(PLATFORM, account):
            tokens = store.load(PLATFORM, account)  # another run may have renewed it meanwhile
            if tokens is None:
                return None
            if not _needs_renewal(tokens, stale):
                return _access(tokens)
            return _renew(store, account, app, tokens)
    except TokenStoreError as exc:
        return KeyProblem(str(exc))


def _needs_renewal(tokens: TokenSet, stale: str | None) -> bool:
    return (
        tokens.access == stale or tokens.expires_within(MARGIN) or tokens.renewing_since is not None
    )


def _access(tokens: TokenSet, renewed: bool = False) -> Access:
    return Access(tokens.access, tokens.expires_at, renewed, renewable=tokens.refresh is not None)


def _usable(tokens: TokenSet, stale: str | None = None) -> bool:
    expired = tokens.expires_at is not None and tokens.expires_at <= now()
    return not expired and tokens.access != stale


def _renew(
    store: TokenStore, account: str, app: App | None, tokens: TokenSet
) -> Access | KeyProblem:
    if not tokens.refresh:
        if _usable(tokens):
            return _access(tokens)
        return KeyProblem(
            f"the OAuth 2.0 key of X account {account!r} has expired and X gave no refresh token "
            f"(the offline.access scope); authorise Clarion again with `{login_command(account)}`"
        )
    if app is None:
        return KeyProblem(
            f"cannot renew the OAuth 2.0 key of X account {account!r}: its app's client id is "
            f"not set; run `{login_command(account)}`"
        )
    store.save(PLATFORM, account, replace(tokens, renewing_since=tokens.renewing_since or now()))
    failpoints.hit("x-token-before-refresh")
    got = _keep_refresh(
        _token_call(app, {"grant_type": "refresh_token", "refresh_token": tokens.refresh}),
        tokens.refresh,
    )
    if isinstance(got, KeyProblem):
        if got.refused:
            return _renewal_refused(account, tokens, got.reason)
        # Not refused: X may not have seen it. The old token stays (marked), the access token is
        # used while it lasts.
        if _usable(tokens):
            return _access(tokens)
        return got
    saved = store.save(PLATFORM, account, got)
    failpoints.hit("x-token-after-save")
    return _access(saved, renewed=True)
