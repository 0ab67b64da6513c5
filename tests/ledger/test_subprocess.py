"""Crash safety and concurrency with real ``clarion`` processes, a real ledger and a fake platform
over real HTTP: every post reaches the platform once and only once.

Each test has its own ledger (SQLite file or PostgreSQL database) and its own fake platform
(:mod:`tests.fake_http`); what the platform *received* is counted by idempotency key, and the
ledger's states are read back through ``clarion status`` / ``clarion history`` or directly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clarion.delivery import idempotency_key
from clarion.ledger import open_ledger
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown
from tests.clarion_proc import ClarionCLI
from tests.deliveries import sendable
from tests.fake_http import TOKEN, FakePlatformServer, HttpFakeAdapter
from tests.ledger.helpers import WEEK, utc
from tests.net import closed_port
from tests.pg import PostgresServer

pytestmark = pytest.mark.slow

T0 = utc("2022-07-04T08:00:00Z")  # WEEK's launch (09:00 in London) is due
LAUNCH, PART2, DAY2, DAY3 = (
    "week:launch:mastodon",
    "week:launch:mastodon#2",
    "week:day2:mastodon",
    "week:day3:mastodon",
)
IK = {key: idempotency_key(key) for key in (LAUNCH, PART2, DAY2, DAY3)}

_databases = itertools.count(1)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def after(**delta: float) -> str:
    """An instant after T0, for --pretend-now."""
    return iso(T0 + dt.timedelta(**delta))


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


def wait_lease_over(clarion: ClarionCLI, key: str) -> None:
    """Poll the real clock until ``key``'s lease (an instant of the real clock) has passed."""
    until = clarion.rows()[key].lease_until_ms
    assert until is not None
    assert until < time.time() * 1000 + 60_000, "the lease is not measured on the real clock"
    wait_until(lambda: time.time() * 1000 > until, 10, f"the lease of {key} to run out")


@dataclass
class Proc:
    """A clarion process started in the background, its output going to files."""

    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    started: float = field(default_factory=time.monotonic)

    def wait(self, timeout: float = 60) -> int:
        return self.popen.wait(timeout=timeout)

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    @property
    def agent(self) -> str:
        """The User-Agent its adapter sends (it names the process)."""
        return f"clarion-test pid {self.popen.pid}"


class Clarion(ClarionCLI):
    """Runs ``python -m clarion`` against one ledger and one fake platform."""

    def __init__(self, folder: Path, url: str, fake: FakePlatformServer) -> None:
        platform = {
            "CLARION_ADAPTERS": "*=tests.fake_http:HttpFakeAdapter",
            "CLARION_FAKE_URL": fake.url,
            "CLARION_FAKE_TOKEN": TOKEN,
            "CLARION_FAKE_TIMEOUT": "30",
        }
        super().__init__(folder, platform, url)
        self.fake = fake
        self.log = folder / "clarion.log"
        self.procs: list[Proc] = []
        self._n = itertools.count(1)

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return super().run(*args, env=env, timeout=timeout)

    def start(self, *args: str, env: dict[str, str] | None = None) -> Proc:
        n = next(self._n)
        out, err = self.folder / f"proc-{n}.out", self.folder / f"proc-{n}.err"
        with out.open("wb") as o, err.open("wb") as e:
            popen = subprocess.Popen(
                [sys.executable, "-m", "clarion", *args],
                env=self.environment(env),
                cwd=self.folder,
                stdout=o,
                stderr=e,
            )
        proc = Proc(popen, out, err)
        self.procs.append(proc)
        return proc

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.running:
                proc.popen.kill()
            proc.popen.wait(timeout=30)
            self.outputs += [proc.stdout, proc.stderr]

    # --- commands ------------------------------------------------------------------------------

    def schedule(self, *texts: str) -> None:
        files = []
        for n, text in enumerate(texts):
            path = self.folder / f"campaign-{n}.yaml"
            path.write_text(textwrap.dedent(text))
            files.append(str(path))
        done = self.run("schedule", *files)
        assert done.returncode == 0, done.stdout + done.stderr

    def run_due(
        self, now: str | None, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        at = ["--pretend-now", now] if now else []
        return self.run("run-due", *at, "-vv", "--log-file", str(self.log), *args, env=env)

    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for c in self.status()["campaigns"]:
            total.update({k: v for k, v in c["counts"].items() if v})
        return total

    def history(self, key: str) -> dict[str, Any]:
        done = self.run("history", key, "--format", "json")
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def ledger_text(self) -> str:
        """Every reason and error the ledger holds, as one text."""
        ledger = open_ledger(self.url)
        try:
            rows = ledger.db.query("SELECT reason FROM events")
            rows += ledger.db.query("SELECT last_error FROM deliveries")
            rows += ledger.db.query("SELECT reason FROM accounts")
        finally:
            ledger.close()
        return "\n".join(str(r[0]) for r in rows)


@pytest.fixture
def fake() -> Iterator[FakePlatformServer]:
    with FakePlatformServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def make_clarion(tmp_path: Path) -> Iterator[Callable[[str, FakePlatformServer], Clarion]]:
    made: list[Clarion] = []

    def make(url: str, fake: FakePlatformServer) -> Clarion:
        folder = tmp_path / f"c{len(made)}"
        folder.mkdir()
        made.append(Clarion(folder, url, fake))
        return made[-1]

    yield make
    for c in made:
        c.cleanup()


@pytest.fixture
def clarion(
    make_clarion: Callable[[str, FakePlatformServer], Clarion],
    ledger_url: str,
    fake: FakePlatformServer,
) -> Clarion:
    return make_clarion(ledger_url, fake)


def many_posts(slug: str, n: int, platforms: str, step_s: int = 4) -> str:
    """A campaign with ``n`` posts from 2022-07-04 09:00 (London), ``step_s`` seconds apart."""
    start = dt.datetime(2022, 7, 4, 9, 0)
    posts = "".join(
        f"  - id: p{i}\n"
        f"    at: {start + dt.timedelta(seconds=i * step_s):%Y-%m-%d %H:%M:%S}\n"
        f"    text: {slug} post number {i}\n"
        for i in range(n)
    )
    return (
        f"version: 1\nname: {slug}\nslug: {slug}\ntimezone: Europe/London\n"
        "dates: {start: 2022-07-04, end: 2022-07-09}\n"
        f"platforms: [{platforms}]\nposts:\n{posts}"
    )


def keys_of(slug: str, n: int, platforms: list[str]) -> list[str]:
    return [f"{slug}:p{i}:{p}" for i in range(n) for p in platforms]


def assert_received_once(fake: FakePlatformServer, keys: list[str]) -> None:
    """The platform accepted each delivery exactly once, and nothing else."""
    counts = fake.counts()
    expected = {idempotency_key(k) for k in keys}
    twice = {k for k, n in counts.items() if n > 1}
    assert not twice, f"{len(twice)} deliveries were received more than once"
    assert set(counts) == expected, (
        f"{len(expected - set(counts))} never received, {len(set(counts) - expected)} unexpected"
    )


# --- a. b. c. kill -9 at each instant of a send ---------------------------------------------------

CRASHES = {
    # failpoint: (state left behind, posts the platform got before the crash, the path taken)
    "after-claim": (
        "claimed",
        0,
        ["pending", "claimed", "pending", "claimed", "sending", "published"],
    ),
    "before-send": (
        "sending",
        0,
        [
            "pending",
            "claimed",
            "sending",
            "unconfirmed",
            "retry",
            "claimed",
            "sending",
            "published",
        ],
    ),
    "after-send": ("sending", 1, ["pending", "claimed", "sending", "unconfirmed", "published"]),
}


@pytest.mark.parametrize("failpoint", list(CRASHES))
def test_kill_9_mid_send_then_the_next_run_publishes_exactly_once(
    clarion: Clarion, fake: FakePlatformServer, failpoint: str
) -> None:
    left, received, path = CRASHES[failpoint]
    clarion.schedule(WEEK)
    # A send's lease is at least the adapter's timeout plus as much again: 2 s here.
    crash = {"CLARION_FAILPOINTS": failpoint, "CLARION_MASTODON_TIMEOUT": "1"}
    crashed = clarion.run_due(iso(T0), "--lease", "1s", env=crash)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert clarion.states()[LAUNCH] == left
    assert len(fake.requests()) == received
    assert sum(fake.counts().values()) == received

    # The lease (1 s, on the real clock) runs out: the next runs recover and finish the job.
    wait_lease_over(clarion, LAUNCH)
    second = clarion.run_due(after(minutes=1))
    assert second.returncode == 0, second.stderr
    if failpoint != "before-send":  # before-send needs a look-up, then a retry after backoff
        assert clarion.states()[LAUNCH] == "published"
    third = clarion.run_due(after(minutes=2))
    assert third.returncode == 0, third.stderr

    assert_received_once(fake, [LAUNCH, PART2])
    assert fake.attempts() == {IK[LAUNCH]: 1, IK[PART2]: 1}  # nothing was sent twice
    assert clarion.path(LAUNCH) == path
    states = clarion.states()
    assert (states[LAUNCH], states[PART2], states[DAY2]) == ("published", "published", "pending")
    # the thread part answers the post the platform really has
    by_key = {p["idempotency_key"]: p for p in fake.posts()}
    assert by_key[IK[PART2]]["in_reply_to_id"] == by_key[IK[LAUNCH]]["id"]
    if failpoint == "after-send":
        events = clarion.history(LAUNCH)["events"]
        assert "stopped before recording the answer" in events[3]["reason"]


FUTURE_WEEK = WEEK.replace("2022-07", "2100-07")


@pytest.mark.parametrize("failpoint", ["after-claim", "before-send"])
def test_a_run_pretending_to_be_in_2100_killed_mid_run_holds_its_claims_on_the_real_clock(
    clarion: Clarion, fake: FakePlatformServer, failpoint: str
) -> None:
    """Leases are real-clock instants: a run acting as if in 2100 that dies leaves claims a
    person can settle as soon as the lease has run out, not in 2100."""
    clarion.schedule(FUTURE_WEEK)
    crash = {"CLARION_FAILPOINTS": failpoint, "CLARION_MASTODON_TIMEOUT": "1"}
    crashed = clarion.run_due("2100-07-04T08:00:00Z", "--lease", "1s", env=crash)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert clarion.states()[LAUNCH] == ("claimed" if failpoint == "after-claim" else "sending")
    wait_lease_over(clarion, LAUNCH)
    if failpoint == "after-claim":  # nothing was sent: a person may cancel it
        done = clarion.run("cancel", LAUNCH)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{LAUNCH}: cancelled.\n"
        assert clarion.path(LAUNCH) == ["pending", "claimed", "pending", "cancelled"]
        again = clarion.run("retry", LAUNCH)
        assert again.returncode == 0, again.stderr
        assert "it goes out at its time, 2100-07-04 08:00 UTC" in again.stdout
        assert clarion.rows()[LAUNCH].due_ms == 4118371200000  # its time is kept
    else:  # it may have been sent: a person settles it
        done = clarion.run("resolve", LAUNCH, "--not-published")
        assert done.returncode == 0, done.stderr
        assert clarion.path(LAUNCH)[-2:] == ["unconfirmed", "retry"]
    assert fake.posts() == []


# --- d. overlapping runs on SQLite ----------------------------------------------------------------


def test_overlapping_runs_on_sqlite_send_each_post_once(
    make_clarion: Callable[[str, FakePlatformServer], Clarion],
    fake: FakePlatformServer,
    tmp_path: Path,
) -> None:
    c = make_clarion(f"sqlite:///{tmp_path / 'overlap.sqlite3'}", fake)
    c.schedule(many_posts("overlap", 100, "mastodon, bluesky", step_s=6))
    keys = keys_of("overlap", 100, ["mastodon", "bluesky"])
    now = ["--pretend-now", "2022-07-04T08:30:00Z", "--grace", "1h", "--log-file", "-"]
    # The first run holds the lock, and hangs on its first post until released (one send at a
    # time, so the hang holds up its whole first claim; the others send many at once).
    fake.configure(latency_ms=20, post=["hang"])
    first = c.start("run-due", *now, "--workers", "1")
    wait_until(lambda: fake.hanging == 1, 30, "the first run's first post")
    overlapping = [c.start("run-due", *now, "--allow-overlap") for _ in range(3)]
    refused = c.start("run-due", *now)
    assert refused.wait(30) == 0, refused.stderr
    assert "Another run-due is already working on this ledger" in refused.stderr
    assert time.monotonic() - refused.started < 15  # it did not wait for the lock
    assert first.running
    for proc in overlapping:
        assert proc.wait(60) == 0, proc.stderr
    fake.release()
    assert first.wait(60) == 0, first.stderr

    assert_received_once(fake, keys)
    senders = Counter(p["user_agent"] for p in fake.posts())
    assert senders[first.agent] == 5  # its first claimed batch; the others took everything else
    assert senders[refused.agent] == 0
    assert sum(1 for proc in overlapping if senders[proc.agent]) >= 2
    assert c.counts() == {"published": 200}


# --- e. 20 workers on PostgreSQL ------------------------------------------------------------------


def test_twenty_workers_on_postgresql_send_2000_posts_once(
    make_clarion: Callable[[str, FakePlatformServer], Clarion],
    fake: FakePlatformServer,
    pg_server: PostgresServer,
) -> None:
    c = make_clarion(pg_server.new_database(f"sp_load{next(_databases)}"), fake)
    c.schedule(
        many_posts("load-a", 500, "mastodon, bluesky"),
        many_posts("load-b", 500, "mastodon, bluesky"),
    )
    keys = keys_of("load-a", 500, ["mastodon", "bluesky"])
    keys += keys_of("load-b", 500, ["mastodon", "bluesky"])
    fake.configure(latency_ms=5)
    started = time.monotonic()
    workers = [
        c.start(
            "run-due",
            "--pretend-now",
            "2022-07-04T08:40:00Z",
            "--grace",
            "1h",
            "--allow-overlap",
            "--log-file",
            "-",
            "--format",
            "json",
        )
        for _ in range(20)
    ]
    for proc in workers:
        assert proc.wait(120) == 0, proc.stderr
    elapsed = time.monotonic() - started

    assert_received_once(fake, keys)
    reported = Counter(r["key"] for proc in workers for r in json.loads(proc.stdout)["results"])
    assert set(reported) == set(keys) and set(reported.values()) == {1}
    assert c.counts() == {"published": 2000}
    senders = {p["user_agent"] for p in fake.posts()}
    assert len(senders) >= 10, f"only {len(senders)} of 20 workers sent anything"
    assert elapsed < 90, f"20 workers took {elapsed:.1f} s"


# --- a stale look-up answer must not undo another worker's send -----------------------------------


def test_one_run_at_a_time_asks_the_platform_about_an_unconfirmed_delivery(
    clarion: Clarion, fake: FakePlatformServer
) -> None:
    """Two runs asking at once could both send it again (Mastodon: the same Idempotency-Key from
    two runs at once can make two statuses), or one's stale answer could undo the other's."""
    clarion.schedule(WEEK)
    fake.configure(post=["drop"])  # the answer is lost and the post never arrived
    assert clarion.run_due(iso(T0)).returncode == 1
    assert clarion.states()[LAUNCH] == "unconfirmed"
    # Worker B asks the platform; its answer ("not there") is held up on the way back.
    fake.configure(lookup=["hang"])
    slow = clarion.start("run-due", "--pretend-now", after(minutes=1), "--allow-overlap")
    wait_until(lambda: fake.hanging == 1, 30, "worker B's look-up")
    asked = len(fake.requests())
    # Meanwhile worker A leaves it to B: it neither asks nor sends it again.
    assert clarion.run_due(after(minutes=1), "--allow-overlap").returncode == 0
    assert clarion.states()[LAUNCH] == "unconfirmed"
    assert fake.hanging == 1 and len(fake.requests()) == asked and fake.posts() == []
    # B's answer arrives: not there, so it is sent again, once.
    fake.release()
    assert slow.wait(60) == 0, slow.stderr
    assert clarion.states()[LAUNCH] == "retry"
    assert clarion.run_due(after(minutes=3)).returncode == 0

    assert_received_once(fake, [LAUNCH, PART2])
    assert clarion.states()[LAUNCH] == "published"


# --- f. the platform's answers, end to end --------------------------------------------------------


def _rate_limited(c: Clarion, fake: FakePlatformServer) -> None:
    reset = T0 + dt.timedelta(minutes=3)
    fake.configure(post=["429"], reset_at=int(reset.timestamp()))
    assert c.run_due(iso(T0)).returncode == 0
    assert c.counts() == {"retry": 1, "pending": 3}
    assert c.run_due(after(minutes=2)).returncode == 0  # before the reset: nothing
    assert fake.posts() == []
    assert c.run_due(after(minutes=4)).returncode == 0
    assert_received_once(fake, [LAUNCH, PART2])
    assert fake.attempts()[IK[LAUNCH]] == 2
    events = c.history(LAUNCH)["events"]
    assert [e["to"] for e in events] == [
        "pending",
        "claimed",
        "sending",
        "retry",
        "claimed",
        "sending",
        "published",
    ]
    assert "429 Too many requests" in events[3]["reason"]


def _sent_then_lost(step: str, reason: str) -> Callable[[Clarion, FakePlatformServer], None]:
    """The answer is lost and the post never arrived: unconfirmed, looked up, sent again once."""

    def scenario(c: Clarion, fake: FakePlatformServer) -> None:
        fake.configure(post=[step])
        first = c.run_due(iso(T0))
        assert first.returncode == 1
        status = c.status()["campaigns"][0]
        assert status["counts"]["unconfirmed"] == 1
        assert status["attention"][0]["key"] == LAUNCH
        assert reason in status["attention"][0]["reason"]
        assert c.run_due(after(minutes=1)).returncode == 0  # look-up: absent -> retry
        assert c.run_due(after(minutes=2)).returncode == 0
        assert_received_once(fake, [LAUNCH, PART2])
        assert fake.attempts()[IK[LAUNCH]] == 2
        assert c.path(LAUNCH)[2:6] == ["sending", "unconfirmed", "retry", "claimed"]
        assert c.states()[LAUNCH] == "published"

    return scenario


def _received_then_lost(step: str, reason: str) -> Callable[[Clarion, FakePlatformServer], None]:
    """The platform has the post but the answer is lost: unconfirmed, then found, never re-sent."""

    def scenario(c: Clarion, fake: FakePlatformServer) -> None:
        fake.configure(post=[step])
        env = {"CLARION_FAKE_TIMEOUT": "1"}
        assert c.run_due(iso(T0), env=env).returncode == 1
        history = c.history(LAUNCH)
        assert history["state"] == "unconfirmed"
        assert reason in history["events"][-1]["reason"]
        fake.release()
        assert c.run_due(after(minutes=1)).returncode == 0
        assert_received_once(fake, [LAUNCH, PART2])
        assert fake.attempts() == {IK[LAUNCH]: 1, IK[PART2]: 1}
        assert c.path(LAUNCH)[-3:] == ["sending", "unconfirmed", "published"]

    return scenario


def _lookup_rate_limited(c: Clarion, fake: FakePlatformServer) -> None:
    """A look-up that could not be made says nothing about the post: it stays unconfirmed."""
    fake.configure(post=["drop-after"], lookup=["429"])
    assert c.run_due(iso(T0)).returncode == 1
    assert c.run_due(after(minutes=1)).returncode == 1
    assert c.states()[LAUNCH] == "unconfirmed"
    assert c.run_due(after(minutes=2)).returncode == 0
    assert_received_once(fake, [LAUNCH, PART2])
    assert fake.attempts() == {IK[LAUNCH]: 1, IK[PART2]: 1}


def _refused_connection(c: Clarion, fake: FakePlatformServer) -> None:
    down = {"CLARION_FAKE_URL": f"http://127.0.0.1:{closed_port()}"}
    assert c.run_due(iso(T0), env=down).returncode == 0
    assert c.states()[LAUNCH] == "retry"
    assert "Connection refused" in c.history(LAUNCH)["events"][-1]["reason"]
    assert fake.requests() == []
    assert c.run_due(after(minutes=1)).returncode == 0
    assert_received_once(fake, [LAUNCH, PART2])


def _revoked(c: Clarion, fake: FakePlatformServer) -> None:
    fake.configure(post=["revoked"])
    first = c.run_due(iso(T0))
    assert first.returncode == 1
    status = c.status()
    campaign = status["campaigns"][0]
    assert campaign["counts"]["failed"] == 1 and campaign["counts"]["paused"] == 3
    [attention] = campaign["attention"]
    assert attention["key"] == LAUNCH and attention["state"] == "failed"
    assert attention["reason"] == "401 The access token *** was revoked"
    [account] = status["paused_accounts"]
    assert (account["platform"], account["account"]) == ("mastodon", "default")
    assert "***" in account["reason"]
    assert c.run_due(after(minutes=1)).returncode == 0  # paused: nothing more is sent
    assert fake.posts() == []
    assert len(fake.requests()) == 1


def _duplicate(c: Clarion, fake: FakePlatformServer) -> None:
    fake.configure(post=["duplicate"])
    assert c.run_due(iso(T0)).returncode == 1
    history = c.history(LAUNCH)
    assert history["state"] == "failed"
    assert "422 Validation failed: this status is a duplicate" in history["events"][-1]["reason"]
    assert c.run_due(after(minutes=1)).returncode == 0
    assert fake.posts() == []
    states = c.states()
    assert (states[PART2], states[DAY2]) == ("pending", "pending")  # not paused: not an auth issue


SCENARIOS: dict[str, Callable[[Clarion, FakePlatformServer], None]] = {
    "429-with-reset": _rate_limited,
    "500": _sent_then_lost("500", "500 Internal server error"),
    "dropped-before-recording": _sent_then_lost("drop", "the connection failed after sending"),
    "dropped-after-recording": _received_then_lost(
        "drop-after", "the connection failed after sending"
    ),
    "read-timeout": _received_then_lost("hang", "no answer within 1 s after sending"),
    "look-up-rate-limited": _lookup_rate_limited,
    "connection-refused": _refused_connection,
    "revoked-token": _revoked,
    "duplicate-content": _duplicate,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_platform_answers_end_to_end_and_the_token_never_shows(
    clarion: Clarion, fake: FakePlatformServer, scenario: str
) -> None:
    clarion.schedule(WEEK)
    SCENARIOS[scenario](clarion, fake)
    # Every post that reached the platform carried the token...
    assert all(p["authorization"] == f"Bearer {TOKEN}" for p in fake.posts())
    # ...and it is nowhere in what Clarion printed, logged (at DEBUG) or stored.
    log = clarion.log.read_text()
    assert "headers={'Authorization': 'Bearer ***'" in log  # the debug line is there, redacted
    for text in [*clarion.outputs, log, clarion.ledger_text()]:
        assert TOKEN not in text


# --- g. the daemon --------------------------------------------------------------------------------


def soon_campaign(zone: str, offsets: list[float]) -> tuple[str, list[dt.datetime]]:
    """A campaign whose posts are due ``offsets`` seconds from now (real clock), plus one due
    tomorrow; and the due instants (UTC)."""
    tz = ZoneInfo(zone)
    now = dt.datetime.now(tz).replace(microsecond=0)
    due = [now + dt.timedelta(seconds=s) for s in offsets]
    later = now + dt.timedelta(days=1)
    posts = "".join(
        f"  - id: soon{i}\n    at: {t:%Y-%m-%d %H:%M:%S}\n    text: Soon number {i}\n"
        for i, t in enumerate(due)
    )
    posts += f"  - id: later\n    at: {later:%Y-%m-%d %H:%M:%S}\n    text: Tomorrow\n"
    first, last = (now - dt.timedelta(days=1)).date(), (now + dt.timedelta(days=2)).date()
    text = (
        f"version: 1\nname: Soon\nslug: soon\ntimezone: {zone}\n"
        f"dates: {{start: {first}, end: {last}}}\nplatforms: [mastodon]\nposts:\n{posts}"
    )
    return text, [t.astimezone(dt.UTC) for t in due]


def test_daemon_publishes_on_time_and_stops_cleanly_on_sigterm(
    clarion: Clarion, fake: FakePlatformServer
) -> None:
    text, due = soon_campaign("Europe/London", [3, 5])
    clarion.schedule(text)
    keys = ["soon:soon0:mastodon", "soon:soon1:mastodon"]
    daemon = clarion.start("daemon", "-v", "--log-file", str(clarion.log))
    wait_until(
        lambda: clarion.log.exists() and "daemon started" in clarion.log.read_text(),
        30,
        "the daemon to start",
    )
    # While the daemon works on this ledger, a run-due without --allow-overlap stops at once
    # (rehearsing tomorrow, when there is something to do, so it gets as far as the lock).
    blocked = clarion.run_due(iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)))
    assert blocked.returncode == 0, blocked.stderr
    assert "Another run-due is already working on this ledger" in blocked.stderr

    wait_until(lambda: len(fake.posts()) == 2, 30, "both posts")
    wait_until(
        lambda: all(clarion.states()[k] == "published" for k in keys), 10, "the ledger to agree"
    )
    by_key = {p["idempotency_key"]: p for p in fake.posts()}
    for key, instant in zip(keys, due, strict=True):
        sent = by_key[idempotency_key(key)]["received_at"]
        assert instant.timestamp() <= sent < instant.timestamp() + 10, (key, sent, instant)

    daemon.popen.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    assert daemon.wait(15) == 0, daemon.stderr
    assert time.monotonic() - stopping < 10
    states = clarion.states()
    assert not {"claimed", "sending"} & set(states.values())
    assert states["soon:later:mastodon"] == "pending"

    again = clarion.run_due(None)
    assert again.returncode == 0, again.stderr
    assert_received_once(fake, keys)


def test_daemon_sigterm_mid_batch_finishes_the_send_and_hands_back_the_rest(
    clarion: Clarion, fake: FakePlatformServer
) -> None:
    text, _ = soon_campaign("Europe/London", [-60, -50, -40, -30, -20, -10])
    clarion.schedule(text)
    keys = [f"soon:soon{i}:mastodon" for i in range(6)]
    fake.configure(post=["hang"])
    daemon = clarion.start("daemon", "-v", "--log-file", str(clarion.log))
    wait_until(lambda: fake.hanging == 1, 30, "the daemon's first send")
    assert clarion.states()[keys[0]] == "sending"
    daemon.popen.send_signal(signal.SIGTERM)
    wait_until(lambda: "finishing the current send" in clarion.log.read_text(), 10, "the signal")
    assert daemon.running  # it waits for the send in progress
    fake.release()
    assert daemon.wait(15) == 0, daemon.stderr

    states = clarion.states()
    assert not {"claimed", "sending"} & set(states.values())
    assert [states[k] for k in keys] == ["published"] + ["pending"] * 5
    handed_back = clarion.history(keys[1])["events"]
    assert [e["to"] for e in handed_back] == ["pending", "claimed", "pending"]
    assert "handed back unsent" in handed_back[-1]["reason"]

    again = clarion.run_due(None)
    assert again.returncode == 0, again.stderr
    assert_received_once(fake, keys)
    assert set(fake.attempts().values()) == {1}


def test_daemon_keeps_waking_after_a_delivery_it_cannot_send_yet(
    clarion: Clarion, fake: FakePlatformServer
) -> None:
    # "broken" is refused (duplicate content): its thread part stays due but cannot go before
    # it. The daemon must still wake for "next", due a few seconds later.
    text, due = soon_campaign("Europe/London", [-20, 4])
    text = text.replace(
        "    text: Soon number 0\n",
        "    text: Soon number 0\n    thread:\n      - text: Soon number 0, part two\n",
    )
    clarion.schedule(text)
    fake.configure(post=["duplicate"])
    daemon = clarion.start("daemon", "-v", "--log-file", str(clarion.log))
    wait_until(lambda: len(fake.posts()) == 1, 30, "the post due after the refused one")
    [post] = fake.posts()
    assert post["idempotency_key"] == idempotency_key("soon:soon1:mastodon")
    assert due[1].timestamp() <= post["received_at"] < due[1].timestamp() + 10
    daemon.popen.send_signal(signal.SIGTERM)
    assert daemon.wait(15) == 0, daemon.stderr
    states = clarion.states()
    assert states["soon:soon0:mastodon"] == "failed"
    assert states["soon:soon0:mastodon#2"] == "pending"  # missed once its grace window is over
    assert "skipped" not in clarion.log.read_text()


# --- the fake itself ------------------------------------------------------------------------------


def test_the_fake_platform_is_driven_over_http_and_classified_by_the_adapter(
    fake: FakePlatformServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(fake.url + path, data=data, timeout=5) as answer:
            return json.loads(answer.read())

    monkeypatch.setenv("CLARION_FAKE_URL", fake.url)
    monkeypatch.setenv("CLARION_FAKE_TOKEN", TOKEN)
    monkeypatch.setenv("CLARION_FAKE_TIMEOUT", "0.5")
    adapter = HttpFakeAdapter()
    request = adapter.build(*sendable(LAUNCH, "mastodon", "Hi"))
    call("/control", {"post": ["429", "500", "revoked", "duplicate", "hang"], "reset_at": 1e9})
    rate = adapter.publish(request)
    assert isinstance(rate, RetryLater) and rate.not_before == dt.datetime.fromtimestamp(
        1e9, dt.UTC
    )
    assert isinstance(adapter.publish(request), Unknown)
    revoked = adapter.publish(request)
    assert isinstance(revoked, Failed) and revoked.auth and TOKEN in revoked.reason
    duplicate = adapter.publish(request)
    assert isinstance(duplicate, Failed) and duplicate.duplicate
    assert isinstance(adapter.publish(request), Unknown)  # hung after recording: read timeout
    call("/control", {"release": True})
    assert isinstance(adapter.reconcile(request), Published)
    published = adapter.publish(request)
    assert isinstance(published, Published)
    other = adapter.build(*sendable(DAY2, "mastodon", "Yo"))
    assert isinstance(adapter.reconcile(other), Absent)
    posts = call("/posts")
    # it records every copy
    assert [p["idempotency_key"] for p in posts] == [idempotency_key(LAUNCH)] * 2
    assert {p["authorization"] for p in posts} == {f"Bearer {TOKEN}"}
    assert [r["step"] for r in call("/requests")] == [
        "429",
        "500",
        "revoked",
        "duplicate",
        "hang",
        "ok",
    ]
    monkeypatch.setenv("CLARION_FAKE_URL", f"http://127.0.0.1:{closed_port()}")
    refused = HttpFakeAdapter().publish(request)
    assert isinstance(refused, RetryLater) and refused.before_send
