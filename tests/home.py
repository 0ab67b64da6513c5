"""The test session's own home: HOME and the XDG folders point into one temporary folder.

:func:`isolate` runs from ``pytest_configure`` (in ``tests/conftest.py``), before any test module
is imported, and sets the variables in ``os.environ``, so every subprocess the tests start
(``python -m clarion``, the PDS under Node, snac2, PostgreSQL) inherits them. Clarion's log, its
run locks, its ledger default and the servers' limits cache all land there; nothing goes into the
user's home.

:class:`Watch` keeps a listing (size and modification time of every file) of the real home's
Clarion folders at the start and compares it at the end; ``pytest_sessionfinish`` fails the run
when they changed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: What the session sets; the XDG defaults of a Linux home, each under the session's home.
XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "XDG_CACHE_HOME": ".cache",
}
#: Set while a session is isolated, so a pytest started by a test (or an xdist worker) keeps it.
MARK = "PYTEST_CLARION_HOME"


def real_home() -> Path:
    """The user's home as the session found it (HOME, or the password database)."""
    home = os.environ.get("HOME", "").strip()
    return Path(home) if home else Path(pwd.getpwuid(os.getuid()).pw_dir)


def clarion_folders(home: Path, env: dict[str, str]) -> list[Path]:
    """Where Clarion keeps files for a user: each XDG folder (as ``env`` sets it) + ``clarion``."""
    folders = []
    for name, default in XDG.items():
        base = env.get(name, "").strip()
        folders.append((Path(base) if base else home / default) / "clarion")
    return folders


@dataclass
class Watch:
    """A listing of the user's real Clarion folders, to tell whether the tests changed them."""

    folders: list[Path]
    before: dict[str, tuple[int, int]] = field(default_factory=dict)

    @staticmethod
    def listing(folders: list[Path]) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for folder in folders:
            if not folder.exists():
                continue
            found[str(folder)] = (0, 0)
            for path in folder.rglob("*"):
                try:
                    stat = path.lstat()
                except OSError:  # removed while listing
                    continue
                found[str(path)] = (stat.st_size, stat.st_mtime_ns)
        return found

    def start(self) -> Watch:
        self.before = self.listing(self.folders)
        return self

    def changes(self) -> list[str]:
        after = self.listing(self.folders)
        lines = [f"new: {p}" for p in sorted(after.keys() - self.before.keys())]
        lines += [f"removed: {p}" for p in sorted(self.before.keys() - after.keys())]
        lines += [
            f"changed: {p}"
            for p in sorted(after.keys() & self.before.keys())
            if after[p] != self.before[p] and not Path(p).is_dir()
        ]
        return lines


@dataclass
class Home:
    """The session's home folder and what it replaced."""

    path: Path
    saved: dict[str, str | None]
    watch: Watch | None
    owned: bool

    def restore(self) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)


def isolate() -> Home:
    """Point HOME and the XDG folders at a new temporary folder (or keep a parent session's)."""
    names = ["HOME", *XDG, MARK]
    saved = {name: os.environ.get(name) for name in names}
    inherited = os.environ.get(MARK, "").strip()
    if inherited and Path(inherited).is_dir() and os.environ.get("HOME") == inherited:
        return Home(Path(inherited), saved, None, owned=False)
    home = real_home()
    watch = Watch(clarion_folders(home, dict(os.environ))).start()
    path = Path(tempfile.mkdtemp(prefix="clarion-tests-home-")).resolve()
    os.environ["HOME"] = str(path)
    os.environ[MARK] = str(path)
    for name, rel in XDG.items():
        folder = path / rel
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(folder)
    return Home(path, saved, watch, owned=True)
