"""CLARION_HEARTBEAT_URL against a real HTTP receiver on 127.0.0.1: every run of ``run-due`` that
finished pings it once (the idle minute too, through the console script's fast path), a
rehearsal never does, a receiver that is down changes no exit status and shows in ``status``,
and the URL's token appears in no output and no log. The daemon pings too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clarion_proc import ClarionCLI
from tests.fake_http import TOKEN as FAKE_TOKEN
from tests.fake_http import FakePlatformServer
from tests.ledger.helpers import WEEK
from tests.monitoring.receiver import TOKEN, Receiver
from tests.net import closed_port

pytestmark = pytest.mark.slow

T0 = "2022-07-04T08:00:00Z"  # WEEK's launch (09:00 in London) is due


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def platform() -> Iterator[FakePlatformServer]:
    with FakePlatformServer(token=FAKE_TOKEN) as server:
        yield server


def cli(tmp_path: Path, platform: FakePlatformServer, url: str | None) -> ClarionCLI:
    env = {
        "CLARION_ADAPTERS": "*=tests.fake_http:HttpFakeAdapter",
        "CLARION_FAKE_URL": platform.url,
        "CLARION_FAKE_TOKEN": FAKE_TOKEN,
        "CLARION_FAKE_TIMEOUT": "30",
    }
    if url:
        env["CLARION_HEARTBEAT_URL"] = url
    return ClarionCLI(tmp_path, env)


def schedule(c: ClarionCLI, tmp_path: Path, text: str = WEEK) -> None:
    path = tmp_path / "week.yaml"
    path.write_text(textwrap.dedent(text))
    done = c.run("schedule", str(path))
    assert done.returncode == 0, done.stderr


def log_text(tmp_path: Path) -> str:
    return "\n".join(p.read_text() for p in (tmp_path / "xdg-state").rglob("*.log*"))


def test_every_finished_run_pings_once_and_a_rehearsal_never(
    tmp_path: Path, receiver: Receiver, platform: FakePlatformServer
) -> None:
    c = cli(tmp_path, platform, receiver.ping_url)
    idle = c.run("run-due")  # nothing scheduled: the console script's idle tick
    assert (idle.returncode, idle.stdout, idle.stderr) == (0, "", "")
    assert [h.path for h in receiver.wait_for(1)] == [f"/ping/{TOKEN}"]
    assert receiver.heard[0].method == "GET" and "clarion" in receiver.heard[0].agent

    schedule(c, tmp_path)
    for rehearsal in (["--now", T0], ["--dry-run"], ["--now", T0, "--format", "json"]):
        done = c.run("run-due", *rehearsal)
        assert done.returncode in (0, 1), done.stderr
    idle_rehearsal = c.run("run-due", "--now", "2022-07-04T07:00:00Z")  # nothing due then
    assert idle_rehearsal.returncode == 0, idle_rehearsal.stderr
    assert len(receiver.heard) == 1  # no rehearsal pinged

    sent = c.run("run-due", "--pretend-now", T0)  # a real run: the launch and its thread part
    assert sent.returncode == 0, sent.stderr
    assert len(receiver.wait_for(2)) == 2
    assert c.states()["week:launch:mastodon"] == "published"

    late = c.run("run-due", "--pretend-now", "2022-07-07T08:00:00Z")  # day2 and day3 missed
    assert late.returncode == 1, late.stderr  # a run with problems still pings: it ran
    assert len(receiver.wait_for(3)) == 3

    verbose_idle = c.run("run-due", "-v")  # idle, but through the command line's own check
    assert verbose_idle.returncode == 0, verbose_idle.stderr
    assert len(receiver.wait_for(4)) == 4

    status = c.run("status")
    assert status.returncode == 0
    assert "heartbeat" not in status.stdout  # heard: nothing to say
    for text in [*c.outputs, log_text(tmp_path)]:
        assert TOKEN not in text


def test_a_receiver_that_is_down_changes_no_exit_status_and_shows_in_status(
    tmp_path: Path, platform: FakePlatformServer
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/ping/{TOKEN}"
    c = cli(tmp_path, platform, url)
    schedule(c, tmp_path, WEEK.replace("2022-07", "2100-07"))  # the rest of the week to come
    sent = c.run("run-due", "--pretend-now", "2100-07-04T08:00:00Z")
    assert sent.returncode == 0, sent.stderr
    assert c.states()["week:launch:mastodon"] == "published"
    state = json.loads((tmp_path / "xdg-state" / "clarion" / "heartbeat.json").read_text())
    assert state["ok"] is False and state["detail"] == "could not connect"
    assert "heartbeat NOT heard by http://127.0.0.1" in log_text(tmp_path)

    check = c.run("status", "--check")
    assert check.returncode == 1, check.stdout  # WARNING: the posts are fine, the monitor not
    assert check.stdout.startswith("CLARION WARNING - heartbeat not heard: NOT heard by http://")
    assert check.stdout.count("\n") == 1
    table = c.run("status")
    assert "heartbeat NOT heard by http://127.0.0.1:" in table.stdout
    data = json.loads(c.run("status", "--format", "json").stdout)
    assert data["heartbeat"]["ok"] is False
    assert data["heartbeat"]["target"].startswith("http://127.0.0.1:")

    idle = c.run("run-due", "--pretend-now", "2100-07-04T08:30:00Z")  # nothing due: quiet
    assert (idle.returncode, idle.stderr) == (0, "")
    for text in [*c.outputs, log_text(tmp_path), json.dumps(state)]:
        assert TOKEN not in text


def test_the_url_is_read_from_the_env_file_like_a_secret(
    tmp_path: Path, receiver: Receiver, platform: FakePlatformServer
) -> None:
    c = cli(tmp_path, platform, None)
    env_file = tmp_path / "none.env"  # the .env file ClarionCLI names
    env_file.write_text(f"CLARION_HEARTBEAT_URL={receiver.ping_url}\n")
    env_file.chmod(0o600)
    idle = c.run("run-due")
    assert (idle.returncode, idle.stdout, idle.stderr) == (0, "", "")
    assert [h.path for h in receiver.wait_for(1)] == [f"/ping/{TOKEN}"]
    env_file.chmod(0o644)  # readable by others: refused, so no ping (and the run stays quiet)
    again = c.run("run-due")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert len(receiver.heard) == 1


def test_no_url_no_ping_and_the_idle_tick_imports_no_more(tmp_path: Path) -> None:
    code = (
        "import sys; sys.argv = ['clarion', 'run-due']\n"
        "from clarion.entry import main\nmain()\n"
        "print([m for m in ('logging', 'json', 'requests', 'clarion.monitoring.heartbeat', "
        "'keyring', 'dotenv') if m in sys.modules])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env.update(
        CLARION_DATABASE_URL=f"sqlite:///{tmp_path / 'none.sqlite3'}",
        CLARION_ENV_FILE=str(tmp_path / "none.env"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert (out.returncode, out.stdout, out.stderr) == (0, "[]\n", "")


def test_the_daemon_pings_after_its_runs(
    tmp_path: Path, receiver: Receiver, platform: FakePlatformServer
) -> None:
    c = cli(tmp_path, platform, receiver.ping_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clarion", "daemon", "--log-file", str(tmp_path / "d.log")],
        env=c.environment(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert [h.path for h in receiver.wait_for(1, timeout=60)] == [f"/ping/{TOKEN}"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert TOKEN not in out + err + (tmp_path / "d.log").read_text()


def test_the_idle_tick_names_the_keyring_as_the_lookup_does() -> None:
    from clarion import credentials
    from clarion.monitoring import state

    assert state.KEYRING_SOURCE == credentials.KEYRING_SOURCE


def test_a_run_that_could_not_work_does_not_ping(
    tmp_path: Path, receiver: Receiver, platform: FakePlatformServer
) -> None:
    bad = tmp_path / "broken.sqlite3"
    bad.write_text("not a database\n" * 100)
    c = ClarionCLI(
        tmp_path, cli(tmp_path, platform, receiver.ping_url).platform_env, f"sqlite:///{bad}"
    )
    done = c.run("run-due")
    assert done.returncode == 1 and "could not open its ledger" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    ok = cli(tmp_path, platform, receiver.ping_url).run("run-due")  # the real ledger: idle
    assert ok.returncode == 0, ok.stderr
    assert len(receiver.wait_for(1)) == 1  # only the run that worked was heard
