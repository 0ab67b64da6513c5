"""``clarion accounts login x --oauth2`` (:attr:`X.oauth2_login`): authorise Clarion on X once; the
key then renews itself.

What a comms worker can do: open a link, sign in to X as the organisation's account, click
"Authorize app". X then sends the browser to the app's callback address,
``http://127.0.0.1:PORT/callback``, which must be listed under the app's "Callback URI / Redirect
URL" in the X developer portal (User authentication settings, type "Native App" or "Web App").

* On the machine that runs Clarion (a laptop), a small listener on 127.0.0.1 (this command, only
  while it waits) receives that address: press Enter.
* From another computer (Clarion on a server, over SSH), the browser shows "cannot connect" on
  127.0.0.1: copy the address from its address bar and paste it here. It holds a one-time code
  that is worth nothing without this command's PKCE verifier.
* With ``--paste-refresh-token``, a refresh token got some other way is exchanged at once.

The token set goes to the token store (:mod:`clarion.tokens`); the app's client id (and secret,
for a confidential app) to the keyring like other keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

#: Prints a line for the person (``err=True``: on stderr).
Echo = Callable[..., None]

DEFAULT_PORT = 8765
_DONE = (
    b"<!doctype html><meta charset=utf-8><title>Clarion</title>"
    b"<p>Clarion has the authorisation. Go back to the terminal and press Enter.</p>"
)


class _Listener:
    """Receives the browser's visit to ``http://127.0.0.1:PORT/callback`` (in a thread)."""

    def __init__(self, port: int) -> None:
        received: list[str] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != "/callback":
                    self.send_error(404)
                    return
                received.append(f"http://127.0.0.1:{port}{self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(_DONE)))
                self.end_headers()
                self.wfile.write(_DONE)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _code(address: str, state: str) -> str | None:
    """The code in the callback address, when its state is ours."""
    query = parse_qs(urlsplit(address.strip()).query)
    if query.get("state", [""])[0] != state:
        return None
    return query.get("code", [""])[0] or None


def login(account: str, *, port: int = DEFAULT_PORT, paste: bool = False, echo: Echo) -> int:
    """The whole OAuth 2.0 login of an X account (see the module's doc); the exit status."""
    from clarion import credentials
    from clarion.platforms.x import _client, _oauth2
    from clarion.platforms.x.adapter import XAdapter
    from clarion.secrets import redact
    from clarion.tokens import TokenStore, TokenStoreError

    names = ("api_base", "client_id", "client_secret")
    found = credentials.load(
        _oauth2.PLATFORM, account, names=names, public=("api_base", "client_id")
    )
    base = (found.get("api_base") or _client.DEFAULT_API_BASE).rstrip("/")
    typed: dict[str, str] = {}
    for name, hide, words in (
        ("client_id", False, "OAuth 2.0 client id (X developer portal: Keys and tokens)"),
        ("client_secret", True, "client secret (only for a confidential app; else Enter)"),
    ):
        variable = credentials.env_name(_oauth2.PLATFORM, account, name)
        hint = " [have it]" if found.get(name) else ""
        value = click.prompt(
            f"  {words} ({variable}){hint}", default="", show_default=False, hide_input=hide
        ).strip()
        if value:
            typed[name] = value
    client_id = typed.get("client_id") or found.get("client_id")
    if not client_id:
        echo("An OAuth 2.0 client id is needed: nothing was saved.", err=True)
        return 1
    secret = typed.get("client_secret") or found.get("client_secret")
    x_app = _oauth2.App(base, client_id, secret)
    if paste:
        refresh = click.prompt("  refresh token", hide_input=True).strip()
        got = _oauth2.exchange_refresh_token(x_app, refresh)
    else:
        got = _authorise(echo, x_app, base, port)
    if isinstance(got, _oauth2.KeyProblem):
        echo(f"X did not give Clarion a key: {redact(got.reason)}", err=True)
        return 1
    if not got.refresh:
        echo(
            "X gave no refresh token: the app did not ask for offline.access, so the key would "
            "stop working within 2 hours. Nothing was saved.",
            err=True,
        )
        return 1
    try:
        store = TokenStore()
        store.save(_oauth2.PLATFORM, account, got)
    except TokenStoreError as exc:
        echo(str(exc), err=True)
        return 1
    echo(f"Saved X's OAuth 2.0 key in {store.where(_oauth2.PLATFORM, account)}; it renews itself.")
    if typed:
        try:
            credentials.store(_oauth2.PLATFORM, account, typed)
        except credentials.CredentialsError as exc:
            echo(redact(str(exc)), err=True)
    status = XAdapter(account).check()
    if status.ok:
        echo(f"X account {account!r} can post as {status.posts_as}.")
        return 0
    echo(f"X account {account!r} cannot post: {redact(status.problem or '')}", err=True)
    return 1


def _authorise(echo: Echo, x_app: Any, base: str, port: int) -> Any:
    from clarion.platforms.x import _client, _oauth2

    redirect = f"http://127.0.0.1:{port}/callback"
    page = _oauth2.AUTHORIZE_URL
    if base != _client.DEFAULT_API_BASE:  # a test server (CLARION_X_API_BASE) serves it too
        page = f"{base}/i/oauth2/authorize"
    address, state, verifier = _oauth2.authorization(x_app, redirect, page)
    try:
        listener: _Listener | None = _Listener(port)
    except OSError:
        listener = None
        echo(f"(Port {port} is busy here: paste the address from the browser instead.)")
    echo("Open this link, sign in to X as the account, and click 'Authorize app':")
    echo(f"\n  {address}\n")
    try:
        for _ in range(5):
            pasted = click.prompt(
                "Then press Enter (or paste the address your browser shows)",
                default="",
                show_default=False,
            ).strip()
            candidates = [pasted] if pasted else list(listener.received if listener else [])
            codes = [c for c in (_code(a, state) for a in candidates) if c]
            if codes:
                return _oauth2.exchange_code(x_app, codes[-1], verifier, redirect)
            echo(
                "Clarion has not received X's answer yet: click 'Authorize app' first, or paste "
                f"the whole address (it starts with {redirect}?state=)."
            )
    finally:
        if listener is not None:
            listener.close()
    return _oauth2.KeyProblem("no authorisation was received")
