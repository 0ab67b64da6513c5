"""Alerts tests: a real SMTP server and a real webhook receiver on 127.0.0.1, a real ledger
(SQLite, and PostgreSQL where it matters), runs through the real command line (CliRunner) with
the in-process fake platform."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from tests.fakes import FakeAdapter, FakePlatform
from tests.ledger.helpers import WEEK
from tests.pg import PostgresServer, postgres_server
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook

_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    yield from postgres_server(tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'ledger.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.new_database(f"alerts{next(_db_names)}")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as hook:
        yield hook


@pytest.fixture(autouse=True)
def fresh_fakes() -> Iterator[None]:
    FakeAdapter.platforms = {}
    FakeAdapter.on_publish = None
    yield
    FakeAdapter.platforms = {}
    FakeAdapter.on_publish = None


def fake(account: str = "default") -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", account), FakePlatform())


class Clarion:
    """``clarion`` through CliRunner with one ledger, fake platforms and alert targets; every
    output kept (for the secret checks); logs to ``log``."""

    def __init__(self, folder: Path, url: str, notify: str | None) -> None:
        self.folder = folder
        self.log = folder / "clarion.log"
        self.env = {
            "CLARION_DATABASE_URL": url,
            "CLARION_ADAPTERS": "*=tests.fakes:FakeAdapter",
            "CLARION_ENV_FILE": str(folder / "none.env"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        if notify is not None:
            self.env["CLARION_NOTIFY"] = notify
        self.outputs: list[str] = []
        self.week = folder / "week.yaml"
        self.week.write_text(WEEK)

    def __call__(self, *args: str, **env: str) -> Result:
        result = CliRunner().invoke(
            cli, list(args), env={**self.env, **env}, catch_exceptions=False
        )
        self.outputs.append(result.output)
        return result

    def run(self, at: str) -> Result:
        return self("run-due", "--pretend-now", at, "--log-file", str(self.log))

    def status(self) -> dict[str, Any]:
        out = self("status", "--format", "json")
        assert out.exit_code == 0, out.output
        data: dict[str, Any] = json.loads(out.stdout)
        return data

    def everything(self) -> str:
        """Every output and the log: where no secret may appear."""
        log = self.log.read_text() if self.log.exists() else ""
        return "\n".join([*self.outputs, log])
