"""Where the heartbeat keeps its last result, read without importing more than ``os``: the idle
cron tick (:mod:`clarion.monitoring.idle`) and the heartbeat (:mod:`clarion.monitoring.heartbeat`)
share it."""

from __future__ import annotations

from pathlib import Path

from clarion import folders

__all__ = ["KEYRING_SOURCE", "mentions", "state_file"]

#: How the heartbeat's state file names the keyring as the URL's source.
KEYRING_SOURCE = "system keyring"


def state_file() -> Path:
    """``heartbeat.json`` in Clarion's state folder (``$XDG_STATE_HOME/clarion`` on Linux)."""
    return folders.state() / "heartbeat.json"


def mentions(path: Path, text: str) -> bool:
    """Whether the file at ``path`` holds ``text`` (False when it cannot be read)."""
    try:
        return text.encode() in path.read_bytes()
    except OSError:
        return False
