"""The progress bar: on a terminal only, never when piped, under cron or beside JSON.

A real pseudo-terminal (the ``pty`` module) stands for the terminal: ``clarion`` runs as a
subprocess with the pty's slave as its stderr and a pipe as its stdout, as when a person runs
``clarion validate campaigns/ > report.txt``. What the terminal received is read from the master.

Colours: with ``NO_COLOR`` set, the terminal receives no SGR sequence at all (``ESC [ ... m``: no
colour, no bold); the cursor movements that redraw the bar in place (hide/show the cursor, erase
the line, move up) remain, since they are how a bar works and carry no colour.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.checking import check_files
from clarion.cli import cli

CLARION = Path(sys.executable).parent / "clarion"
SGR = re.compile(rb"\x1b\[[0-9;]*m")
COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
CAMPAIGN = """\
version: 1
name: Week {n}
slug: week-{n}
timezone: Europe/London
dates: {{start: 2036-07-07, end: 2036-07-12}}
platforms: [mastodon, bluesky]
posts:
  - id: hello
    at: 2036-07-07 09:00
    text: Hello from week {n}
"""


def campaigns(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"week-{n:02d}.yaml").write_text(CAMPAIGN.format(n=n), encoding="utf-8")
    return folder


def on_terminal(args: list[str], env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run ``clarion ARGS`` with stderr on a pseudo-terminal: (status, stdout, terminal)."""
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full = {**base, "TERM": "xterm-256color", "COLUMNS": "100", **(env or {})}
    proc = subprocess.Popen(
        [str(CLARION), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=full,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the slave side is closed (the process ended)
                break
            if not chunk:
                break
            seen += chunk
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode, out, seen


def test_bar_on_a_terminal(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    status, out, terminal = on_terminal(["validate", str(folder)])
    assert status == 0, terminal
    assert b"Checking campaign files" in terminal and b"20/20" in terminal
    assert b"\x1b[?25l" in terminal  # the cursor is hidden while the bar is drawn...
    assert terminal.rstrip(b"\r\n").endswith(b"\x1b[2K")  # ...and the bar erased at the end
    assert COLOUR.search(terminal), "the bar is coloured when colour is allowed"
    # stdout is the same report as without a terminal.
    lines = out.decode().splitlines()
    assert len(lines) == 20 and all(": OK — Week " in line for line in lines)
    assert b"\x1b[" not in out


def test_no_color_means_no_colour_codes(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    status, out, terminal = on_terminal(["validate", str(folder)], {"NO_COLOR": "1"})
    assert status == 0, terminal
    assert b"Checking campaign files" in terminal and b"20/20" in terminal
    assert not SGR.search(terminal), terminal
    assert b"\x1b[" not in out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--format", "json"], {}),  # read by programs
        ([], {"TERM": "dumb"}),
    ],
)
def test_no_bar_for_programs_or_dumb_terminals(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    folder = campaigns(tmp_path / "c", 20)
    status, out, terminal = on_terminal(["validate", str(folder), *args], env)
    assert status == 0
    assert out  # the report (or the JSON) is there
    assert terminal == b""


def test_no_bar_for_a_few_files(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 2)
    status, out, terminal = on_terminal(["validate", str(folder)])
    assert status == 0 and out.count(b": OK") == 2
    assert terminal == b""


def test_problems_still_reach_the_terminal(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    bad = folder / "week-07.yaml"
    bad.write_text(bad.read_text().replace("[mastodon, bluesky]", "[mastodon, twitter]"))
    status, out, terminal = on_terminal(["preview", str(folder)])
    assert status == 1
    assert b"Checking campaign files" in terminal
    assert b"week-07.yaml:6:" in terminal and b"twitter" in terminal
    assert out == b""


def test_preview_and_schedule_show_bars(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    status, out, terminal = on_terminal(["preview", str(folder)])
    assert status == 0 and b"Hello from week 19" in out
    assert b"Checking campaign files" in terminal
    status, out, terminal = on_terminal(["preview", str(folder), "--format", "json"])
    assert status == 0 and terminal == b""
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    status, out, terminal = on_terminal(["--database", database, "schedule", str(folder)])
    assert status == 0, terminal
    assert b"Checking campaign files" in terminal
    assert b"Scheduling campaigns" in terminal and b"20/20" in terminal
    assert out.count(b"2 added") == 20


def test_no_bar_when_piped(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    done = subprocess.run(
        [str(CLARION), "validate", str(folder)],
        capture_output=True,
        timeout=60,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert done.returncode == 0
    assert done.stderr == b""
    assert done.stdout.count(b": OK") == 20


def test_no_bar_under_clirunner(tmp_path: Path) -> None:
    folder = campaigns(tmp_path / "c", 20)
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "Checking" not in result.output and "\x1b[" not in result.output


@pytest.mark.parametrize("count", [3, 20])  # one at a time, and in parallel
def test_check_files_reports_each_file(tmp_path: Path, count: int) -> None:
    paths = sorted(campaigns(tmp_path / "c", count).iterdir())
    steps: list[int] = []
    result = check_files(paths, None, steps.append)
    assert result.ok and len(result.campaigns) == count
    assert steps == [1] * count


def test_rich_honours_no_color_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    assert Console(force_terminal=True).no_color
    monkeypatch.delenv("NO_COLOR")
    assert not Console(force_terminal=True).no_color
