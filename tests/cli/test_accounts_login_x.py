"""``clarion accounts login x --oauth2``: the first OAuth 2.0 key, from X's authorisation page (the
browser's visit to the callback on 127.0.0.1, or the address pasted) or a pasted refresh token,
kept in the token store; the X stub plays X (tests/servers/x_oauth2.py)."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.cli import cli
from clarion.settings import environ
from clarion.tokens import TokenStore
from tests.clarion_proc import ClarionCLI
from tests.net import free_port
from tests.servers.x_stub import XStub

TOKEN = "POST /2/oauth2/token"


@pytest.fixture
def stub() -> Iterator[XStub]:
    with XStub() as server:
        yield server


def platform_env(stub: XStub) -> dict[str, str]:
    return {
        "CLARION_ADAPTERS": "x=clarion.platforms.x:XAdapter",
        "CLARION_X_API_BASE": stub.url,
        "CLARION_X_CLIENT_ID": stub.oauth2.client_id,
    }


def read_until(proc: subprocess.Popen[bytes], marker: bytes, seconds: float = 30) -> bytes:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen, deadline = b"", time.monotonic() + seconds
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {seen!r}"
        if selector.select(timeout=left):
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the command ended before {marker!r}: {seen!r}"
            seen += chunk
    selector.close()
    return seen


def test_the_browser_flow_saves_a_key_that_renews_itself(tmp_path: Path, stub: XStub) -> None:
    clarion = ClarionCLI(tmp_path, platform_env(stub))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clarion",
            "accounts",
            "login",
            "x",
            "--oauth2",
            "--port",
            str(port),
        ],
        env={**clarion.environment(), "PYTHONUNBUFFERED": "1"},
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # no terminal: the hidden prompt reads stdin
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(b"\n\n")  # keep the client id; no client secret (a public app)
        proc.stdin.flush()
        shown = read_until(proc, b"press Enter").decode()
        link = next(w for w in shown.split() if "/i/oauth2/authorize?" in w)
        assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcallback" in link
        assert "offline.access" in link.replace("%20", " ").replace("+", " ")
        # the person's browser: X's page approves and sends it to Clarion's callback
        with urllib.request.urlopen(link, timeout=30) as page:
            assert b"go back to the terminal" in page.read().lower()
        proc.stdin.write(b"\n")
        proc.stdin.close()
        rest = proc.stdout.read().decode() if proc.stdout else ""
        assert proc.wait(timeout=60) == 0, shown + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "it renews itself" in rest and f"can post as @{stub.user['username']}" in rest
    assert len(stub.requests(TOKEN)) == 1  # the code exchanged once
    saved = TokenStore(
        environ({"CLARION_TOKEN_STORE": "file"}), tmp_path / "xdg-data" / "clarion" / "tokens"
    ).load("x", "default")
    assert saved is not None and saved.refresh in stub.oauth2.live_refresh()
    assert saved.access not in shown + rest and saved.refresh not in shown + rest


def test_a_pasted_refresh_token_is_exchanged_and_saved(
    tmp_path: Path, stub: XStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("CLARION_")]:
        monkeypatch.delenv(key)
    for key, value in platform_env(stub).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CLARION_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("CLARION_TOKEN_STORE", "file")
    pair = stub.oauth2.seed()
    typed = f"\n\n{pair['refresh_token']}\n"
    result = CliRunner().invoke(
        cli, ["accounts", "login", "x", "--oauth2", "--paste-refresh-token"], input=typed
    )
    assert result.exit_code == 0, result.output
    assert pair["refresh_token"] in stub.oauth2.used  # exchanged at once: used up
    saved = TokenStore(
        environ({"CLARION_TOKEN_STORE": "file"}), tmp_path / "data" / "clarion" / "tokens"
    ).load("x", "default")
    assert saved is not None and saved.refresh in stub.oauth2.live_refresh()
    assert pair["refresh_token"] not in result.output and saved.access not in result.output

    # the same token again: X refuses it, said in plain words, nothing overwritten
    again = CliRunner().invoke(
        cli, ["accounts", "login", "x", "--paste-refresh-token"], input=typed
    )
    assert again.exit_code == 1
    assert "X did not give Clarion a key: X answered 400: invalid_request" in again.output
    assert "Traceback" not in again.output
    kept = TokenStore(
        environ({"CLARION_TOKEN_STORE": "file"}), tmp_path / "data" / "clarion" / "tokens"
    ).load("x", "default")
    assert kept == saved


def test_oauth2_is_for_x_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["accounts", "login", "mastodon", "--oauth2"])
    assert result.exit_code == 2
    assert "Mastodon accounts do not log in with OAuth 2.0 here" in result.output
