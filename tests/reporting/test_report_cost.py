"""X bills each post read: ``clarion report`` says the cost first; at a terminal it asks, under
cron (no terminal) it reads X only with ``--yes``, and the other platforms are read either way.

The terminal is a real pseudo-terminal (stdin and stderr on the ``pty`` module's slave, stdout a
pipe, as when a person types ``clarion report week > report.txt``); the platforms are fakes that
give every post one like (:class:`OneLike`), in the ``clarion`` subprocess as here.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from clarion.platforms.metrics import CountsOutcome, CountsRead, PostCounts, Target
from tests.clarion_proc import ROOT
from tests.conftest import EXAMPLE
from tests.fakes import FakeAdapter, ledger_env
from tests.reporting.test_report_cli import SLUG, clarion

CLARION = Path(sys.executable).parent / "clarion"


class OneLike(FakeAdapter):
    """Every post has one like."""

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        return CountsRead(tuple(PostCounts(t.post_id, {"likes": 1}) for t in posts), ())


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    for made in ledger_env(tmp_path, CLARION_ADAPTERS="*=tests.reporting.test_report_cost:OneLike"):
        assert clarion(made, "schedule", str(EXAMPLE)).exit_code == 0
        plan = json.loads(clarion(made, "preview", str(EXAMPLE), "--format", "json").stdout)
        for at in sorted({d["at_utc"] for d in plan}):
            assert clarion(made, "run-due", "--pretend-now", at).exit_code == 0
        yield made


def by_platform(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    data = json.loads(clarion(env, "report", SLUG, "--format", "json", "--no-refresh").stdout)
    return {p["platform"]: p for p in data["platforms"]}


def at_terminal(env: dict[str, str], answer: bytes, *args: str) -> tuple[int, str, str]:
    """``clarion report SLUG ARGS`` with a person at the terminal who answers the question with
    ``answer``: (status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    full = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    full.update(env, PYTHONPATH=str(ROOT), NO_COLOR="1", CLARION_ENV_FILE="/nonexistent/.env")
    proc = subprocess.Popen(
        [str(CLARION), "report", SLUG, *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=full,
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not answered and b"[y/N]" in seen:
                os.write(master, answer)
                answered = True
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process ended
                break
            if not chunk:
                break
            seen += chunk
        out = proc.stdout.read() if proc.stdout else b""
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert answered, seen.decode(errors="replace")
    return code, out.decode(), seen.decode(errors="replace").replace("\r\n", "\n")


def test_a_person_is_asked_and_saying_no_leaves_x_unread(env: dict[str, str]) -> None:
    code, out, shown = at_terminal(env, b"n\n")
    assert "Reading X's counts of 11 posts costs about $0.06" in shown
    assert "Read them? [y/N]" in shown
    assert "Read them?" not in out and "Not read:" in out  # the question is not in the file
    assert code == 0  # a choice, not a failure
    said = by_platform(env)
    assert said["x"]["counted"] == 0 and said["x"]["problems"] == [
        "you chose not to pay about $0.06 this time"
    ]
    assert all(said[p]["counted"] == said[p]["published"] for p in ("facebook", "bluesky"))


def test_a_person_who_says_yes_has_x_read(env: dict[str, str]) -> None:
    code, out, shown = at_terminal(env, b"y\n")
    assert code == 0, shown
    assert "Read 44 posts" in shown
    assert "Not read:" not in out and "All platforms" in out
    said = by_platform(env)
    assert said["x"]["counted"] == said["x"]["published"] == 11 and said["x"]["problems"] == []


def test_cron_without_yes_reads_the_others_and_says_how_to_pay(env: dict[str, str]) -> None:
    done = clarion(env, "report", SLUG)
    assert done.exit_code == 0
    assert (
        "costs about $0.06" in done.stderr and "Not read: add --yes to pay for it." in done.stderr
    )
    said = by_platform(env)
    assert said["x"]["counted"] == 0
    assert said["x"]["problems"] == ["reading costs about $0.06; `clarion report --yes` reads it"]
    assert said["mastodon"]["counted"] == said["mastodon"]["published"] > 0
    # the next report, with --yes, reads X (never read) and nothing else again
    again = clarion(env, "report", SLUG, "--yes")
    assert again.exit_code == 0 and "Reading counts: X 11 posts" in again.stderr
    assert by_platform(env)["x"]["counted"] == 11
