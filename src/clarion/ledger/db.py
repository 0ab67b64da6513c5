"""Connections to the ledger's database: SQLite (embedded default) or PostgreSQL.

SQL is written once with ``?`` placeholders; the PostgreSQL connection rewrites them. Only the
claim differs in substance (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), and lives in :mod:`clarion.ledger.claims`; every statement is named in
:mod:`clarion.ledger.queries`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clarion.ledger.schema import MIGRATIONS, statements

Params = Sequence[Any]


class LedgerError(RuntimeError):
    """The ledger could not be opened or used; the message says why in plain words."""


class Database:
    """A connection with explicit transactions. Subclasses fill in the dialect.

    One connection may be shared by threads (a run's sends in parallel): each statement and each
    transaction holds :attr:`lock`, so statements from two threads never interleave inside one
    transaction."""

    dialect: str
    where: str  # shown to people: a file path or a redacted URL
    lock: threading.RLock

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        raise NotImplementedError

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def records(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Rows as column name -> value (names without their table's alias)."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        raise NotImplementedError

    def migrate(self) -> None:
        """Apply every migration not yet applied, in order, each in its own transaction."""
        with self.transaction():
            self._lock_migrations()
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)"
            )
            done = {row[0] for row in self.query("SELECT version FROM schema_migrations")}
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                for statement in statements(migration, self.dialect):
                    self.execute(statement)
                self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
                    (migration.version, migration.name, int(time.time() * 1000)),
                )

    def _lock_migrations(self) -> None:
        """Stop two processes from migrating at once (SQLite's write lock already does)."""


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # Created readable by its owner only; SQLite gives -wal and -shm the same mode.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self.conn = sqlite3.connect(
                path, isolation_level=None, timeout=30.0, check_same_thread=False
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise LedgerError(f"Clarion could not open its ledger {path}: {exc}.") from None
        self._depth = 0
        self.lock = threading.RLock()

    def execute(self, sql: str, params: Params = ()) -> int:
        with self.lock:
            return self.conn.execute(sql, params).rowcount

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def records(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            names = [c[0] for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock, self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def close(self) -> None:
        self.conn.close()


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        self.where = redact_url(url)
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            message = str(exc).replace(url, self.where)
            raise LedgerError(
                f"Clarion could not connect to its ledger at {self.where}: {message}"
            ) from None
        self.lock = threading.RLock()

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Params = ()) -> int:
        with self.lock:
            cur = self.conn.execute(self._sql(sql), params)
            return cur.rowcount

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            cur = self.conn.execute(self._sql(sql), params)
            return cur.fetchall() if cur.description else []

    def records(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        with self.lock:
            cur = self.conn.execute(self._sql(sql), params)
            if not cur.description:
                return []
            names = [c.name for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock, self.conn.transaction():
            yield

    def _lock_migrations(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(7219550)")

    def close(self) -> None:
        self.conn.close()


def redact_url(url: str) -> str:
    """A database URL with any password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
