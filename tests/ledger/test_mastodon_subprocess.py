"""Mastodon deliveries settled without a person after ``kill -9``, with real ``clarion``
processes, a real SQLite ledger and the Mastodon stub (tests/servers/mastodon_stub.py), which
keeps ``Idempotency-Key`` as Mastodon does: within the hour of the first send the next run sends
again with the same key (the server answers with the status it made), after the hour it looks the
status up among the account's statuses. Every post is on the server exactly once.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clarion.delivery import idempotency_key
from clarion.ledger import open_ledger
from clarion.ledger.states import State
from clarion.platforms.mastodon.adapter import MastodonAdapter
from tests.clarion_proc import ClarionCLI
from tests.servers.mastodon_stub import TOKEN, MastodonStub

pytestmark = pytest.mark.slow

STATUSES = "POST /api/v1/statuses"
T0 = "2022-07-04T08:00:00Z"  # when the campaign's posts are due (09:00 in London)
#: An hour and a bit, in seconds: longer than Mastodon keeps an Idempotency-Key.
LATER_S = 3700


class AnHourLater(MastodonAdapter):
    """The real adapter, run as if an hour had passed since the first send (for the runs
    "after the hour", with the stub's clock moved on as much): only its clock differs."""

    def now_ms(self) -> int:
        return super().now_ms() + LATER_S * 1000


LATER = {"CLARION_ADAPTERS": "mastodon=tests.ledger.test_mastodon_subprocess:AnHourLater"}


def campaign(n: int) -> str:
    posts = "".join(
        f"  - id: p{i}\n    at: 2022-07-04 09:00:{i % 60:02d}\n    text: Week post number {i}\n"
        for i in range(n)
    )
    return (
        "version: 1\nname: Week\nslug: week\ntimezone: Europe/London\n"
        "dates: {start: 2022-07-04, end: 2022-07-09}\nplatforms: [mastodon]\n"
        f"posts:\n{posts}"
    )


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.005)


class Clarion(ClarionCLI):
    def __init__(self, folder: Path, stub: MastodonStub) -> None:
        super().__init__(
            folder,
            {
                "CLARION_MASTODON_BASE_URL": stub.url,
                "CLARION_MASTODON_ACCESS_TOKEN": TOKEN,
                "CLARION_MASTODON_TIMEOUT": "1",  # a send's lease: 2 s
            },
        )
        self.stub = stub

    def schedule(self, text: str) -> None:
        path = self.folder / "week.yaml"
        path.write_text(text)
        done = self.run("schedule", str(path))
        assert done.returncode == 0, done.stdout + done.stderr

    def args(self, minutes: int) -> list[str]:
        at = f"2022-07-04T08:{minutes:02d}:00Z"
        return ["run-due", "--pretend-now", at, "--grace", "1h", "--lease", "1s"]

    def run_due(
        self, minutes: int, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(*self.args(minutes), env=env)

    def start(self, minutes: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "clarion", *self.args(minutes)],
            env=self.environment({"CLARION_MASTODON_TIMEOUT": "1"}),  # a send's lease: 2 s
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def leases_over(self) -> None:
        """Poll the real clock until every lease held has run out."""
        until = max((r.lease_until_ms or 0 for r in self.rows().values()), default=0)
        wait_until(lambda: time.time() * 1000 > until, 15, "the leases to run out")

    def unconfirmed_ever(self, keys: list[str]) -> int:
        """How many of ``keys`` were unconfirmed at some time."""
        ledger = open_ledger(self.url)
        try:
            return sum(any(e.to_state == State.UNCONFIRMED for e in ledger.events(k)) for k in keys)
        finally:
            ledger.close()

    def one_each(self, keys: list[str]) -> None:
        """The server holds exactly one status for each delivery, and no other."""
        made = self.stub.posts_with_key()
        assert made == {idempotency_key(k): 1 for k in keys}


@pytest.fixture
def stub() -> Iterator[MastodonStub]:
    with MastodonStub() as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, stub: MastodonStub) -> Clarion:
    return Clarion(tmp_path, stub)


KEY = "week:p0:mastodon"


@pytest.mark.parametrize("failpoint", ["after-send", "before-send"])
def test_kill_9_mid_send_then_a_run_within_the_hour_publishes_once(
    clarion: Clarion, stub: MastodonStub, failpoint: str
) -> None:
    clarion.schedule(campaign(1))
    crashed = clarion.run_due(1, env={"CLARION_FAILPOINTS": failpoint})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert clarion.states()[KEY] == "sending"
    assert len(stub.statuses) == (1 if failpoint == "after-send" else 0)
    clarion.leases_over()
    done = clarion.run_due(2)
    assert done.returncode == 0, done.stderr
    assert clarion.states()[KEY] == "published"
    clarion.one_each([KEY])
    # the next run sent it again with the same key, and the server answered with its status
    keys = [r.headers.get("Idempotency-Key") for r in stub.requests(STATUSES)]
    assert keys == [idempotency_key(KEY)] * (2 if failpoint == "after-send" else 1)
    assert clarion.rows()[KEY].platform_id == stub.statuses[0]["id"]
    assert clarion.path(KEY) == ["pending", "claimed", "sending", "unconfirmed", "published"]


def test_kill_9_after_the_send_then_a_run_after_the_hour_looks_it_up(
    clarion: Clarion, stub: MastodonStub
) -> None:
    clarion.schedule(campaign(1))
    crashed = clarion.run_due(1, env={"CLARION_FAILPOINTS": "after-send"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    clarion.leases_over()
    stub.advance(LATER_S)  # the server has forgotten the key; so must Clarion
    done = clarion.run_due(2, env=LATER)
    assert done.returncode == 0, done.stderr
    assert clarion.states()[KEY] == "published"
    assert len(stub.requests(STATUSES)) == 1  # looked up, not sent again
    assert clarion.rows()[KEY].platform_id == stub.statuses[0]["id"]
    clarion.one_each([KEY])


def test_kill_9_before_the_send_then_a_run_after_the_hour_finds_nothing_and_sends_once(
    clarion: Clarion, stub: MastodonStub
) -> None:
    clarion.schedule(campaign(1))
    crashed = clarion.run_due(1, env={"CLARION_FAILPOINTS": "before-send"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    clarion.leases_over()
    stub.advance(LATER_S)
    assert clarion.run_due(2, env=LATER).returncode == 0
    assert clarion.states()[KEY] == "retry"  # absent: safe to send again, after a backoff
    assert stub.statuses == []
    assert clarion.run_due(5, env=LATER).returncode == 0
    assert clarion.states()[KEY] == "published"
    clarion.one_each([KEY])
    assert clarion.path(KEY) == [
        *["pending", "claimed", "sending", "unconfirmed"],
        *["retry", "claimed", "sending", "published"],
    ]


def kill_at_random(clarion: Clarion, stub: MastodonStub, n: int, kills: int, then: str) -> None:
    """``n`` deliveries, their run killed ``kills`` times at random while sending (the server
    makes each status, then answers 30 ms later, so most kills land between the two); then the
    runs after, ``then`` ("within the hour" of the first sends or "after the hour"), settle every
    delivery by themselves, each post on the server once."""
    keys = [f"week:p{i}:mastodon" for i in range(n)]
    clarion.schedule(campaign(n))
    stub.fault(STATUSES, "slow", times=10_000, delay=0.03)
    rng = random.Random(10)
    killed = 0
    while killed < kills:
        target = len(stub.requests(STATUSES)) + rng.randint(1, 3)
        proc = clarion.start(10)

        def sent_or_done(target: int = target, proc: subprocess.Popen[bytes] = proc) -> bool:
            return len(stub.requests(STATUSES)) >= target or proc.poll() is not None

        wait_until(sent_or_done, 30, "a send")
        if proc.poll() is None:
            proc.kill()
            killed += 1
        proc.wait(30)
        if proc.returncode != -signal.SIGKILL:  # it finished: wait for the killed runs' leases
            clarion.leases_over()
    assert len(stub.statuses) < n  # the kills came while there was work left
    if then == "after the hour":
        stub.advance(LATER_S)
    env = LATER if then == "after the hour" else None
    for minute in range(20, 60, 5):
        clarion.leases_over()
        clarion.run_due(minute, env=env)
        if Counter(clarion.states().values()) == {"published": n}:
            break
    assert Counter(clarion.states().values()) == {"published": n}
    assert len(stub.statuses) == n
    clarion.one_each(keys)
    # the kills left many unknown outcomes, which the runs after settled by themselves
    assert clarion.unconfirmed_ever(keys) >= kills // 3


def test_100_deliveries_50_random_kill_9s_then_runs_within_the_hour_settle_all(
    clarion: Clarion, stub: MastodonStub
) -> None:
    kill_at_random(clarion, stub, 100, 50, "within the hour")


def test_30_deliveries_15_random_kill_9s_then_runs_after_the_hour_settle_all(
    clarion: Clarion, stub: MastodonStub
) -> None:
    kill_at_random(clarion, stub, 30, 15, "after the hour")
