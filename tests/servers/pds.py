"""A real Bluesky PDS (with its PLC directory) for tests: ``@atproto/dev-env`` under Node.

``scripts/ensure-pds`` installs the npm packages (``npm ci``) into ``tests/servers/node_modules``;
:func:`start_pds` runs ``node tests/servers/pds.mjs`` in its own process group with its own
``TMPDIR`` (the PDS keeps its SQLite files and blobs there), reads the one JSON line it prints
when ready (with a deadline), and stops it by killing the process group. Everything listens on
127.0.0.1 on free ports. Missing packages make the test *fail*, naming the script to run.

:class:`PdsServer` also offers the few XRPC calls tests need to look at what was posted
(``getRecord``, ``listRecords``, ``getBlob``) and to create accounts, with plain urllib.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "pds.mjs"
MODULES = HERE / "node_modules" / "@atproto" / "dev-env"
BOOT_TIMEOUT_S = 60.0


class XrpcError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


@dataclass
class Account:
    handle: str
    did: str
    password: str


@dataclass
class PdsServer:
    url: str
    plc: str
    pid: int
    boot_s: float
    folder: Path

    def xrpc(
        self,
        nsid: str,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        raw: bool = False,
    ) -> Any:
        """One XRPC call: a query (GET ``params``) or, with ``body``, a procedure (POST JSON)."""
        url = f"{self.url}/xrpc/{nsid}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
        if data:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                content = res.read()
        except urllib.error.HTTPError as exc:
            raise XrpcError(exc.code, json.loads(exc.read() or b"{}")) from None
        return content if raw else json.loads(content)

    def create_account(self, name: str, password: str = "correct horse battery") -> Account:
        handle = f"{name}.test"
        made = self.xrpc(
            "com.atproto.server.createAccount",
            body={"handle": handle, "email": f"{name}@example.com", "password": password},
        )
        return Account(made["handle"], made["did"], password)

    def get_record(self, uri: str) -> dict[str, Any]:
        repo, collection, rkey = uri.removeprefix("at://").split("/")
        found: dict[str, Any] = self.xrpc(
            "com.atproto.repo.getRecord", {"repo": repo, "collection": collection, "rkey": rkey}
        )
        return found

    def list_posts(self, did: str) -> list[dict[str, Any]]:
        found = self.xrpc(
            "com.atproto.repo.listRecords",
            {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"},
        )
        records: list[dict[str, Any]] = found["records"]
        return records

    def act(self, who: Account, kind: str, uri: str, when: str = "2026-12-01T09:00:00Z") -> None:
        """``who`` likes or reposts ``uri`` (``kind``: ``app.bsky.feed.like`` or ``.repost``),
        with createRecord on this PDS, as Bluesky's app does."""
        token = self.xrpc(
            "com.atproto.server.createSession",
            body={"identifier": who.handle, "password": who.password},
        )["accessJwt"]
        subject = {"uri": uri, "cid": self.get_record(uri)["cid"]}
        record = {"$type": kind, "subject": subject, "createdAt": when}
        self.xrpc(
            "com.atproto.repo.createRecord",
            body={"repo": who.did, "collection": kind, "record": record},
            token=token,
        )

    def get_blob(self, did: str, cid: str) -> bytes:
        blob: bytes = self.xrpc("com.atproto.sync.getBlob", {"did": did, "cid": cid}, raw=True)
        return blob


def missing_packages() -> str | None:
    """Why the PDS cannot start here (node or the npm packages missing), or None."""
    if shutil.which("node") is None:
        return "node is not installed; the Bluesky PDS tests need Node.js 20"
    if not MODULES.is_dir():
        return (
            f"the npm packages for the test PDS are not installed ({MODULES} is missing): "
            "run scripts/ensure-pds"
        )
    return None


@contextmanager
def start_pds(folder: Path) -> Iterator[PdsServer]:
    """Start the PDS with ``folder`` as its TMPDIR; stop it (its whole process group) at exit."""
    problem = missing_packages()
    if problem:
        pytest.fail(problem, pytrace=False)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(folder), "NODE_ENV": "test", "LOG_ENABLED": "false"}
    started = time.monotonic()
    log = (folder / "pds.log").open("wb")
    proc = subprocess.Popen(
        ["node", str(SCRIPT)],
        cwd=HERE,
        env=env,
        stdin=subprocess.PIPE,  # closed when the tests end: the script then stops too
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    try:
        ready = _ready_line(proc, started + BOOT_TIMEOUT_S, folder / "pds.log")
        yield PdsServer(ready["pds"], ready["plc"], proc.pid, time.monotonic() - started, folder)
    finally:
        _stop(proc)
        log.close()


def _ready_line(proc: subprocess.Popen[bytes], deadline: float, log: Path) -> dict[str, Any]:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the PDS did not start within {BOOT_TIMEOUT_S:g} s; see {log}")
        if selector.select(timeout=left):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                tail = log.read_text(errors="replace")[-2000:]
                raise AssertionError(f"the PDS exited ({proc.wait()}) before it was ready:\n{tail}")
            buffer += chunk
    selector.close()
    ready: dict[str, Any] = json.loads(buffer.split(b"\n", 1)[0])
    if not ready.get("ready"):
        raise AssertionError(f"the PDS could not start: {ready.get('error')}")
    return ready


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
