"""X's counts (``XAdapter.counts``, :mod:`clarion.platforms.x.metrics`) against the stub X API
over real HTTP: public and non-public metrics, 100 ids a call, old posts read apart, deleted
posts, throttling and refused keys."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from clarion.platforms.metrics import CountsRead, Target
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.platforms.x import XAdapter
from clarion.platforms.x.metrics import OLD_NOTE
from tests.servers.x_stub import XStub

LOOKUP = "GET /2/tweets"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[XStub]:
    with XStub() as server:
        monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server


def posts(stub: XStub, n: int) -> list[Target]:
    """``n`` posts the stub holds (as if published now), as the report asks for them."""
    now = dt.datetime.now(dt.UTC)
    made = []
    with stub._lock:
        for k in range(n):
            post_id = str(1_900_000_000_000_000_000 + len(stub.tweets))
            stub.tweets.append(
                {
                    "id": post_id,
                    "text": f"post {k}",
                    "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "body": {},
                }
            )
            made.append(Target(post_id, f"https://x.com/clarion/status/{post_id}", now))
    return made


def test_counts_are_read_as_x_gives_them(stub: XStub) -> None:
    (a, b) = posts(stub, 2)
    stub.set_counts(
        a.post_id,
        like_count=12,
        retweet_count=3,
        reply_count=2,
        quote_count=1,
        bookmark_count=4,
        impression_count=880,
        url_link_clicks=17,
        user_profile_clicks=5,
    )
    answer = XAdapter().counts([a, b])
    assert isinstance(answer, CountsRead)
    got = {p.post_id: dict(p.counts) for p in answer.posts}
    assert got[a.post_id] == {
        "likes": 12,
        "reposts": 3,
        "replies": 2,
        "quotes": 1,
        "bookmarks": 4,
        "impressions": 880,
        "link_clicks": 17,
        "profile_clicks": 5,
    }
    assert got[b.post_id]["likes"] == 0
    assert answer.calls == 1 and answer.gone == () and answer.notes == ()
    (call,) = stub.requests(LOOKUP)
    assert call.query["ids"] == [f"{a.post_id},{b.post_id}"]
    assert "non_public_metrics" in call.query["tweet.fields"][0]


def test_a_post_older_than_30_days_is_read_apart_without_link_clicks(stub: XStub) -> None:
    young, old = posts(stub, 2)
    stub.age(old.post_id, 45)
    old = Target(old.post_id, old.url, old.published_at - dt.timedelta(days=45))
    stub.set_counts(old.post_id, like_count=7, url_link_clicks=9)
    stub.set_counts(young.post_id, like_count=2, url_link_clicks=3)
    answer = XAdapter().counts([young, old])
    assert isinstance(answer, CountsRead)
    got = {p.post_id: dict(p.counts) for p in answer.posts}
    assert got[young.post_id]["link_clicks"] == 3
    assert got[old.post_id]["likes"] == 7 and "link_clicks" not in got[old.post_id]
    assert answer.calls == 2 and OLD_NOTE in answer.notes
    assert len(stub.requests(LOOKUP)) == 2


def test_a_deleted_post_is_gone(stub: XStub) -> None:
    a, b = posts(stub, 2)
    stub.delete(b.post_id)
    answer = XAdapter().counts([a, b])
    assert isinstance(answer, CountsRead)
    assert [p.post_id for p in answer.posts] == [a.post_id]
    assert answer.gone == (b.post_id,)


def test_the_stub_refuses_more_than_100_ids_as_x_does(stub: XStub) -> None:
    many = posts(stub, 101)
    answer = XAdapter().counts(many)
    assert isinstance(answer, Failed) and "not between 1 and 100" in answer.reason


def test_throttled_and_refused(stub: XStub) -> None:
    (a,) = posts(stub, 1)
    reset = int(time.time()) + 600
    stub.fault(LOOKUP, "rate_limit", reset=reset)
    waited = XAdapter().counts([a])
    assert isinstance(waited, RetryLater) and waited.not_before is not None
    assert int(waited.not_before.timestamp()) == reset
    stub.fault(LOOKUP, "revoked")
    refused = XAdapter().counts([a])
    assert isinstance(refused, Failed) and refused.auth
    stub.fault(LOOKUP, "error", status=503)
    assert isinstance(XAdapter().counts([a]), RetryLater)


def test_the_descriptor_batches_100_and_prices_each_read() -> None:
    from clarion.platforms.x import X

    assert X.metrics_batch == 100
    assert X.prices is not None and X.prices.read_post == 5
    names = [m.name for m in X.metrics]
    assert names[:4] == ["likes", "reposts", "replies", "quotes"]
    assert {"impressions", "link_clicks"} <= set(names)
