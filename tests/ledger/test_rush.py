"""The 09:00 rush with real ``clarion`` processes: many accounts sent at once, each account in its
order, every post once; SIGTERM and Ctrl-C during run-due; a send that outlasts its lease.

The fake platform is tests/fake_http.py over real HTTP; what it *received* is what counts.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clarion.delivery import idempotency_key
from tests.fake_http import TOKEN, FakePlatformServer
from tests.ledger.test_pool import accounts_campaign
from tests.ledger.test_subprocess import Clarion, assert_received_once, wait_lease_over, wait_until
from tests.pg import PostgresServer

pytestmark = pytest.mark.slow

NOW = "2022-07-04T08:01:00Z"  # 09:01 in London: every post below (09:00:00 to 09:00:59) is due
_databases = itertools.count(1)

MakeClarion = Callable[[FakePlatformServer], Clarion]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_clarion(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeClarion]:
    """Clarions on ledgers of one kind, each its own ledger and folder."""
    made: list[Clarion] = []

    def make(fake: FakePlatformServer) -> Clarion:
        folder = tmp_path / f"c{len(made)}"
        folder.mkdir()
        if request.param == "sqlite":
            url = f"sqlite:///{folder / 'ledger.sqlite3'}"
        else:
            server: PostgresServer = request.getfixturevalue("pg_server")
            url = server.new_database(f"rush{next(_databases)}")
        made.append(Clarion(folder, url, fake))
        return made[-1]

    yield make
    for c in made:
        c.cleanup()


@pytest.fixture
def fakes() -> Iterator[Callable[[], FakePlatformServer]]:
    servers: list[FakePlatformServer] = []

    def start() -> FakePlatformServer:
        servers.append(FakePlatformServer(token=TOKEN).start())
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def rush(c: Clarion, accounts: int, posts: int) -> dict[str, list[str]]:
    """``accounts`` campaigns of ``posts`` posts each, one account each, all due in one minute;
    account -> its keys in send order."""
    names = [f"acct{i:02d}" for i in range(accounts)]
    c.schedule(*(accounts_campaign(name, name, posts) for name in names))
    return {name: [f"{name}:p{i}:mastodon" for i in range(posts)] for name in names}


def assert_each_account_in_order(fake: FakePlatformServer, keys: dict[str, list[str]]) -> None:
    received = [p["idempotency_key"] for p in fake.posts()]  # in the order the platform got them
    for account_keys in keys.values():
        wanted = [idempotency_key(k) for k in account_keys]
        assert [k for k in received if k in set(wanted)] == wanted


def test_the_rush_200_posts_over_20_accounts_go_out_at_once_each_once_in_order(
    make_clarion: MakeClarion, fakes: Callable[[], FakePlatformServer]
) -> None:
    spans: dict[int, float] = {}
    for workers in (1, 20):  # one after another, then the pool, on ledgers of the same kind
        fake = fakes()
        fake.configure(latency_ms=40)
        c = make_clarion(fake)
        keys = rush(c, 20, 10)
        done = c.run_due(NOW, "--workers", str(workers))
        assert done.returncode == 0, done.stderr
        every = [k for ks in keys.values() for k in ks]
        assert_received_once(fake, every)
        assert_each_account_in_order(fake, keys)
        assert c.counts() == {"published": 200}
        times = [p["received_at"] for p in fake.posts()]
        spans[workers] = max(times) - min(times)
    # the platform got the 200 posts in a fraction of the time one after another takes
    assert spans[20] < spans[1] / 3, spans


SIGNALS = {"SIGTERM": (signal.SIGTERM, 143), "SIGINT": (signal.SIGINT, 130)}


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_during_run_due_finishes_the_sends_in_flight_and_hands_back_the_rest(
    make_clarion: MakeClarion, fakes: Callable[[], FakePlatformServer], name: str
) -> None:
    signum, code = SIGNALS[name]
    fake = fakes()
    c = make_clarion(fake)
    keys = rush(c, 3, 4)
    fake.configure(post=["hang"] * 3)  # the first send of each account hangs until released
    proc = c.start(
        "run-due", "--pretend-now", NOW, "--workers", "3", "-v", "--log-file", str(c.log)
    )
    wait_until(lambda: fake.hanging == 3, 30, "three sends in flight")
    proc.popen.send_signal(signum)
    wait_until(lambda: "finishing the sends in flight" in c.log.read_text(), 10, "the signal")
    wait_until(lambda: "claimed" not in c.states().values(), 10, "the claims handed back")
    assert proc.running  # it waits for the sends in flight
    assert sorted(c.states().values()) == ["pending"] * 9 + ["sending"] * 3
    fake.release()
    assert proc.wait(30) == code, proc.stderr
    assert f"{name}: finishing the posts being sent now" in proc.stderr

    states = c.states()
    firsts = [ks[0] for ks in keys.values()]
    assert [states[k] for k in firsts] == ["published"] * 3
    assert sorted(states.values()) == ["pending"] * 9 + ["published"] * 3
    handed_back = [k for ks in keys.values() for k in ks[1:] if "claimed" in c.path(k)]
    assert handed_back  # claimed with the first ones, never started
    for key in handed_back:
        events = c.history(key)["events"]
        assert [e["to"] for e in events] == ["pending", "claimed", "pending"]
        assert "handed back unsent" in events[-1]["reason"]

    again = c.run_due(NOW)
    assert again.returncode == 0, again.stderr
    assert_received_once(fake, [k for ks in keys.values() for k in ks])
    assert_each_account_in_order(fake, keys)
    assert set(fake.attempts().values()) == {1}


def test_a_second_signal_stops_at_once_and_the_next_run_settles_what_was_in_flight(
    make_clarion: MakeClarion, fakes: Callable[[], FakePlatformServer]
) -> None:
    fake = fakes()
    c = make_clarion(fake)
    keys = rush(c, 3, 4)
    fake.configure(post=["hang"] * 3)  # the platform has the posts; its answers are held back
    # a send's lease: 6 s (the adapter's timeout said to be 3 s, and as much again)
    env = {"CLARION_MASTODON_TIMEOUT": "3"}
    args = ("--pretend-now", NOW, "--workers", "3", "--lease", "2s", "--log-file", str(c.log))
    proc = c.start("run-due", *args, env=env)
    wait_until(lambda: fake.hanging == 3, 30, "three sends in flight")
    proc.popen.send_signal(signal.SIGTERM)
    wait_until(lambda: "claimed" not in c.states().values(), 10, "the claims handed back")
    proc.popen.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert proc.wait(10) == 143, proc.stderr
    assert time.monotonic() - stopped < 5  # it did not wait for the platform
    assert "SIGTERM again: stopping at once" in proc.stderr
    # consistent, as after a crash: the sends in flight are "sending" under their lease
    assert sorted(c.states().values()) == ["pending"] * 9 + ["sending"] * 3
    fake.release()

    firsts = [ks[0] for ks in keys.values()]
    for key in firsts:
        wait_lease_over(c, key)
    assert c.run_due(NOW, env=env).returncode in (0, 1)
    assert c.run_due(NOW, env=env).returncode == 0
    assert_received_once(fake, [k for ks in keys.values() for k in ks])
    assert set(fake.attempts().values()) == {1}  # found on the platform, never sent again
    for key in firsts:
        assert "unconfirmed" in c.path(key)
    assert set(c.states().values()) == {"published"}


ONE_POST = """\
version: 1
name: Slow
slug: slow
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [mastodon]
posts:
  - id: images
    at: 2022-07-04 09:00
    text: A post with many large images
"""


def test_a_send_longer_than_its_lease_keeps_it_and_is_published_once(
    make_clarion: MakeClarion, fakes: Callable[[], FakePlatformServer]
) -> None:
    fake = fakes()
    fake.configure(latency_ms=200)
    c = make_clarion(fake)
    c.schedule(ONE_POST)
    key = "slow:images:mastodon"
    # 30 uploads of 200 ms before the post: a send of 6 s, each request well within its 1 s
    # timeout; the send's lease is 2 s (the adapter's timeout said to be 1 s, and as much
    # again, or the run's --lease)
    env = {
        "CLARION_ADAPTERS": "*=tests.ledger.slow_fake:SlowUploadAdapter",
        "CLARION_FAKE_UPLOADS": "30",
        "CLARION_FAKE_TIMEOUT": "1",
        "CLARION_MASTODON_TIMEOUT": "1",
    }
    first = c.start("run-due", "--pretend-now", NOW, "--lease", "1s", env=env)
    wait_until(lambda: c.states()[key] == "sending", 30, "the send to start")
    lease = c.rows()[key].lease_until_ms
    assert lease is not None
    wait_until(lambda: time.time() * 1000 > lease + 500, 10, "the send to outlast its lease")
    assert first.running
    # another worker starts meanwhile: the send is still leased, so it leaves it alone
    second = c.run_due(NOW, "--allow-overlap", "--lease", "1s", env=env)
    assert second.returncode == 0, second.stderr
    row = c.rows()[key]
    assert row.state.value == "sending" and row.lease_until_ms is not None
    assert row.lease_until_ms > lease
    assert first.running  # still uploading
    assert first.wait(60) == 0, first.stderr

    assert_received_once(fake, [key])
    assert fake.attempts() == {idempotency_key(key): 1}
    assert c.path(key) == ["pending", "claimed", "sending", "published"]
