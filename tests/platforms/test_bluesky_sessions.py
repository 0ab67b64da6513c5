"""Bluesky sessions kept between runs, on the real PDS (:mod:`tests.servers.pds`): a week of cron
runs logs in a handful of times, not once a run.

Clarion posts through a counting proxy (:mod:`tests.servers.counting_proxy`) in front of the
PDS, which counts ``createSession`` and ``refreshSession``. Fifty runs are fifty adapters made
one after another in this process, each posting once, as each cron run's process makes its own
(all it keeps between runs is the token store); a few real ``clarion run-due`` processes show the
same across processes. The session lives in each test's own token store (a 0600 file in its
``XDG_DATA_HOME``; no keyring). A PDS cannot be made to run two hours fast, so "hours later" is
the saved session's expiry moved into the past: Clarion then renews it, the real PDS answering.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.platforms.bluesky import BlueskyAdapter
from clarion.platforms.outcomes import Published
from clarion.settings import environ
from clarion.tokens import TokenSet, TokenStore
from tests.clarion_proc import ClarionCLI
from tests.deliveries import sendable
from tests.servers.counting_proxy import CountingProxy
from tests.servers.pds import Account, PdsServer, start_pds

pytestmark = pytest.mark.slow

CREATE, REFRESH = "com.atproto.server.createSession", "com.atproto.server.refreshSession"
RUNS = 50
T0 = dt.datetime(2022, 7, 4, 8, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(hours=3)  # 50 posts, one every 3 hours: a week of runs


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdsServer]:
    with start_pds(tmp_path_factory.mktemp("pds-sessions")) as server:
        yield server


@pytest.fixture
def proxy(pds: PdsServer) -> Iterator[CountingProxy]:
    with CountingProxy(pds.url) as counting:
        yield counting


class Clarion(ClarionCLI):
    def __init__(self, folder: Path, proxy: CountingProxy, account: Account) -> None:
        super().__init__(
            folder,
            {
                "CLARION_ADAPTERS": "bluesky=clarion.platforms.bluesky:BlueskyAdapter",
                "CLARION_BLUESKY_SERVICE": proxy.url,
                "CLARION_BLUESKY_HANDLE": account.handle,
                "CLARION_BLUESKY_APP_PASSWORD": account.password,
            },
        )
        self.account = account

    @property
    def store(self) -> TokenStore:
        return TokenStore(
            environ({"CLARION_TOKEN_STORE": "file"}),
            self.folder / "xdg-data" / "clarion" / "tokens",
        )

    def session(self) -> TokenSet:
        found = self.store.load("bluesky", "default")
        assert found is not None
        return found

    def age_session(self) -> None:
        """As if the access JWT had run out (hours passed between two cron runs)."""
        old = self.session()
        gone = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        self.store.save("bluesky", "default", dataclasses.replace(old, expires_at=gone))

    def schedule(self, posts: int) -> None:
        lines = [
            f"  - id: p{n}\n    at: {(T0 + n * STEP):%Y-%m-%d %H:%M}\n    text: Post {n} this week"
            for n in range(posts)
        ]
        campaign = self.folder / "week.yaml"
        campaign.write_text(
            textwrap.dedent(
                """\
                version: 1
                name: Session Week
                slug: sessions
                timezone: UTC
                dates: {start: 2022-07-04, end: 2022-07-11}
                platforms: [bluesky]
                posts:
                """
            )
            + "\n".join(lines)
            + "\n"
        )
        done = self.run("schedule", str(campaign))
        assert done.returncode == 0, done.stdout + done.stderr

    def run_post(self, n: int) -> None:
        now = (T0 + n * STEP + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        done = self.run("run-due", "--pretend-now", now)
        assert done.returncode == 0, done.stdout + done.stderr
        assert self.states()[f"sessions:p{n}:bluesky"] == "published", done.stderr


@pytest.fixture
def clarion(tmp_path: Path, pds: PdsServer, proxy: CountingProxy) -> Iterator[Clarion]:
    made = pds.create_account(f"week{tmp_path.name[-12:].replace('_', '')}".lower()[:18])
    c = Clarion(tmp_path, proxy, made)
    yield c
    seen = "".join(c.outputs)
    saved = c.store.load("bluesky", "default")
    if saved is not None:
        assert saved.access not in seen and (saved.refresh or "-") not in seen
    assert made.password not in seen and "Traceback" not in seen


def test_fifty_runs_over_a_week_log_in_once(
    clarion: Clarion, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in clarion.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CLARION_TOKEN_STORE", "file")  # the keyring this process may have set
    posted = []
    for n in range(RUNS):
        if n and n % 10 == 0:
            clarion.age_session()  # 30 hours since the session was made or renewed
        adapter = BlueskyAdapter()  # a run: a new process would make a new one
        d = sendable(f"sessions:p{n}:bluesky", "bluesky", f"Post {n} this week")
        outcome = adapter.publish(adapter.build(d.delivery))
        assert isinstance(outcome, Published), outcome
        posted.append(outcome.post_id)
    print(f"\n{RUNS} runs: createSession {proxy[CREATE]}, refreshSession {proxy[REFRESH]}")
    assert proxy[CREATE] == 1
    assert proxy[REFRESH] == 4  # runs 10, 20, 30, 40
    assert len(set(posted)) == RUNS
    path = clarion.store.path("bluesky", "default")
    assert path.stat().st_mode & 0o777 == 0o600
    assert clarion.session().extra["did"] == clarion.account.did


def test_real_runs_reuse_the_session_saved_by_the_first(
    clarion: Clarion, proxy: CountingProxy
) -> None:
    clarion.schedule(5)
    for n in range(5):
        if n == 3:
            clarion.age_session()
        clarion.run_post(n)
    assert (proxy[CREATE], proxy[REFRESH]) == (1, 1)


def test_a_revoked_session_falls_back_to_a_login(
    clarion: Clarion, proxy: CountingProxy, pds: PdsServer
) -> None:
    clarion.schedule(5)  # the last one keeps the account in use for `accounts check`
    clarion.run_post(0)
    assert (proxy[CREATE], proxy[REFRESH]) == (1, 0)

    # the session is ended at the PDS (signed out elsewhere, say), and its access JWT has run out
    end = urllib.request.Request(f"{pds.url}/xrpc/com.atproto.server.deleteSession", method="POST")
    end.add_header("Authorization", f"Bearer {clarion.session().refresh}")
    urllib.request.urlopen(end, timeout=30).close()
    clarion.age_session()
    clarion.run_post(1)
    assert (proxy[CREATE], proxy[REFRESH]) == (2, 1)  # renewal refused: logged in again

    # an access JWT the PDS refuses mid-run (not expired by its clock): renewed, not a login
    spoilt = dataclasses.replace(clarion.session(), access=clarion.session().access[:-6] + "AAAAAA")
    clarion.store.save("bluesky", "default", spoilt)
    clarion.run_post(2)
    assert (proxy[CREATE], proxy[REFRESH]) == (2, 2)

    # a new app password set by a person: logged in with it, not the old session
    clarion.run_post(3)
    assert (proxy[CREATE], proxy[REFRESH]) == (2, 2)
    clarion.platform_env["CLARION_BLUESKY_APP_PASSWORD"] = "not the password"
    check = clarion.run("accounts", "check")
    assert check.returncode == 1
    assert "Bluesky refused the handle or app password" in check.stdout + check.stderr
    assert proxy[CREATE] == 3
