"""Bluesky's counts (``BlueskyAdapter.counts``, :mod:`clarion.platforms.bluesky.metrics`).

Against a real AppView (``@atproto/dev-env``'s TestBsky on PostgreSQL, indexing a real PDS:
:mod:`tests.servers.appview`): posts published by the adapter, liked, reposted, answered and
quoted by a second account; the adapter's counts must equal the AppView's own ``getPosts``
answer. What a real AppView will not do on demand (429s, an odd answer) comes from the stub
(:mod:`tests.servers.appview_stub`), which the report's benchmark also uses.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from clarion import platforms, settings
from clarion.platforms.bluesky import BlueskyAdapter
from clarion.platforms.bluesky.metrics import FIELDS
from clarion.platforms.metrics import CountsRead, Target
from clarion.platforms.outcomes import Failed, Published, RetryLater
from clarion.settings import SettingsError
from tests.deliveries import sendable
from tests.net import closed_port
from tests.pg import PostgresServer, postgres_server
from tests.polling import until
from tests.servers.appview import Network, start_appview
from tests.servers.appview_stub import AppviewStub
from tests.servers.pds import Account

pytestmark = pytest.mark.slow

_names = itertools.count(1)
NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    yield from postgres_server(tmp_path_factory)


@pytest.fixture(scope="session")
def network(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> Iterator[Network]:
    db = postgres.new_database("bluesky_appview")
    with start_appview(tmp_path_factory.mktemp("appview"), db) as found:
        yield found


@pytest.fixture(autouse=True)
def own_token_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")


def use(monkeypatch: pytest.MonkeyPatch, service: str, made: Account, account: str = "") -> None:
    part = f"_{account.upper()}" if account else ""
    monkeypatch.setenv(f"CLARION_BLUESKY{part}_SERVICE", service)
    monkeypatch.setenv(f"CLARION_BLUESKY{part}_HANDLE", made.handle)
    monkeypatch.setenv(f"CLARION_BLUESKY{part}_APP_PASSWORD", made.password)


@pytest.fixture
def author(network: Network, monkeypatch: pytest.MonkeyPatch) -> Account:
    """The account whose posts are counted (``default``), reading from the test AppView."""
    made = network.pds.create_account(f"author{next(_names)}")
    use(monkeypatch, network.pds.url, made)
    monkeypatch.setenv("CLARION_BLUESKY_APPVIEW", network.appview)
    return made


@pytest.fixture
def fan(network: Network, monkeypatch: pytest.MonkeyPatch) -> Account:
    """A second account (``fan``) that likes, reposts, answers and quotes."""
    made = network.pds.create_account(f"fan{next(_names)}")
    use(monkeypatch, network.pds.url, made, "fan")
    return made


def publish(adapter: BlueskyAdapter, key: str, text: str, **extra: Any) -> str:
    d, reply_to = sendable(key, "bluesky", text, account=adapter.account, **extra)
    out = adapter.publish(adapter.build(d, reply_to))
    assert isinstance(out, Published), out
    return out.post_id


def target(uri: str) -> Target:
    return Target(uri, None, NOW)


def appview_counts(network: Network, uris: list[str]) -> dict[str, dict[str, int]]:
    """The AppView's own answer, in Clarion's names."""
    views = network.get_posts(uris)["posts"]
    return {
        v["uri"]: {name: v[field] for field, name in FIELDS.items() if field in v} for v in views
    }


def read(outcome: object) -> CountsRead:
    assert isinstance(outcome, CountsRead), outcome
    return outcome


def as_dict(found: CountsRead) -> dict[str, dict[str, int]]:
    return {p.post_id: dict(p.counts) for p in found.posts}


# --- against the real AppView ---------------------------------------------------------------------


def test_counts_equal_the_appviews_own_answer_and_show_what_another_account_did(
    network: Network, author: Account, fan: Account
) -> None:
    adapter = BlueskyAdapter()
    uris = [publish(adapter, f"m{i}", f"Post {i} of the week") for i in range(4)]
    other = BlueskyAdapter("fan")
    network.pds.act(fan, "app.bsky.feed.like", uris[0])
    network.pds.act(fan, "app.bsky.feed.repost", uris[0])
    network.pds.act(fan, "app.bsky.feed.like", uris[1])
    publish(other, "fan-reply", "Well said", thread_index=1, reply_to_id=uris[1], reply_to_key="x")
    publish(other, "fan-quote", "Look at this", quote_of=uris[2])

    expected = {
        uris[0]: {"likes": 1, "reposts": 1, "replies": 0, "quotes": 0},
        uris[1]: {"likes": 1, "reposts": 0, "replies": 1, "quotes": 0},
        uris[2]: {"likes": 0, "reposts": 0, "replies": 0, "quotes": 1},
        uris[3]: {"likes": 0, "reposts": 0, "replies": 0, "quotes": 0},
    }

    def indexed() -> dict[str, dict[str, int]] | None:
        now = appview_counts(network, uris)
        shared = {u: {k: c[k] for k in expected[u]} for u, c in now.items()}
        return now if shared == expected else None

    own = until(indexed, said="the AppView indexed the likes, reposts, reply and quote")

    found = read(adapter.counts([target(u) for u in uris]))
    assert as_dict(found) == own  # bookmarks too, when this AppView gives them
    assert {u: {k: c[k] for k in expected[u]} for u, c in as_dict(found).items()} == expected
    assert found.gone == () and found.calls == 1
    where = network.appview.removeprefix("http://")
    assert found.notes == (
        f"Bluesky's counts were read from the AppView at {where} (CLARION_BLUESKY_APPVIEW)",
    )


def test_27_posts_take_two_calls_and_a_deleted_post_is_gone(
    network: Network, author: Account
) -> None:
    adapter = BlueskyAdapter()
    uris = [publish(adapter, f"many{i}", f"Post number {i}") for i in range(27)]
    until(
        lambda: True if len(network.get_posts(uris[:25])["posts"]) == 25 else None,
        said="the AppView indexed 25 posts",
    )
    until(lambda: True if len(network.get_posts(uris[25:])["posts"]) == 2 else None)

    found = read(adapter.counts([target(u) for u in uris]))
    assert found.calls == 2 and found.gone == ()
    assert [p.post_id for p in found.posts] == uris
    assert all(p.counts["likes"] == 0 and p.counts["reposts"] == 0 for p in found.posts)

    repo, collection, rkey = uris[5].removeprefix("at://").split("/")
    token = network.pds.xrpc(
        "com.atproto.server.createSession",
        body={"identifier": author.handle, "password": author.password},
    )["accessJwt"]
    network.pds.xrpc(
        "com.atproto.repo.deleteRecord",
        body={"repo": repo, "collection": collection, "rkey": rkey},
        token=token,
    )
    until(lambda: True if not network.get_posts([uris[5]])["posts"] else None)
    again = read(adapter.counts([target(u) for u in uris[:6]]))
    assert again.gone == (uris[5],) and len(again.posts) == 5 and again.calls == 1


def test_through_the_accounts_own_service_the_session_is_used(
    network: Network, author: Account, fan: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLARION_BLUESKY_APPVIEW = the account's service: getPosts with its session, which the
    PDS passes on to its AppView."""
    adapter = BlueskyAdapter()
    uri = publish(adapter, "proxied", "Counted through the PDS")
    network.pds.act(fan, "app.bsky.feed.like", uri)
    until(lambda: True if appview_counts(network, [uri]).get(uri, {}).get("likes") else None)

    monkeypatch.setenv("CLARION_BLUESKY_APPVIEW", network.pds.url)
    proxied = BlueskyAdapter()
    found = read(proxied.counts([target(uri)]))
    assert proxied._client is not None  # it logged in
    assert as_dict(found) == appview_counts(network, [uri])
    assert found.posts[0].counts["likes"] == 1


# --- against the stub -----------------------------------------------------------------------------


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppviewStub]:
    with AppviewStub() as running:
        monkeypatch.setenv("CLARION_BLUESKY_APPVIEW", running.url)
        monkeypatch.setenv("CLARION_BLUESKY_HANDLE", "someone.test")
        yield running


DID = "did:plc:abcdefghijklmnopqrstuvwx"


def uri_of(n: int) -> str:
    return f"at://{DID}/app.bsky.feed.post/3m{n:011d}"


def test_the_stub_answers_the_set_counts_26_posts_in_two_calls_without_a_session(
    stub: AppviewStub,
) -> None:
    stub.default = {"likes": 0, "reposts": 0, "replies": 0, "quotes": 0}
    stub.set(uri_of(0), likes=12, reposts=3, replies=2, quotes=1, bookmarks=4)
    stub.set(uri_of(1), likes=5)  # the others not given: left out, never 0
    stub.forget(uri_of(2))
    adapter = BlueskyAdapter()
    found = read(adapter.counts([target(uri_of(i)) for i in range(26)]))

    assert [len(c.uris) for c in stub.calls] == [25, 1] and found.calls == 2
    assert found.gone == (uri_of(2),)
    counts = as_dict(found)
    assert counts[uri_of(0)] == {
        "likes": 12,
        "reposts": 3,
        "replies": 2,
        "quotes": 1,
        "bookmarks": 4,
    }
    assert counts[uri_of(1)] == {"likes": 5}
    assert len(counts) == 25 and adapter._client is None  # no session was made


def test_a_429_is_a_wait_until_the_reset(stub: AppviewStub) -> None:
    stub.rate_limit(reset_in_s=120)
    out = BlueskyAdapter().counts([target(uri_of(1))])
    assert isinstance(out, RetryLater), out
    assert out.not_before is not None
    left = (out.not_before - dt.datetime.now(dt.UTC)).total_seconds()
    assert 100 < left <= 121
    assert "rate limited by Bluesky's AppView" in out.reason and "429" in out.reason


def test_an_unreachable_appview_is_a_retry_and_a_bad_setting_is_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLARION_BLUESKY_HANDLE", "someone.test")
    monkeypatch.setenv("CLARION_BLUESKY_APPVIEW", f"http://127.0.0.1:{closed_port()}")
    out = BlueskyAdapter().counts([target(uri_of(1))])
    assert isinstance(out, RetryLater) and out.before_send, out
    assert out.reason.startswith("could not reach Bluesky's AppView (127.0.0.1:")

    monkeypatch.setenv("CLARION_BLUESKY_APPVIEW", "public.api.bsky.app")
    bad = BlueskyAdapter().counts([target(uri_of(1))])
    assert isinstance(bad, Failed) and "CLARION_BLUESKY_APPVIEW='public.api.bsky.app'" in bad.reason
    with pytest.raises(SettingsError, match="is not the address of an AppView"):
        settings.load(settings.environ({"CLARION_BLUESKY_APPVIEW": "ftp://x"}))


def test_the_setting_defaults_to_the_public_appview() -> None:
    assert settings.environ({}).bluesky_appview == "https://public.api.bsky.app"
    given = settings.environ({"CLARION_BLUESKY_APPVIEW": " http://127.0.0.1:9/ "})
    assert given.bluesky_appview == "http://127.0.0.1:9"
    assert settings.load(given).bluesky_appview == "http://127.0.0.1:9"
    assert settings.load(settings.environ({})).bluesky_appview == "https://public.api.bsky.app"


def test_an_id_that_is_no_at_uri_is_not_asked_for(stub: AppviewStub) -> None:
    stub.set(uri_of(1), likes=2)
    found = read(BlueskyAdapter().counts([target(uri_of(1)), target("3kabc")]))
    assert as_dict(found) == {uri_of(1): {"likes": 2}}
    assert [c.uris for c in stub.calls] == [[uri_of(1)]]
    assert len(found.notes) == 2 and "3kabc" in found.notes[0]


def test_the_stubs_latency_holds_each_answer_and_calls_at_once_overlap(stub: AppviewStub) -> None:
    stub.latency = 0.3
    stub.default = {"likes": 1}
    adapter = BlueskyAdapter()
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda n: adapter.counts([target(uri_of(n))]), range(3)))
    assert [as_dict(read(a)) for a in answers] == [{uri_of(n): {"likes": 1}} for n in range(3)]
    calls = stub.calls
    assert len(calls) == 3 and all(c.ended - c.started >= 0.3 for c in calls)
    # all three were waiting at once: each started before any ended
    assert max(c.started for c in calls) < min(c.ended for c in calls)


def test_the_descriptor_says_what_bluesky_counts() -> None:
    bluesky = platforms.get("bluesky")
    assert [m.name for m in bluesky.metrics] == [
        "likes",
        "reposts",
        "replies",
        "quotes",
        "bookmarks",
    ]
    assert [m.shared for m in bluesky.metrics] == [True, True, True, True, False]
    assert bluesky.metrics_batch == 25 and bluesky.metrics_parallel == 3
    assert "no views" in bluesky.metrics_note and "public.api.bsky.app" in bluesky.metrics_note


def test_through_the_accounts_service_without_credentials_the_login_is_what_fails(
    stub: AppviewStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_BLUESKY_HANDLE")
    monkeypatch.setenv("CLARION_BLUESKY_SERVICE", stub.url)
    out = BlueskyAdapter().counts([target(uri_of(1))])
    assert isinstance(out, Failed) and out.auth, out
    assert "CLARION_BLUESKY_HANDLE" in out.reason and stub.calls == []
