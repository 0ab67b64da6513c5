"""X OAuth 2.0 keys that stay alive: renewed before they expire, the rotated refresh token saved at
once, and a run killed (kill -9) at each point around the renewal never leaves the account locked
out where X allows it.

Real ``clarion`` processes (:mod:`tests.clarion_proc`), the stub X API with single-use refresh
tokens and 2-hour access tokens (:mod:`tests.servers.x_oauth2`), and the token store in the run's
own data folder (``XDG_DATA_HOME``), as a file (the tests' keyring is the null one).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clarion import secrets
from clarion.platforms.x import _oauth2
from clarion.settings import environ
from clarion.tokens import TokenSet, TokenStore
from tests.platforms.test_x_stub_e2e import LAUNCH, SINGLE, Clarion, at
from tests.servers.x_stub import XStub

pytestmark = pytest.mark.slow
TOKEN = "POST /2/oauth2/token"
TWEETS = "POST /2/tweets"


@pytest.fixture
def stub() -> Iterator[XStub]:
    with XStub() as server:
        yield server


class OAuth2Clarion(Clarion):
    """Clarion with no OAuth 1.0a keys: only the saved OAuth 2.0 key and the app's client id."""

    def __init__(self, folder: Path, stub: XStub) -> None:
        super().__init__(folder, stub)
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
            self.platform_env.pop(f"CLARION_X_{name}")
        self.platform_env["CLARION_X_CLIENT_ID"] = stub.oauth2.client_id

    @property
    def store(self) -> TokenStore:
        return TokenStore(
            environ({"CLARION_TOKEN_STORE": "file"}),
            self.folder / "xdg-data" / "clarion" / "tokens",
        )

    def seed(self, left: dt.timedelta) -> dict[str, Any]:
        """Save a token pair the stub issued, as if it had ``left`` of its life to go."""
        pair = self.stub.oauth2.seed()
        expires = dt.datetime.now(dt.UTC) + left
        self.store.save(
            "x", "default", TokenSet(pair["access_token"], pair["refresh_token"], expires)
        )
        return pair

    def saved(self) -> TokenSet:
        found = self.store.load("x", "default")
        assert found is not None
        return found


@pytest.fixture
def clarion(tmp_path: Path, stub: XStub) -> Iterator[OAuth2Clarion]:
    c = OAuth2Clarion(tmp_path, stub)
    yield c
    log = c.folder / "clarion.log"
    seen = "".join([*c.outputs, log.read_text() if log.exists() else ""])
    tokens = [*stub.oauth2.access, *stub.oauth2.refresh, *stub.oauth2.used]
    assert not [t for t in tokens if t in seen], "a token was printed or logged"
    assert "Traceback" not in seen


def test_a_fresh_key_is_used_as_it_is(clarion: OAuth2Clarion, stub: XStub) -> None:
    pair = clarion.seed(dt.timedelta(hours=2))
    clarion.schedule(SINGLE)
    done = clarion.run_due(at())
    assert done.returncode == 0, done.stderr
    assert clarion.states()[LAUNCH] == "published"
    assert stub.requests(TOKEN) == []
    assert stub.requests(TWEETS)[0].headers["Authorization"] == f"Bearer {pair['access_token']}"


def test_a_key_near_its_end_is_renewed_and_the_new_refresh_token_saved(
    clarion: OAuth2Clarion, stub: XStub
) -> None:
    old = clarion.seed(dt.timedelta(minutes=5))  # under the 10-minute margin
    clarion.schedule(SINGLE)
    done = clarion.run_due(at())
    assert done.returncode == 0, done.stderr
    assert clarion.states()[LAUNCH] == "published"
    assert stub.oauth2.renewals == 1
    (renewal,) = stub.requests(TOKEN)
    assert "Authorization" not in renewal.headers  # a public client: its id in the body
    saved = clarion.saved()
    assert saved.refresh in stub.oauth2.live_refresh()
    assert old["refresh_token"] in stub.oauth2.used
    assert saved.renewing_since is None
    assert saved.expires_at is not None
    left = saved.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=1, minutes=55) < left <= dt.timedelta(hours=2)
    assert stub.requests(TWEETS)[0].headers["Authorization"] == f"Bearer {saved.access}"
    path = clarion.store.path("x", "default")
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tmp")] == []

    # the next run uses the renewed key as it is
    again = clarion.run_due(at(days=1))
    assert again.returncode == 0, again.stderr
    assert stub.oauth2.renewals == 1


def test_a_key_x_refuses_as_expired_is_renewed_and_the_post_sent_once(
    clarion: OAuth2Clarion, stub: XStub
) -> None:
    clarion.seed(dt.timedelta(hours=2))
    stub.oauth2.advance(2 * 3600 + 60)  # X's clock says the access token has run out
    clarion.schedule(SINGLE)
    done = clarion.run_due(at())
    assert done.returncode == 0, done.stderr
    assert clarion.states()[LAUNCH] == "published"
    assert stub.oauth2.renewals == 1
    assert len(stub.posts()) == 1
    first, second = stub.requests(TWEETS)
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_x_unreachable_for_the_renewal_keeps_using_the_key_while_it_lasts(
    clarion: OAuth2Clarion, stub: XStub
) -> None:
    old = clarion.seed(dt.timedelta(minutes=5))
    stub.fault(TOKEN, "error", status=503)
    clarion.schedule(SINGLE)
    done = clarion.run_due(at())
    assert done.returncode == 0, done.stderr
    assert clarion.states()[LAUNCH] == "published"
    assert stub.requests(TWEETS)[0].headers["Authorization"] == f"Bearer {old['access_token']}"
    assert clarion.saved().refresh == old["refresh_token"]  # still the one X holds
    assert clarion.saved().renewing_since is not None
    again = clarion.run("accounts", "check")
    assert again.returncode == 0, again.stdout + again.stderr
    assert stub.oauth2.renewals == 1 and clarion.saved().renewing_since is None


#: kill -9 at each point around the renewal: (what the next run does, renewals X answered).
CRASHES = {
    # the renewal's mark is saved, nothing has reached X: the old refresh token still works
    "x-token-before-refresh": ("published", 1),
    # X has answered (and replaced the refresh token), the answer is lost with the run
    "x-token-after-refresh": ("failed", 1),
    # the new set is saved: the next run uses it without renewing
    "x-token-after-save": ("published", 1),
}


@pytest.mark.parametrize("failpoint", list(CRASHES))
def test_kill_9_around_the_renewal(clarion: OAuth2Clarion, stub: XStub, failpoint: str) -> None:
    state, renewals = CRASHES[failpoint]
    clarion.seed(dt.timedelta(minutes=5))
    clarion.schedule(SINGLE)
    crashed = clarion.run("accounts", "check", env={"CLARION_FAILPOINTS": failpoint})
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr

    done = clarion.run_due(at())
    assert stub.oauth2.renewals == renewals
    assert clarion.states()[LAUNCH] == state
    if state == "published":
        assert done.returncode == 0, done.stderr
        saved = clarion.saved()
        assert saved.refresh in stub.oauth2.live_refresh() and saved.renewing_since is None
        assert len(stub.posts()) == 1
        return
    # The one window X leaves: its new refresh token died with the run. The account is paused
    # with what happened and the command that fixes it; nothing was posted.
    assert done.returncode == 1
    assert stub.posts() == []
    reason = clarion.rows()[LAUNCH].last_error or ""
    assert "X refused to renew the OAuth 2.0 key of account 'default'" in reason
    assert "stopped or got no answer" in reason
    assert "`clarion accounts login x --oauth2`" in reason
    paused = clarion.status()["paused_accounts"]
    assert [(a["platform"], a["account"]) for a in paused] == [("x", "default")]
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 1
    (account,) = json.loads(check.stdout)["accounts"]
    assert "clarion accounts login x --oauth2" in account["problem"]


def test_a_lost_answer_to_the_renewal_pauses_the_account_naming_the_login(
    clarion: OAuth2Clarion, stub: XStub
) -> None:
    """X renewed, the connection dropped before its answer arrived: the same window as a kill."""
    clarion.seed(dt.timedelta(minutes=5))
    stub.fault(TOKEN, "drop_after")
    clarion.schedule(SINGLE)
    first = clarion.run_due(at())
    assert first.returncode == 0, first.stderr  # the old access token still had 5 minutes
    second = clarion.run_due(at(days=1))
    assert second.returncode == 1
    assert "`clarion accounts login x --oauth2`" in (
        clarion.rows()["xweek:day2:x"].last_error or ""
    )


def test_two_runs_renewing_at_once_use_the_refresh_token_once(tmp_path: Path, stub: XStub) -> None:
    store = TokenStore(environ({"CLARION_TOKEN_STORE": "file"}), tmp_path / "tokens")
    pair = stub.oauth2.seed()
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    store.save("x", "default", TokenSet(pair["access_token"], pair["refresh_token"], soon))
    app = _oauth2.App(stub.url, stub.oauth2.client_id)
    got: list[Any] = []
    start = threading.Barrier(8)

    def renew() -> None:
        start.wait()
        got.append(
            _oauth2.access_token(
                TokenStore(environ({"CLARION_TOKEN_STORE": "file"}), tmp_path / "tokens"),
                "default",
                app,
            )
        )

    threads = [threading.Thread(target=renew) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert stub.oauth2.renewals == 1
    assert len({a.token for a in got}) == 1 and all(isinstance(a, _oauth2.Access) for a in got)
    assert got[0].token in stub.oauth2.access and got[0].token != pair["access_token"]
    secrets.clear()
