"""Claims whose run is gone: a real ``clarion run-due`` killed with kill -9 (a failpoint makes it
SIGKILL itself at an exact instant) while holding a long lease. ``status`` flags its claim at once
(table, json and ``--check``), and the next run takes it back at once instead of waiting out the
lease, because the owner is a run on this machine whose process no longer exists. The platform
still receives each post exactly once."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion.delivery import idempotency_key
from clarion.ledger import owners
from clarion.ledger.states import State
from tests.clarion_proc import ClarionCLI
from tests.fake_http import TOKEN, FakePlatformServer
from tests.ledger.helpers import WEEK

pytestmark = pytest.mark.slow

FUTURE = WEEK.replace("2022-07", "2100-07")  # nothing overdue on the real clock
T0 = "2100-07-04T08:00:00Z"  # the launch (09:00 in London) is due
LAUNCH, PART2 = "week:launch:mastodon", "week:launch:mastodon#2"
HOUR = "1h"  # the lease: far longer than the test, so only "the process is gone" can explain


@pytest.fixture
def fake() -> Iterator[FakePlatformServer]:
    with FakePlatformServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, fake: FakePlatformServer, ledger_url: str) -> ClarionCLI:
    c = ClarionCLI(
        tmp_path,
        {
            "CLARION_ADAPTERS": "*=tests.fake_http:HttpFakeAdapter",
            "CLARION_FAKE_URL": fake.url,
            "CLARION_FAKE_TOKEN": TOKEN,
            "CLARION_FAKE_TIMEOUT": "30",
        },
        ledger_url,
    )
    path = tmp_path / "week.yaml"
    path.write_text(FUTURE)
    done = c.run("schedule", str(path))
    assert done.returncode == 0, done.stderr
    return c


def crash(c: ClarionCLI, failpoint: str) -> None:
    done = c.run(
        "run-due", "--pretend-now", T0, "--lease", HOUR, env={"CLARION_FAILPOINTS": failpoint}
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize(
    ("failpoint", "left", "path"),
    [
        (
            "after-claim",
            "claimed",
            ["pending", "claimed", "pending", "claimed", "sending", "published"],
        ),
        ("after-send", "sending", ["pending", "claimed", "sending", "unconfirmed", "published"]),
    ],
)
def test_status_flags_a_dead_runs_claim_at_once_and_the_next_run_takes_it_back(
    clarion: ClarionCLI, fake: FakePlatformServer, failpoint: str, left: str, path: list[str]
) -> None:
    crash(clarion, failpoint)
    # On PostgreSQL a send in flight waits for its lease (another machine may share the name).
    waits = left == "sending" and clarion.url.startswith("postgresql")
    row = clarion.rows()[LAUNCH]
    assert row.state.value == left
    assert row.lease_until_ms is not None and row.lease_until_ms > time.time() * 1000 + 3_000_000
    owner = owners.parse(row.lease_owner)
    assert owner is not None and owner.host == socket.gethostname()

    data = clarion.status()
    (entry,) = data["campaigns"][0]["stranded"]
    assert entry["key"] == LAUNCH and entry["state"] == left
    assert entry["taken_back_at_once"] is not waits
    assert f"process {owner.pid} no longer exists on {owner.host}" in entry["why"]
    said = "sends it" if left == "claimed" else "asks mastodon whether the post arrived"
    when = f"the first run after {entry['lease_until']}" if waits else "the next run"
    assert f"{when} {said}" in entry["next"]
    assert "otherwise run it now" in entry["next"]
    table = clarion.run("status")
    assert "left by a run that is gone:" in table.stdout and LAUNCH in table.stdout
    check = clarion.run("status", "--check")
    assert check.returncode == 1, check.stdout
    assert check.stdout.startswith("CLARION WARNING - 1 claim of a gone run (the next run takes")
    assert " stranded=1 " in check.stdout

    # The next run, well within the hour's lease, takes it back and finishes the job.
    started = time.monotonic()
    done = clarion.run("run-due", "--pretend-now", "2100-07-04T08:01:00Z")
    assert done.returncode == 0, done.stderr
    if waits:
        assert clarion.states()[LAUNCH] == "sending"  # left alone until the lease ends
        assert fake.attempts() == {idempotency_key(LAUNCH): 1}
        return
    assert time.monotonic() - started < 30
    states = clarion.states()
    assert (states[LAUNCH], states[PART2]) == ("published", "published")
    assert clarion.path(LAUNCH) == path
    events = json.loads(clarion.run("history", LAUNCH, "--format", "json").stdout)["events"]
    taken_back = events[2 if left == "claimed" else 3]  # claimed -> pending, sending -> unconfirmed
    assert taken_back["to"] == path[2 if left == "claimed" else 3]
    assert f"(process {owner.pid} no longer exists on {owner.host})" in taken_back["reason"]
    assert fake.attempts() == {idempotency_key(LAUNCH): 1, idempotency_key(PART2): 1}
    after = clarion.run("status", "--check")
    assert (after.returncode, after.stdout.split(" | ")[0]) == (0, "CLARION OK - all well")


def test_a_live_run_on_this_machine_is_never_taken_for_gone(tmp_path: Path) -> None:
    here = socket.gethostname()
    assert owners.gone(f"run-due pid {__import__('os').getpid()} on {here}") is None
    assert owners.gone(f"run-due pid 1 on {here}") is None  # init: alive (another user's, too)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert owners.gone(f"run-due pid {child.pid} on {here}") is None
        child.kill()
        # killed but not reaped yet: a zombie is dead
        deadline = time.monotonic() + 10
        while owners.gone(f"run-due pid {child.pid} on {here}") is None:
            assert time.monotonic() < deadline, "a killed, unreaped child still looks alive"
            time.sleep(0.01)
    finally:
        child.wait()
    assert owners.gone(f"run-due pid {child.pid} on {here}") == (
        f"process {child.pid} no longer exists on {here}"
    )
    # another machine's run, or a name that is not a run's: this machine cannot know
    assert owners.gone(f"run-due pid {child.pid} on not-{here}") is None
    assert owners.gone("person") is None and owners.gone(None) is None


def test_a_send_in_flight_waits_for_its_lease_on_postgresql_a_claim_does_not() -> None:
    assert owners.early("sqlite", State.SENDING) and owners.early("sqlite", State.CLAIMED)
    assert owners.early("postgresql", State.CLAIMED)
    assert not owners.early("postgresql", State.SENDING)


@given(
    st.integers(min_value=1, max_value=2**22),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,40}", fullmatch=True),
)
def test_an_owner_name_reads_back(pid: int, host: str) -> None:
    assert owners.parse(f"run-due pid {pid} on {host}") == owners.Owner(pid, host)


@given(st.text())
def test_any_text_reads_as_an_owner_or_none(text: str) -> None:
    found = owners.parse(text)
    assert found is None or ("run-due pid " in text and f" on {found.host}" in text)


def test_the_engines_name_for_a_run_reads_back() -> None:
    from clarion.engine import worker_name

    assert owners.parse(worker_name()) == owners.Owner(
        __import__("os").getpid(), socket.gethostname()
    )
