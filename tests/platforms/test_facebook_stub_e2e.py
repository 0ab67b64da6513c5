"""The Facebook adapter end to end: real ``clarion`` processes, a real SQLite ledger, and the Graph
API stub (:mod:`tests.servers.graph_stub`) over real HTTP, with faults injected per endpoint.

Each test checks three things: the ledger's states (``clarion status`` / ``history`` or the
ledger itself), the exit codes, and what the stub *received* (one post, never two).

The campaigns are dated a minute or two ahead of the real clock and run with ``--pretend-now`` at
that time, because Facebook's throttling answer names a wall-clock instant (now + the minutes in
``estimated_time_to_regain_access``), which must fall inside the grace window.
``CLARION_FACEBOOK_TIMEOUT`` (seconds, read by the adapter) makes the slow-answer case quick.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.ledger import open_ledger
from tests.clarion_proc import ClarionCLI
from tests.conftest import png
from tests.net import closed_port
from tests.servers.graph_stub import GraphStub

pytestmark = pytest.mark.slow

#: A token no generic "looks like a secret" pattern catches: only its registration hides it.
TOKEN = "EAAJq7pageTokenForStub4471"
ADAPTERS = "facebook=clarion.platforms.facebook:FacebookAdapter"


def iso(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Clarion(ClarionCLI):
    """``python -m clarion`` against one SQLite ledger and one Graph stub."""

    def __init__(self, folder: Path, stub: GraphStub) -> None:
        platform = {
            "CLARION_ADAPTERS": ADAPTERS,
            "CLARION_FACEBOOK_PAGE_ID": stub.page_id,
            "CLARION_FACEBOOK_PAGE_TOKEN": TOKEN,
            "CLARION_FACEBOOK_GRAPH_URL": stub.url,
            "CLARION_FACEBOOK_TIMEOUT": "5",
        }
        super().__init__(folder, platform)
        self.stub = stub
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        #: When every post of the campaign is due: the next minute but one.
        self.due = now + dt.timedelta(minutes=2)
        (folder / "a.png").write_bytes(png(2, 2))
        (folder / "b.png").write_bytes(png(3, 3))

    def at(self, minutes: float = 0) -> str:
        return iso(self.due + dt.timedelta(minutes=minutes))

    def schedule(self, posts: str) -> None:
        day = self.due.date()
        at = self.due.strftime("%Y-%m-%d %H:%M")
        later = (self.due + dt.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
        text = (
            "version: 1\nname: Facebook week\nslug: fb\ntimezone: UTC\n"
            f"dates: {{start: {day - dt.timedelta(days=1)}, end: {day + dt.timedelta(days=1)}}}\n"
            f"platforms: [facebook]\nposts:\n{posts.format(at=at, later=later)}"
        )
        (self.folder / "fb.yaml").write_text(text)
        done = self.run("schedule", "fb.yaml")
        assert done.returncode == 0, done.stdout + done.stderr

    def run_due(
        self, minutes: float = 0, *args: str, **env: str
    ) -> subprocess.CompletedProcess[str]:
        at = ["--pretend-now", self.at(minutes)]
        return self.run("run-due", *at, "--log-file", "-", *args, env=env)

    def events(self, key: str) -> list[tuple[str, str]]:
        """(state, reason) of every change of one delivery, read from the ledger itself."""
        ledger = open_ledger(self.url)
        try:
            return [(e.to_state.value, e.reason) for e in ledger.events(key)]
        finally:
            ledger.close()

    def assert_no_token_anywhere(self) -> None:
        ledger = open_ledger(self.url)
        try:
            rows = ledger.db.query("SELECT reason FROM events")
            rows += ledger.db.query("SELECT last_error FROM deliveries")
            rows += ledger.db.query("SELECT reason FROM accounts")
        finally:
            ledger.close()
        stored = "\n".join(str(r[0]) for r in rows)
        assert TOKEN not in stored
        assert not [out for out in self.outputs if TOKEN in out]


@pytest.fixture
def stub() -> Iterator[GraphStub]:
    with GraphStub(TOKEN) as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, stub: GraphStub) -> Clarion:
    return Clarion(tmp_path, stub)


TEXT = "  - id: text\n    at: {at}\n    text: Launch day https://example.org/launch\n"
ONE = (
    "  - id: one\n    at: {at}\n    text: One picture\n"
    "    images: [{{path: a.png, alt: A small grey square}}]\n"
)
TWO = (
    "  - id: two\n    at: {at}\n    text: Two pictures\n"
    "    images: [{{path: a.png, alt: A small grey square}}, {{path: b.png, alt: A grey square}}]\n"
)
THREAD = "  - id: thread\n    at: {at}\n    text: Part one\n    thread:\n      - text: Part two\n"


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fill(value: str, ids: dict[str, str]) -> str:
    for placeholder, real in ids.items():
        value = value.replace(placeholder, real)
    return value


def test_dry_run_payload_is_exactly_what_facebook_received(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TEXT + ONE + TWO + THREAD)
    dry = clarion.run_due(0, "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    planned = {q["key"]: q["payload"] for q in json.loads(dry.stdout)["requests"]}
    assert set(planned) == {f"fb:{p}:facebook" for p in ("text", "one", "two", "thread")}
    assert stub.requests() == []  # a dry run sends nothing

    done = clarion.run_due(0)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(clarion.states().values()) == {"published"}

    # every built request arrived once, as built: same endpoint, same fields, the same files;
    # the ids the stub gave the unpublished uploads replace their placeholders
    unpublished = [p["id"] for p in stub.photos() if not p["published"]]
    expected = []
    for payload in planned.values():
        assert payload["graph_url"] == f"{stub.url}/{stub.version}"
        placeholders = [step["id"] for step in payload["requests"] if "id" in step]
        ids = dict(zip(placeholders, unpublished, strict=False))  # one delivery uploads them
        for step in payload["requests"]:
            files = step.get("files") or {}
            expected.append(
                {
                    "path": f"/{stub.version}{step['path']}",
                    "fields": {k: fill(v, ids) for k, v in step["fields"].items()},
                    "files": {n: [Path(f).name, sha256(f)] for n, f in files.items()},
                }
            )
    received = [
        {
            "path": r["path"],
            "fields": r["fields"],
            "files": {n: [f["filename"], f["sha256"]] for n, f in r["files"].items()},
        }
        for r in stub.requests()
    ]
    assert sorted(received, key=json.dumps) == sorted(expected, key=json.dumps)
    assert {r["headers"]["Authorization"] for r in stub.requests()} == {f"Bearer {TOKEN}"}
    # the unpublished uploads came before the feed post that attaches them
    order = [(r["endpoint"], r["fields"].get("published")) for r in stub.requests()]
    feed_two = next(n for n, r in enumerate(stub.requests()) if "attached_media[0]" in r["fields"])
    assert [n for n, o in enumerate(order) if o == ("photos", "false")] == [
        feed_two - 2,
        feed_two - 1,
    ]

    # one post each; the images carry their alt text; the thread was joined into one post
    posts = {p["message"]: p for p in stub.posts()}
    assert set(posts) == {
        "Launch day https://example.org/launch",
        "One picture",
        "Two pictures",
        "Part one\n\nPart two",
    }
    assert len(stub.posts()) == 4
    alts = {p["id"]: p["alt_text_custom"] for p in stub.photos()}
    assert [alts[i] for i in posts["Two pictures"]["attached_media"]] == [
        "A small grey square",
        "A grey square",
    ]
    assert [alts[i] for i in posts["One picture"]["attached_media"]] == ["A small grey square"]
    rows = clarion.rows()
    assert (
        rows["fb:text:facebook"].platform_id == posts["Launch day https://example.org/launch"]["id"]
    )
    assert rows["fb:two:facebook"].platform_url == (
        f"https://www.facebook.com/{posts['Two pictures']['id']}"
    )
    clarion.assert_no_token_anywhere()


LAUNCH = "fb:text:facebook"


def test_throttling_waits_until_facebook_says_then_publishes(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(
        TEXT
        + "  - id: second\n    at: {at}\n    text: Second post\n"
        + "  - id: third\n    at: {at}\n    text: Third post\n"
    )
    stub.regain_minutes = 10
    stub.fail("feed", "throttle-4")
    started = dt.datetime.now(dt.UTC)
    first = clarion.run_due(0)
    assert first.returncode == 0, first.stderr  # a retry is no failure
    rows = clarion.rows()
    regain = started + dt.timedelta(minutes=10)
    for row in rows.values():
        assert row.not_before_ms is not None
        not_before = dt.datetime.fromtimestamp(row.not_before_ms / 1000, dt.UTC)
        assert regain - dt.timedelta(seconds=1) <= not_before <= regain + dt.timedelta(seconds=30)
    # the first post was throttled; the account's other posts wait for the same time, untried
    assert rows[LAUNCH].state.value == "retry" and rows[LAUNCH].attempts == 1
    assert "Facebook is throttling requests" in (rows[LAUNCH].last_error or "")
    held = [r for key, r in rows.items() if key != LAUNCH]
    assert [(r.state.value, r.attempts, r.last_error) for r in held] == [("pending", 0, None)] * 2
    assert stub.posts() == []
    assert [r["step"] for r in stub.requests("feed")] == ["throttle-4"]

    early = clarion.run_due(5)  # before the regain time: nothing is tried
    assert early.returncode == 0, early.stderr
    assert len(stub.requests("feed")) == 1

    later = clarion.run_due(13)
    assert later.returncode == 0, later.stderr
    assert set(clarion.states().values()) == {"published"}
    assert len(stub.posts()) == 3
    assert clarion.path(LAUNCH) == [
        "pending",
        "claimed",
        "sending",
        "retry",
        "claimed",
        "sending",
        "published",
    ]


def test_a_server_error_after_sending_is_unconfirmed_until_the_page_proves_it_absent(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TEXT)
    stub.fail("feed", "500")
    first = clarion.run_due(0)
    assert first.returncode == 1
    assert clarion.states() == {LAUNCH: "unconfirmed"}
    assert "An unknown error has occurred." in (clarion.rows()[LAUNCH].last_error or "")

    second = clarion.run_due(1)  # reconcile reads the Page's posts: not there, safe to send
    assert second.returncode == 0, second.stderr
    assert clarion.states() == {LAUNCH: "retry"}
    third = clarion.run_due(3)
    assert third.returncode == 0, third.stderr
    assert clarion.states() == {LAUNCH: "published"}
    assert len(stub.posts()) == 1
    assert len(stub.requests("feed")) == 2
    assert len(stub.requests("posts")) == 1


@pytest.mark.parametrize(
    ("fault", "found"),
    [
        ("slow", True),  # made, answered after the client's timeout
        ("drop-after", True),  # made, connection closed before the answer
        ("drop", False),  # connection closed before anything was made
    ],
)
def test_a_lost_answer_is_unconfirmed_then_reconcile_settles_it(
    clarion: Clarion, stub: GraphStub, fault: str, found: bool
) -> None:
    clarion.schedule(TEXT)
    stub.slow_s = 4
    stub.fail("feed", fault)
    first = clarion.run_due(0, CLARION_FACEBOOK_TIMEOUT="1")
    assert first.returncode == 1
    assert clarion.states() == {LAUNCH: "unconfirmed"}
    assert len(stub.posts()) == (1 if found else 0)

    second = clarion.run_due(1)
    assert second.returncode == 0, second.stderr
    if found:  # the post Facebook made is taken as ours: never sent again
        assert clarion.states() == {LAUNCH: "published"}
        assert clarion.rows()[LAUNCH].platform_id == stub.posts()[0]["id"]
        assert clarion.rows()[LAUNCH].platform_url == stub.posts()[0]["permalink_url"]
        assert len(stub.requests("feed")) == 1
    else:  # proved absent: sent again, once
        assert clarion.states() == {LAUNCH: "retry"}
        third = clarion.run_due(3)
        assert third.returncode == 0, third.stderr
        assert clarion.states() == {LAUNCH: "published"}
        assert len(stub.requests("feed")) == 2
    assert len(stub.posts()) == 1


def test_a_duplicate_after_an_unknown_outcome_is_probably_published(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TEXT)
    stub.fail("feed", "drop-after")
    stub.fail("posts", "empty")  # the first look-up does not see the post yet
    assert clarion.run_due(0).returncode == 1
    assert clarion.states() == {LAUNCH: "unconfirmed"}
    assert clarion.run_due(1).returncode == 0
    assert clarion.states() == {LAUNCH: "retry"}

    third = clarion.run_due(3)  # sent again: Facebook refuses the duplicate
    assert third.returncode == 0, third.stderr
    assert [r["step"] for r in stub.requests("feed")] == ["drop-after", "ok"]
    assert len(stub.posts()) == 1
    row = clarion.rows()[LAUNCH]
    assert row.state.value == "published"
    assert "(#506) Duplicate status message" in (row.last_error or "")
    assert row.platform_id == stub.posts()[0]["id"]  # the look-up found the post
    events = clarion.events(LAUNCH)
    assert [e[0] for e in events] == [
        "pending",
        "claimed",
        "sending",
        "unconfirmed",
        "retry",
        "claimed",
        "sending",
        "published",
    ]
    assert "probably published" in events[-1][1]


def test_a_revoked_token_fails_the_post_and_pauses_the_account(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TEXT + "  - id: later\n    at: {later}\n    text: Later post\n")
    stub.fail("feed", "revoked")
    done = clarion.run_due(0)
    assert done.returncode == 1
    states = clarion.states()
    assert sorted(states.values()) == ["failed", "paused"]
    status = clarion.status()
    [paused] = status["paused_accounts"]
    assert (paused["platform"], paused["account"]) == ("facebook", "default")
    assert (
        "Error validating access token" in paused["reason"] and "code 190/460" in paused["reason"]
    )
    assert len(stub.requests("feed")) == 1 and stub.posts() == []

    # a new token without pages_manage_posts: `accounts check` says so, the account stays paused
    stub.scopes = ["pages_show_list", "pages_read_engagement"]
    stub.expires_at = 1893456000
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 1
    [account] = json.loads(check.stdout)["accounts"]
    assert not account["ok"] and "pages_manage_posts" in account["problem"]
    assert account["expires"] == "2030-01-01T00:00:00+00:00"
    assert sorted(clarion.states().values()) == ["failed", "paused"]

    # a token with it: `accounts check` passes and lets the paused post go
    stub.scopes.append("pages_manage_posts")
    stub.expires_at = 0
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 0, check.stdout + check.stderr
    [account] = json.loads(check.stdout)["accounts"]
    assert (account["ok"], account["posts_as"], account["expires"]) == (
        True,
        stub.page_name,
        "never",
    )
    assert sorted(clarion.states().values()) == ["failed", "pending"]
    assert clarion.run_due(5).returncode == 0
    assert [p["message"] for p in stub.posts()] == ["Later post"]
    clarion.assert_no_token_anywhere()


def test_an_unreachable_graph_is_retried_and_nothing_is_unconfirmed(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TEXT)
    done = clarion.run_due(0, CLARION_FACEBOOK_GRAPH_URL=f"http://127.0.0.1:{closed_port()}")
    assert done.returncode == 0, done.stderr
    row = clarion.rows()[LAUNCH]
    assert row.state.value == "retry" and "could not reach Facebook" in (row.last_error or "")
    assert clarion.run_due(3).returncode == 0
    assert clarion.states() == {LAUNCH: "published"} and len(stub.posts()) == 1


def test_a_failed_image_upload_is_retried_without_an_unconfirmed_post(
    clarion: Clarion, stub: GraphStub
) -> None:
    clarion.schedule(TWO)
    stub.fail("photos", "ok", "500")  # the second unpublished upload fails
    first = clarion.run_due(0)
    assert first.returncode == 0, first.stderr
    assert clarion.states() == {"fb:two:facebook": "retry"}
    assert stub.requests("feed") == [] and stub.posts() == []
    assert clarion.run_due(3).returncode == 0
    assert clarion.states() == {"fb:two:facebook": "published"}
    [post] = stub.posts()
    assert len(post["attached_media"]) == 2
    assert len(stub.requests("photos")) == 4  # 2 + 2: unpublished photos are safe to repeat
