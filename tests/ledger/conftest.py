"""Ledgers for tests: SQLite in a temporary folder, and PostgreSQL on a real server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.ledger import open_ledger
from clarion.ledger.store import Ledger
from tests.fakes import FakeAdapter
from tests.pg import PostgresServer, postgres_server

_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    yield from postgres_server(tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.new_database(f"t{next(_db_names)}")


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = open_ledger(ledger_url)
    yield led
    led.close()


@pytest.fixture(autouse=True)
def fresh_fakes() -> Iterator[None]:
    FakeAdapter.platforms = {}
    FakeAdapter.on_publish = None
    yield
    FakeAdapter.platforms = {}
    FakeAdapter.on_publish = None
