"""``clarion completion``: the scripts, and completion answered by the real ``clarion`` program."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.cli.completion import HOW, SHELLS, completion_cmd
from clarion.cli.files import campaign_files

CLARION = Path(sys.executable).parent / "clarion"


def clarion_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_CLARION", "COMP_"))}
    return {**env, **extra}


def source(shell: str) -> str:
    """What click's own machinery prints: ``_CLARION_COMPLETE=bash_source clarion``."""
    done = subprocess.run(
        [str(CLARION)],
        env=clarion_env(_CLARION_COMPLETE=f"{shell}_source"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def complete(line: str, cwd: Path | None = None, shell: str = "bash") -> list[str]:
    """Ask the real ``clarion`` what completes ``line`` (the last word, maybe empty)."""
    words = line.split(" ")
    env = clarion_env(
        _CLARION_COMPLETE=f"{shell}_complete", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1)
    )
    if shell == "fish":  # fish gives the whole command line and the word being completed
        env["COMP_CWORD"] = words[-1]
    done = subprocess.run(
        [str(CLARION)], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=True
    )
    if shell == "bash":  # "type,value" per line
        return [row.partition(",")[2] for row in done.stdout.splitlines() if row]
    if shell == "zsh":  # type, value, help: three lines each
        rows = done.stdout.splitlines()
        return [rows[i + 1] for i in range(0, len(rows), 3)]
    return [row.split(",")[1].split("\t")[0] for row in done.stdout.splitlines() if row]


@pytest.mark.parametrize("shell", SHELLS)
def test_script_is_clicks_own_with_how_to_install(shell: str) -> None:
    result = CliRunner().invoke(completion_cmd, [shell])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines(keepends=True)
    comment = f"# {HOW[shell]}\n"
    if shell == "zsh":
        assert lines[0] == "#compdef clarion\n"  # must stay first in a file on $fpath
        assert lines[1] == comment
        del lines[1]
    else:
        assert lines[0] == comment
        del lines[0]
    assert "".join(lines) == source(shell)
    assert "_CLARION_COMPLETE" in result.output
    assert f"clarion completion {shell}" in comment


def test_bash_script_parses() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    script = CliRunner().invoke(completion_cmd, ["bash"]).output
    done = subprocess.run([bash, "-n"], input=script, text=True, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_unknown_shell_is_a_usage_error() -> None:
    result = CliRunner().invoke(completion_cmd, ["tcsh"])
    assert result.exit_code == 2 and "tcsh" in result.output


def test_command_names() -> None:
    assert complete("clarion pre") == ["preview"]
    assert complete("clarion re") == ["report", "retry", "resume", "resolve"]
    everything = complete("clarion ")
    assert {"validate", "preview", "schedule", "run-due", "accounts"} <= set(everything)
    assert complete("clarion accounts ") == ["check", "login"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_command_names_other_shells(shell: str) -> None:
    assert complete("clarion pre", shell=shell) == ["preview"]


def test_platform_names() -> None:
    assert complete("clarion preview --platform ") == [
        "x",
        "facebook",
        "mastodon",
        "bluesky",
        "instagram",
        "linkedin",
        "threads",
    ]
    assert complete("clarion preview --platform b") == ["bluesky"]
    assert complete("clarion accounts login m") == ["mastodon"]
    assert complete("clarion preview week.yaml --format ") == [
        "table",
        "json",
        "requests",
        "html",
        "ics",
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("a.yaml", "b.txt", "c.yml", ".hidden.yaml", "sub/x.yaml", "sub/y.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "sub" / "deeper").mkdir()
    return tmp_path


def test_campaign_files(folder: Path) -> None:
    assert complete("clarion validate ", folder) == ["a.yaml", "c.yml", "sub/"]
    assert complete("clarion preview a.yaml ", folder) == ["a.yaml", "c.yml", "sub/"]
    assert complete("clarion schedule sub/", folder) == ["sub/deeper/", "sub/x.yaml"]
    assert complete("clarion validate .", folder) == [".hidden.yaml"]
    assert complete("clarion validate b", folder) == []
    assert complete(f"clarion validate {folder}/a", folder) == [f"{folder}/a.yaml"]


def test_a_lone_folder_is_opened(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one folder as the only match, its entries are offered: the shell then completes
    to the common prefix ``sub/`` without the space it would add after a single answer."""
    monkeypatch.chdir(folder)
    assert [i.value for i in campaign_files("s")] == ["sub/deeper/", "sub/x.yaml"]
    assert [i.value for i in campaign_files("sub/d")] == ["sub/deeper/"]  # empty: itself
    (folder / "only" / "inner").mkdir(parents=True)
    (folder / "only" / "inner" / "w.yaml").write_text("")
    assert [i.value for i in campaign_files("o")] == ["only/inner/w.yaml"]


def test_folder_loops_and_unreadable_paths(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    (folder / "loop").mkdir()
    (folder / "loop" / "me").symlink_to(folder / "loop")
    found = [i.value for i in campaign_files("l")]
    assert len(found) == 1 and found[0].startswith("loop/me/")
    assert campaign_files("missing/") == []
    assert campaign_files("a.yaml/") == []


def test_home_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(folder))
    assert [i.value for i in campaign_files("~/a")] == ["~/a.yaml"]
