"""``python -m clarion`` as a real subprocess, against one SQLite ledger in a test's folder.

The environment is the test process's without any ``CLARION_*`` variable, plus the ledger, a
``.env`` path that does not exist, no system keyring, private XDG folders (locks, logs), no colour,
and whatever the platform under test needs (``platform_env``). Every stdout and stderr is kept in
``outputs``, for the tests that look for leaked secrets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from clarion.ledger import open_ledger
from clarion.ledger.rows import DeliveryRow

ROOT = Path(__file__).resolve().parents[1]


class ClarionCLI:
    def __init__(self, folder: Path, platform_env: dict[str, str], url: str | None = None) -> None:
        self.folder = folder
        #: The ledger: SQLite in ``folder`` unless given (a PostgreSQL URL, say).
        self.url = url or f"sqlite:///{folder / 'ledger.sqlite3'}"
        self.platform_env = platform_env
        self.outputs: list[str] = []

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
        env.update(
            PYTHONPATH=str(ROOT),
            CLARION_DATABASE_URL=self.url,
            CLARION_ENV_FILE=str(self.folder / "none.env"),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            XDG_DATA_HOME=str(self.folder / "xdg-data"),
            XDG_STATE_HOME=str(self.folder / "xdg-state"),
            NO_COLOR="1",
        )
        env.update(self.platform_env)
        env.update(extra or {})
        return env

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "clarion", *args],
            env=self.environment(env),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def rows(self) -> dict[str, DeliveryRow]:
        ledger = open_ledger(self.url)
        try:
            return {r.key: r for r in ledger.rows()}
        finally:
            ledger.close()

    def states(self) -> dict[str, str]:
        return {k: r.state.value for k, r in self.rows().items()}

    def path(self, key: str) -> list[str]:
        """The states one delivery went through, from ``clarion history``."""
        done = self.run("history", key, "--format", "json")
        assert done.returncode == 0, done.stderr
        return [e["to"] for e in json.loads(done.stdout)["events"]]

    def status(self) -> dict[str, Any]:
        done = self.run("status", "--format", "json")
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data
