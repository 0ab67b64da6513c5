"""Clarion's own folders on this machine: where the ledger, caches and state files live.

What platformdirs gives (``user_data_path``, ``user_cache_path``, ``user_state_path`` for
"clarion"), with Linux answered without importing it: the idle cron minute asks for the ledger's
folder and must start fast. Every place Clarion keeps a file of its own asks here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["cache", "data", "state"]

#: kind -> (XDG variable, its Linux default, platformdirs function)
_KINDS = {
    "data": ("XDG_DATA_HOME", "~/.local/share", "user_data_path"),
    "cache": ("XDG_CACHE_HOME", "~/.cache", "user_cache_path"),
    "state": ("XDG_STATE_HOME", "~/.local/state", "user_state_path"),
}


def _folder(kind: str) -> Path:
    variable, default, function = _KINDS[kind]
    if sys.platform.startswith("linux"):
        xdg = os.environ.get(variable, "").strip()
        # platformdirs ignores a relative XDG path, as the XDG specification says.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path(default).expanduser()
        return base / "clarion"
    import platformdirs

    path: Path = getattr(platformdirs, function)("clarion", appauthor=False)
    return path


def data() -> Path:
    """Clarion's data folder (the default ledger, tokens, run locks)."""
    return _folder("data")


def cache() -> Path:
    """Clarion's cache folder (learned limits, prepared images): safe to delete."""
    return _folder("cache")


def state() -> Path:
    """Clarion's state folder (the heartbeat's last result)."""
    return _folder("state")
