"""The test session's own home (tests/home.py) and the ../shared helper (tests/shared.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clarion import logs
from tests import home, shared


def test_the_session_has_its_own_home_and_xdg_folders(_session_home: Path) -> None:
    assert Path(os.environ["HOME"]) == _session_home == Path.home()
    assert _session_home.name.startswith("clarion-tests-home-")
    assert Path(os.environ["XDG_CONFIG_HOME"]) == _session_home / ".config"
    assert Path(os.environ["XDG_DATA_HOME"]) == _session_home / ".local" / "share"
    assert Path(os.environ["XDG_STATE_HOME"]) == _session_home / ".local" / "state"
    # XDG_CACHE_HOME is the session's too, but each test gets its own (conftest._private_cache)
    assert Path(os.environ["XDG_CACHE_HOME"]).is_dir()


def test_clarions_log_goes_to_the_sessions_home(_session_home: Path) -> None:
    assert logs.default_file().is_relative_to(_session_home)


def test_subprocesses_inherit_the_sessions_home(_session_home: Path) -> None:
    code = "import os, pathlib; print(os.environ['HOME']); print(pathlib.Path.home())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == [str(_session_home)] * 2


def test_the_watch_sees_new_changed_and_removed_files(tmp_path: Path) -> None:
    folder = tmp_path / "clarion"
    (folder / "log").mkdir(parents=True)
    (folder / "log" / "clarion.log").write_text("one\n")
    (folder / "gone.lock").write_text("")
    watch = home.Watch([folder, tmp_path / "absent" / "clarion"]).start()
    assert watch.changes() == []
    (folder / "log" / "clarion.log").write_text("one\ntwo\n")
    (folder / "gone.lock").unlink()
    (folder / "locks").mkdir()
    (folder / "locks" / "run-due.lock").write_text("")
    assert watch.changes() == [
        f"new: {folder / 'locks'}",
        f"new: {folder / 'locks' / 'run-due.lock'}",
        f"removed: {folder / 'gone.lock'}",
        f"changed: {folder / 'log' / 'clarion.log'}",
    ]


def test_the_real_homes_clarion_folders_follow_the_xdg_variables(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": " "}
    assert home.clarion_folders(tmp_path, env) == [
        tmp_path / ".config" / "clarion",
        tmp_path / "data" / "clarion",
        tmp_path / ".local" / "state" / "clarion",
        tmp_path / ".cache" / "clarion",
    ]


@pytest.fixture
def beside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ../shared of the test's own, with one file."""
    folder = tmp_path / "shared"
    (folder / "fixtures").mkdir(parents=True)
    (folder / "fixtures" / "there.json").write_text("{}")
    monkeypatch.setattr(shared, "SHARED", folder)
    return folder


def test_a_file_in_shared_is_found(beside: Path) -> None:
    assert shared.shared_path("fixtures/there.json") == beside / "fixtures" / "there.json"
    assert shared.read_text("fixtures/there.json") == "{}"


def test_a_missing_file_skips_in_one_line(beside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(shared.REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        shared.shared_path("fixtures/missing.json")
    reason = str(skipped.value)
    assert "../shared/fixtures/missing.json" in reason and "\n" not in reason


def test_a_missing_file_fails_when_shared_is_required(
    beside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shared.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        shared.shared_path("fixtures/missing.json")
    assert "CLARION_REQUIRE_SHARED=1" in str(failed.value)


def test_params_without_the_file_give_one_case_that_needs_it(beside: Path) -> None:
    (case,) = shared.params("missing/suite.yml", lambda path: ["never"])
    assert case.id == shared.MISSING_ID
    assert [m.args for m in case.marks] == [("missing/suite.yml",)]
    assert shared.params("fixtures/there.json", lambda path: [path.name]) == ["there.json"]


def test_the_ci_script_requires_shared() -> None:
    ci = (shared.ROOT / ".ci" / "run").read_text()
    assert "export CLARION_REQUIRE_SHARED=1" in ci
