from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clarion.campaign.problems import Problem
from clarion.checking import Checked, check_files
from clarion.render.cards import prepare
from tests import home, shared

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "campaigns" / "coproduction-week-2022.yaml"

# A small valid campaign; tests change one thing at a time.
HEAD = """\
version: 1
name: Test Week
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [mastodon]
"""


def png(width: int = 2, height: int = 2, pad: int = 0) -> bytes:
    """A real (tiny) PNG; ``pad`` adds bytes in an ancillary chunk to reach a size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if pad:
        body += chunk(b"tEXt", b"pad\x00" + b"x" * pad)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


Run = Callable[..., Checked]

_HOME = pytest.StashKey[home.Home]()


def pytest_configure(config: pytest.Config) -> None:
    """The session's own HOME and XDG folders, set before any test module is imported, so that
    every test and every subprocess they start (clarion, the PDS, snac2) writes there."""
    config.stash[_HOME] = home.isolate()
    config.addinivalue_line(
        "markers",
        "needs_shared(rel): needs ../shared/<rel>; skipped without it, failed without it when "
        "CLARION_REQUIRE_SHARED=1 (tests/shared.py)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_shared"):
        shared.shared_path(str(mark.args[0]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """With CLARION_REQUIRE_SHARED=1, any skip that names ../shared (however it was made) is a
    failure: CI has ../shared, so such a test must run there."""
    report = yield
    if shared.required() and report.skipped and "../shared" in str(report.longrepr):
        report.outcome = "failed"
    return report


_CHANGED = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if the user's real Clarion folders changed while it ran."""
    isolated = session.config.stash.get(_HOME, None)
    if isolated is None or isolated.watch is None:
        return
    changes = isolated.watch.changes()
    session.config.stash[_CHANGED] = changes
    if changes:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    changes = config.stash.get(_CHANGED, [])
    if not changes:
        return
    isolated = config.stash[_HOME]
    folders = ", ".join(str(f) for f in isolated.watch.folders) if isolated.watch else ""
    terminalreporter.section("files changed in your home", sep="=", red=True, bold=True)
    terminalreporter.write_line(f"The tests changed files in your own Clarion folders ({folders}):")
    for line in changes[:20]:
        terminalreporter.write_line(f"  {line}")
    terminalreporter.write_line(
        "Every test must write under the session's HOME (tests/home.py). If a Clarion of your "
        "own ran meanwhile (cron, say), that is what changed: run the tests again."
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    isolated = config.stash.get(_HOME, None)
    if isolated is not None:
        isolated.restore()


@pytest.fixture(autouse=True, scope="session")
def _session_home(pytestconfig: pytest.Config) -> Path:
    """Every test runs with the session's HOME (see ``pytest_configure``)."""
    isolated = pytestconfig.stash[_HOME]
    assert os.environ["HOME"] == str(isolated.path), "a test replaced HOME for the whole session"
    return isolated.path


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Write a campaign (dedented) to tmp_path/week.yaml and check it."""

    def _run(text: str, name: str = "week.yaml", files: dict[str, bytes] | None = None) -> Checked:
        for rel, data in (files or {}).items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return check_files([path], [name], prepare=prepare)

    return _run


def only(result: Checked) -> Problem:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers' limits read by ``accounts check`` are cached per user: keep each test's apart."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    from clarion.platforms import limits

    limits.for_account.cache_clear()
