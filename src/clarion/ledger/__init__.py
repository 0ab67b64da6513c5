"""The ledger: where every delivery and its history live. SQLite by default, PostgreSQL by URL.

``CLARION_DATABASE_URL`` chooses: ``postgresql://user:pass@host/db`` for teams with several
workers, ``sqlite:///path/to/ledger.sqlite3`` for a file of your choice; unset, a file in the
user's data directory (created readable by its owner only).

This package imports nothing at first so that ``clarion.ledger.quick`` (the cron fast path)
stays cheap; its submodules are imported when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clarion.settings.environment import environ

if TYPE_CHECKING:
    from clarion.ledger.db import Database
    from clarion.ledger.store import Ledger

__all__ = ["default_path", "open_ledger"]


def default_path() -> Path:
    from clarion import folders

    return folders.data() / "ledger.sqlite3"


def database(url: str | None = None) -> Database:
    from clarion.ledger.db import LedgerError, PostgresDatabase, SQLiteDatabase

    url = url or environ().database_url or ""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if url.startswith("sqlite:///"):
        return SQLiteDatabase(Path(url[len("sqlite:///") :]))  # sqlite:////abs -> /abs
    if url:
        raise LedgerError(
            "CLARION_DATABASE_URL must start with postgresql:// or sqlite:///; "
            f"it starts with {url.split(':', 1)[0]!r}."
        )
    return SQLiteDatabase(default_path())


def open_ledger(url: str | None = None) -> Ledger:
    """Open (creating and migrating on first use) the ledger."""
    from clarion.ledger.store import Ledger

    db = database(url)
    db.migrate()
    return Ledger(db)
