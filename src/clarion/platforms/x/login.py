"""``clarion accounts login x --oauth2``: authorise Clarion on X once; the key then renews itself.

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

from clarion.cli.context import AppContext

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


def login(app: AppContext, account: str, port: int, paste_refresh: bool) -> None:
    """The whole OAuth 2.0 login of an X account (see the module's doc)."""
    from clarion import credentials
    from clarion.platforms.x import _client, _oauth2
    from clarion.platforms.x.adapter import XAdapter
    from clarion.secrets import redact
    from clarion.tokens import TokenStore, TokenStoreError

    found = credentials.load("x", account, names=("api_base", "client_id", "client_secret"))
    base = (found.get("api_base") or _client.DEFAULT_API_BASE).rstrip("/")
    typed: dict[str, str] = {}
    for name, hide, words in (
        ("client_id", False, "OAuth 2.0 client id (X developer portal: Keys and tokens)"),
        ("client_secret", True, "client secret (only for a confidential app; else Enter)"),
    ):
        variable = credentials.env_name("x", account, name)
        hint = " [have it]" if found.get(name) else ""
        value = click.prompt(
            f"  {words} ({variable}){hint}", default="", show_default=False, hide_input=hide
        ).strip()
        if value:
            typed[name] = value
    client_id = typed.get("client_id") or found.get("client_id")
    if not client_id:
        app.echo("An OAuth 2.0 client id is needed: nothing was saved.", err=True)
        raise SystemExit(1)
    secret = typed.get("client_secret") or found.get("client_secret")
    x_app = _oauth2.App(base, client_id, secret)
    if paste_refresh:
        refresh = click.prompt("  refresh token", hide_input=True).strip()
        got = _oauth2.exchange_refresh_token(x_app, refresh)
    else:
        got = _authorise(app, x_app, base, port)
    if isinstance(got, _oauth2.KeyProblem):
        app.echo(f"X did not give Clarion a key: {redact(got.reason)}", err=True)
        raise SystemExit(1)
    if not got.refresh:
        app.echo(
            "X gave no refresh token: the app did not ask for offline.access, so the key would "
            "stop working within 2 hours. Nothing was saved.",
            err=True,
        )
        raise SystemExit(1)
    try:
        store = TokenStore()
        store.save("x", account, got)
    except TokenStoreError as exc:
        app.echo(str(exc), err=True)
        raise SystemExit(1) from None
    app.echo(f"Saved X's OAuth 2.0 key in {store.where('x', account)}; it renews itself.")
    if typed:
        try:
            credentials.store("x", account, typed)
        except credentials.CredentialsError as exc:
            app.echo(redact(str(exc)), err=True)
    status = XAdapter(account).check()
    if status.ok:
        app.echo(f"X account {account!r} can post as {status.posts_as}.")
        return
    app.echo(f"X account {account!r} cannot post: {redact(status.problem or '')}", err=True)
    raise SystemExit(1)


def _authorise(app: AppContext, x_app: Any, base: str, port: int) -> Any:
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
        app.echo(f"(Port {port} is busy here: paste the address from the browser instead.)")
    app.echo("Open this link, sign in to X as the account, and click 'Authorize app':")
    app.echo(f"\n  {address}\n")
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
            app.echo(
                "Clarion has not received X's answer yet: click 'Authorize app' first, or paste "
                f"the whole address (it starts with {redirect}?state=)."
            )
    finally:
        if listener is not None:
            listener.close()
    return _oauth2.KeyProblem("no authorisation was received")
