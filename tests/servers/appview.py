"""A real Bluesky AppView with the PDS it indexes, for tests: ``@atproto/dev-env`` under Node.

:func:`start_appview` runs ``node tests/servers/appview.mjs`` (dev-env's ``TestPlc``,
``TestBsky`` and ``TestPds``, as its ``TestNetwork`` wires them, without Ozone) in its own process
group with its own ``TMPDIR``; the AppView keeps its tables in the PostgreSQL database it is
given (:mod:`tests.pg`). It reads the one JSON line printed when ready (with a deadline) and stops
the process group at exit. Everything listens on 127.0.0.1. The npm packages are
``scripts/ensure-pds``' (``@atproto/dev-env`` brings ``@atproto/bsky``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers.pds import HERE, PdsServer, _ready_line, _stop, missing_packages

SCRIPT = HERE / "appview.mjs"


@dataclass
class Network:
    """The PDS (with the helpers of :class:`PdsServer`) and the AppView that indexes it."""

    pds: PdsServer
    appview: str
    appview_did: str

    def get_posts(self, uris: list[str]) -> dict[str, Any]:
        """The AppView's own answer to ``app.bsky.feed.getPosts`` (no session)."""
        query = urllib.parse.urlencode([("uris", u) for u in uris])
        url = f"{self.appview}/xrpc/app.bsky.feed.getPosts?{query}"
        with urllib.request.urlopen(url, timeout=30) as res:
            found: dict[str, Any] = json.loads(res.read())
        return found


@contextmanager
def start_appview(folder: Path, db_url: str, schema: str = "appview") -> Iterator[Network]:
    """Start the network with ``folder`` as TMPDIR and ``db_url`` for the AppView; stop it at
    exit."""
    problem = missing_packages()
    if problem:
        pytest.fail(problem, pytrace=False)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(folder), "NODE_ENV": "test", "LOG_ENABLED": "false"}
    started = time.monotonic()
    log_path = folder / "appview.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["node", str(SCRIPT), "--db-url", db_url, "--schema", schema],
        cwd=HERE,
        env=env,
        stdin=subprocess.PIPE,  # closed when the tests end: the script then stops too
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    try:
        ready = _ready_line(proc, started + 90.0, log_path)
        pds = PdsServer(ready["pds"], ready["plc"], proc.pid, time.monotonic() - started, folder)
        yield Network(pds, ready["appview"], ready["appview_did"])
    finally:
        _stop(proc)
        log.close()
