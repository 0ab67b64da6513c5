"""The X adapter end to end: real ``clarion`` processes, a real SQLite ledger, and the stub X API
(:mod:`tests.servers.x_stub`) over real HTTP on 127.0.0.1.

Each test schedules a campaign, runs ``clarion run-due --pretend-now ...`` as a subprocess with
``CLARION_X_API_BASE`` pointing at the stub and OAuth 1.0a keys the stub verifies, and checks the
exit code, the ledger's states, and what the stub *received*. ``CLARION_X_TIMEOUT`` sets the
adapter's timeout (seconds) for the slow-answer case. The platform registry does not list the X
adapter yet: ``CLARION_ADAPTERS=x=clarion.platforms.x:XAdapter`` installs it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clarion_proc import ClarionCLI
from tests.conftest import png
from tests.net import closed_port
from tests.servers.x_stub import XStub

pytestmark = pytest.mark.slow  # the stub answers from tests/fixtures/x: nothing from ../shared

T0 = dt.datetime(2022, 7, 4, 8, 0, tzinfo=dt.UTC)  # 09:00 in London: the launch is due
LAUNCH, PART2, DAY2 = "xweek:launch:x", "xweek:launch:x#2", "xweek:day2:x"
TWEETS = "POST /2/tweets"
QUOTED = "1445880548472328192"  # the id in the campaign's quote_of

CAMPAIGN = """\
version: 1
name: X Week
slug: xweek
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [x]
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: "Launch day & more: example.org/week"
    quote_of: https://x.com/TweepyDev/status/1445880548472328192
    images:
      - {path: banner.png, alt: A banner reading Week of Action}
    thread:
      - text: Launch part two
        images:
          - {path: banner.png, alt: The banner again}
          - {path: second.png, alt: A crowd in the square}
  - id: day2
    at: 2022-07-05 09:00
    text: Day two
"""

SINGLE = """\
version: 1
name: X Week
slug: xweek
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [x]
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: Launch day
  - id: day2
    at: 2022-07-05 09:00
    text: Day two
"""


def at(**delta: float) -> str:
    return (T0 + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clarion(ClarionCLI):
    """``python -m clarion`` against one SQLite ledger and the stub X API."""

    def __init__(self, folder: Path, stub: XStub) -> None:
        platform = {
            "CLARION_ADAPTERS": "x=clarion.platforms.x:XAdapter",
            "CLARION_X_TIMEOUT": "5",
            **stub.env(),
        }
        super().__init__(folder, platform)
        self.stub = stub

    def schedule(self, text: str) -> None:
        (self.folder / "banner.png").write_bytes(png(4, 2))
        (self.folder / "second.png").write_bytes(png(2, 4))
        path = self.folder / "week.yaml"
        path.write_text(textwrap.dedent(text))
        done = self.run("schedule", str(path))
        assert done.returncode == 0, done.stdout + done.stderr

    def run_due(
        self, now: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        log = str(self.folder / "clarion.log")
        # -vv: the client libraries' own debug lines (requests_oauthlib prints the signed OAuth
        # header, urllib3 every request) are in the log too, and must be redacted there
        return self.run("run-due", "--pretend-now", now, "--log-file", log, "-vv", *args, env=env)


@pytest.fixture
def stub() -> Iterator[XStub]:
    with XStub() as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, stub: XStub) -> Iterator[Clarion]:
    c = Clarion(tmp_path, stub)
    yield c
    log = c.folder / "clarion.log"
    seen = [*c.outputs, log.read_text() if log.exists() else ""]
    secrets = [*stub.keys[1:], stub.oauth2_token]
    assert not [s for s in secrets if any(s in out for out in seen)], "a secret was printed"


def the_post(stub: XStub) -> dict[str, Any]:
    """The one post the stub has; fails if there are more or none."""
    posts = stub.posts()
    assert len(posts) == 1, [p["text"] for p in posts]
    return posts[0]


# --- publishing -----------------------------------------------------------------------------------


def test_dry_run_payload_is_exactly_what_x_received(clarion: Clarion, stub: XStub) -> None:
    clarion.schedule(CAMPAIGN)
    dry = clarion.run_due(at(), "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    planned = {r["key"]: r["payload"] for r in json.loads(dry.stdout)["requests"]}
    assert set(planned) == {LAUNCH, PART2}
    assert not stub.received  # a dry run sends nothing
    assert planned[PART2]["tweet"]["reply"] == {"in_reply_to_tweet_id": f"<id of {LAUNCH}>"}

    done = clarion.run_due(at(), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = clarion.rows()
    assert {k: r.state.value for k, r in rows.items()} == {
        LAUNCH: "published",
        PART2: "published",
        DAY2: "pending",
    }

    posts = stub.posts()
    assert [p["text"] for p in posts] == ["Launch day & more: example.org/week", "Launch part two"]
    uploads = stub.requests("POST /2/media/upload")
    media_ids = list(stub.media)
    assert len(uploads) == len(media_ids) == 3
    ids_by_key = {LAUNCH: posts[0]["id"], PART2: posts[1]["id"]}
    issued = iter(media_ids)
    for key, post in zip((LAUNCH, PART2), posts, strict=True):
        payload = planned[key]
        expected = json.loads(json.dumps(payload["tweet"]))
        placeholders = {m["media_id"]: next(issued) for m in payload["media"]}
        expected["media"]["media_ids"] = [placeholders[p] for p in expected["media"]["media_ids"]]
        if "reply" in expected:
            parent = expected["reply"]["in_reply_to_tweet_id"].removeprefix("<id of ")
            expected["reply"]["in_reply_to_tweet_id"] = ids_by_key[parent.removesuffix(">")]
        assert post["body"] == expected  # the JSON body X received, exactly
        for m in payload["media"]:
            got = stub.media[placeholders[m["media_id"]]]
            assert got["data"] == Path(m["file"]).read_bytes()
            assert got["category"] == m["media_category"] == "tweet_image"
            assert got["alt_text"] == m["alt_text"]
        assert rows[key].platform_id == post["id"]
        assert rows[key].platform_url == f"https://x.com/i/web/status/{post['id']}"
    assert posts[0]["body"]["quote_tweet_id"] == QUOTED
    # the reply chain: part two answers the launch post
    assert posts[1]["body"]["reply"] == {"in_reply_to_tweet_id": posts[0]["id"]}
    alts = [m["alt_text"] for m in stub.media.values()]
    assert alts == ["A banner reading Week of Action", "The banner again", "A crowd in the square"]
    # every request was signed with the account's keys and went to the stub
    assert all(r.headers["Authorization"].startswith("OAuth ") for r in stub.received)
    # the client libraries' debug lines are logged, with the keys redacted (the fixture checks
    # that no secret appears anywhere)
    log = (clarion.folder / "clarion.log").read_text()
    assert "DEBUG requests_oauthlib.oauth1_auth" in log and "client_secret=***" in log

    again = clarion.run_due(at(minutes=5))
    assert again.returncode == 0
    assert len(stub.requests(TWEETS)) == 2  # published once, exactly


def test_rate_limit_retries_not_before_xs_reset(clarion: Clarion, stub: XStub) -> None:
    reset = int((T0 + dt.timedelta(seconds=90)).timestamp())
    stub.fault(TWEETS, "rate_limit", reset=reset)
    clarion.schedule(SINGLE)
    first = clarion.run_due(at())
    assert first.returncode == 0, first.stderr
    row = clarion.rows()[LAUNCH]
    assert row.state.value == "retry" and row.not_before_ms is not None
    assert row.not_before_ms >= reset * 1000
    assert "rate limit" in (row.last_error or "")

    early = clarion.run_due(at(seconds=80))
    assert early.returncode == 0
    assert len(stub.requests(TWEETS)) == 1  # not tried again before the reset

    late = clarion.run_due(at(minutes=3))
    assert late.returncode == 0, late.stderr
    assert clarion.states()[LAUNCH] == "published"
    assert clarion.rows()[LAUNCH].platform_id == the_post(stub)["id"]


def test_connection_refused_is_retried(clarion: Clarion, stub: XStub) -> None:
    clarion.schedule(SINGLE)
    refused = {"CLARION_X_API_BASE": f"http://127.0.0.1:{closed_port()}"}
    done = clarion.run_due(at(), env=refused)
    assert done.returncode == 0, done.stderr
    row = clarion.rows()[LAUNCH]
    assert row.state.value == "retry" and "could not reach X" in (row.last_error or "")
    assert clarion.run_due(at(minutes=3)).returncode == 0
    assert clarion.states()[LAUNCH] == "published"
    assert the_post(stub)["text"] == "Launch day"


@pytest.mark.parametrize(
    ("fault", "options", "env"),
    [
        ("slow", {"delay": 4}, {"CLARION_X_TIMEOUT": "1"}),
        ("drop_after", {}, {}),
    ],
)
def test_no_answer_after_sending_is_unconfirmed_then_reconcile_finds_the_post(
    clarion: Clarion, stub: XStub, fault: str, options: dict[str, Any], env: dict[str, str]
) -> None:
    stub.fault(TWEETS, fault, **options)
    clarion.schedule(SINGLE)
    first = clarion.run_due(at(), env=env)
    assert first.returncode == 1  # unconfirmed is a problem to look at
    assert clarion.states()[LAUNCH] == "unconfirmed"
    post = the_post(stub)  # X made it

    second = clarion.run_due(at(minutes=1))
    assert second.returncode == 0, second.stderr
    row = clarion.rows()[LAUNCH]
    assert row.state.value == "published" and row.platform_id == post["id"]
    assert row.platform_url == f"https://x.com/{stub.user['username']}/status/{post['id']}"
    assert len(stub.requests(TWEETS)) == 1  # never sent twice
    assert clarion.path(LAUNCH)[-2:] == ["unconfirmed", "published"]


@pytest.mark.parametrize(("fault", "options"), [("drop_before", {}), ("error", {"status": 500})])
def test_unknown_then_absent_is_sent_again_once(
    clarion: Clarion, stub: XStub, fault: str, options: dict[str, Any]
) -> None:
    stub.fault(TWEETS, fault, **options)
    clarion.schedule(SINGLE)
    assert clarion.run_due(at()).returncode == 1
    assert clarion.states()[LAUNCH] == "unconfirmed"
    assert stub.posts() == []

    clarion.run_due(at(minutes=1))  # reconcile: the timeline was read whole, no such post
    assert clarion.states()[LAUNCH] == "retry"
    assert clarion.run_due(at(minutes=3)).returncode == 0
    assert clarion.states()[LAUNCH] == "published"
    assert clarion.rows()[LAUNCH].platform_id == the_post(stub)["id"]
    assert len(stub.requests(TWEETS)) == 2
    assert clarion.path(LAUNCH) == [
        "pending",
        "claimed",
        "sending",
        "unconfirmed",
        "retry",
        "claimed",
        "sending",
        "published",
    ]


def test_duplicate_after_unknown_is_probably_published(clarion: Clarion, stub: XStub) -> None:
    # X made the post but answered 503; its timeline then lagged behind, so the look-up said
    # absent; the second send was refused as a duplicate: taken as published, id looked up
    stub.fault(TWEETS, "error", status=503, process=True)
    stub.fault("GET /2/users/:id/tweets", "stale", hide=1)
    clarion.schedule(SINGLE)
    assert clarion.run_due(at()).returncode == 1
    assert clarion.states()[LAUNCH] == "unconfirmed"
    clarion.run_due(at(minutes=1))
    assert clarion.states()[LAUNCH] == "retry"

    done = clarion.run_due(at(minutes=3))
    assert done.returncode == 0, done.stderr
    row = clarion.rows()[LAUNCH]
    post = the_post(stub)
    assert row.state.value == "published" and row.platform_id == post["id"]
    assert "duplicate content" in (row.last_error or "")
    refused = stub.requests(TWEETS)[-1]
    assert refused.json == {"text": "Launch day"}
    assert len(stub.requests(TWEETS)) == 2


def test_revoked_token_fails_and_pauses_the_account(clarion: Clarion, stub: XStub) -> None:
    stub.fault(TWEETS, "revoked")
    clarion.schedule(SINGLE)
    done = clarion.run_due(at())
    assert done.returncode == 1
    rows = clarion.rows()
    assert rows[LAUNCH].state.value == "failed"
    assert "X answered 401 Unauthorized" in (rows[LAUNCH].last_error or "")
    assert rows[DAY2].state.value == "paused"
    paused = clarion.status()["paused_accounts"]
    assert [(a["platform"], a["account"]) for a in paused] == [("x", "default")]
    assert "401" in paused[0]["reason"]
    assert stub.posts() == []

    # still refused: the account stays paused, in X's words
    stub.fault("GET /2/users/me", "revoked")
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 1
    (account,) = json.loads(check.stdout)["accounts"]
    assert not account["ok"] and "X answered 401 Unauthorized" in account["problem"]
    assert clarion.states()[DAY2] == "paused"

    # a new OAuth 2.0 user token: the check passes as the account, which is un-paused
    oauth2 = {f"CLARION_X_{n}": "" for n in ("API_KEY", "API_SECRET", "ACCESS_TOKEN")}
    oauth2["CLARION_X_OAUTH2_TOKEN"] = stub.oauth2_token
    check = clarion.run("accounts", "check", "--format", "json", env=oauth2)
    assert check.returncode == 0, check.stdout + check.stderr
    (account,) = json.loads(check.stdout)["accounts"]
    assert account["ok"] and account["posts_as"] == f"@{stub.user['username']}"
    assert stub.requests("GET /2/users/me")[-1].headers["Authorization"] == (
        f"Bearer {stub.oauth2_token}"
    )
    assert clarion.states()[DAY2] == "pending"
