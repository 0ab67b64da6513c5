"""The cron fast path: is there anything at all for a run to do? Answered with sqlite3 alone.

``run-due`` runs every minute and usually finds nothing due. Answering that before importing
the engine, logging and the rest keeps the common case cheap. The answer is only ever "surely
nothing" or "look properly": any doubt (PostgreSQL, an older schema, an error) means the full run.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from clarion import folders
from clarion.settings.environment import environ

#: The schema version this code writes; an older ledger takes the full path (which migrates).
#: (A test checks it equals clarion.ledger.schema.LATEST; importing that here would cost time.)
SCHEMA_VERSION = 6
_DAY_MS = 24 * 3600 * 1000


def sqlite_path(url: str | None) -> Path | None:
    """The SQLite file a ledger URL names (the default location when unset); None otherwise."""
    url = url or environ().database_url or ""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    if url:
        return None
    return folders.data() / "ledger.sqlite3"


def _alerts_set() -> bool:
    """Whether alerts are set up where a glance can tell: ``CLARION_NOTIFY`` in the environment
    or named in the ``.env`` file (URLs kept only in the keyring are found by the full run)."""
    env = environ()
    if env.notify:
        return True
    try:
        return "CLARION_NOTIFY" in env.env_file.read_text(errors="replace")
    except OSError:
        return False


def nothing_to_do(url: str | None, now_ms: int, *, paused: bool = False) -> bool:
    """True only when the ledger surely holds nothing due, in flight or unconfirmed (and, with
    ``paused``, for a dry run that names them: nothing paused whose time has come)."""
    from clarion.ledger import queries

    path = sqlite_path(url)
    if path is None:
        return False
    if not path.exists():
        return True
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        try:
            (version,) = conn.execute(queries.SCHEMA_VERSION).fetchone()
            if version != SCHEMA_VERSION:
                return False
            (busy,) = conn.execute(queries.BUSY, (now_ms, now_ms if paused else -1)).fetchone()
            if busy or paused or not _alerts_set():
                return not busy
            # alerts: a state not told yet, a send to try again, a check the day before a start
            real = time.time_ns() // 1_000_000
            params = (real, real - _DAY_MS, now_ms, now_ms + _DAY_MS)
            from clarion.ledger.queries_alerts import ALERTS_WAKE

            (tell,) = conn.execute(ALERTS_WAKE, params).fetchone()
            return not tell
        finally:
            conn.close()
    except sqlite3.Error:
        return False
