"""A Facebook Page's counts (``FacebookAdapter.counts``, :mod:`clarion.platforms.facebook.metrics`)
against the stub Graph API over real HTTP: reactions, comments, shares and views, 50 posts a
request, deleted posts, throttling and a revoked token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from clarion.platforms.facebook import GRAPH_VERSION, FacebookAdapter
from clarion.platforms.metrics import CountsRead, Target
from clarion.platforms.outcomes import Failed, RetryLater
from tests.servers.graph_stub import GraphStub

TOKEN = "EAAGstubpagetoken-metrics-7d1e"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphStub]:
    with GraphStub(TOKEN) as server:
        monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
        monkeypatch.setenv("CLARION_FACEBOOK_PAGE_ID", server.page_id)
        monkeypatch.setenv("CLARION_FACEBOOK_PAGE_TOKEN", TOKEN)
        monkeypatch.setenv("CLARION_FACEBOOK_GRAPH_URL", server.url)
        yield server


def posts(stub: GraphStub, n: int) -> list[Target]:
    now = dt.datetime.now(dt.UTC)
    with stub._lock:
        made = [stub._new_post(f"post {k}", []) for k in range(n)]
    return [Target(p["id"], p["permalink_url"], now) for p in made]


def test_the_version_pin_is_the_newest_graph_version() -> None:
    assert GRAPH_VERSION == "v26.0"


def test_counts_are_read_as_graph_gives_them(stub: GraphStub) -> None:
    a, b = posts(stub, 2)
    stub.set_counts(a.post_id, reactions=31, comments=4, shares=6, views=1200, viewers=800)
    answer = FacebookAdapter().counts([a, b])
    assert isinstance(answer, CountsRead), answer
    got = {p.post_id: dict(p.counts) for p in answer.posts}
    assert got[a.post_id] == {
        "likes": 31,
        "replies": 4,
        "reposts": 6,
        "views": 1200,
        "viewers": 800,
    }
    # Graph leaves `shares` out while nobody shared: that is 0 shares, not an unknown
    assert got[b.post_id] == {"likes": 0, "replies": 0, "reposts": 0, "views": 0, "viewers": 0}
    (call,) = stub.requests("ids")
    assert call["path"] == f"/{GRAPH_VERSION}/"
    assert call["query"]["ids"] == f"{a.post_id},{b.post_id}"
    assert (
        "insights.metric(post_media_view,post_total_media_view_unique)" in call["query"]["fields"]
    )
    assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_a_deleted_post_is_gone_and_the_others_are_asked_again(stub: GraphStub) -> None:
    a, b, c = posts(stub, 3)
    stub.delete(b.post_id)
    stub.set_counts(c.post_id, reactions=2)
    answer = FacebookAdapter().counts([a, b, c])
    assert isinstance(answer, CountsRead), answer
    assert answer.gone == (b.post_id,)
    assert [p.post_id for p in answer.posts] == [a.post_id, c.post_id]
    assert answer.calls == 2 and len(stub.requests("ids")) == 2


def test_more_than_50_ids_are_refused_as_graph_does(stub: GraphStub) -> None:
    answer = FacebookAdapter().counts(posts(stub, 51))
    assert isinstance(answer, Failed) and "Too many IDs" in answer.reason


def test_throttled_revoked_and_server_errors(stub: GraphStub) -> None:
    (a,) = posts(stub, 1)
    stub.regain_minutes = 7
    stub.fail("ids", "throttle-32")
    waited = FacebookAdapter().counts([a])
    assert isinstance(waited, RetryLater) and waited.not_before is not None
    left = waited.not_before - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=6) < left <= dt.timedelta(minutes=7)
    stub.fail("ids", "revoked")
    revoked = FacebookAdapter().counts([a])
    assert isinstance(revoked, Failed) and revoked.auth
    assert TOKEN not in revoked.reason
    stub.fail("ids", "500")
    assert isinstance(FacebookAdapter().counts([a]), RetryLater)


def test_the_descriptor_reads_50_a_request() -> None:
    from clarion.platforms.facebook import Facebook

    assert Facebook.metrics_batch == 50
    assert {m.name for m in Facebook.metrics} == {"likes", "reposts", "replies", "views", "viewers"}
    assert "quotes" not in {m.name for m in Facebook.metrics}
