"""Mastodon's counts (``MastodonAdapter.counts``, :mod:`clarion.platforms.mastodon.metrics`).

On a real server: snac2 2.75 (:mod:`tests.servers.snac`), which has no ``GET /api/v1/statuses``
for many statuses (it answers 404), so the adapter reads one status a request. Posts published by
the adapter are boosted (``snac boost``), liked (snac's web form, ``POST /{uid}/admin/action``
with ``action=Like``) and answered (the Mastodon API, with the second account's own token) by a
second local account; the adapter's counts must equal what snac's own ``GET /api/v1/statuses/:id``
says. What snac will not do (read 20 statuses a request, quotes, 429 with ``X-RateLimit-Reset``)
comes from the stub (:mod:`tests.servers.mastodon_stub`), which has Mastodon 4.6's shapes.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mastodon")

from clarion import platforms, secrets
from clarion.platforms.mastodon import MastodonAdapter, metrics
from clarion.platforms.metrics import SHARED, CountsRead, Target
from clarion.platforms.outcomes import Failed, Published, RetryLater
from tests.deliveries import sendable
from tests.polling import until
from tests.servers.mastodon_stub import TOKEN, MastodonStub
from tests.servers.snac import (
    SnacServer,
    authorization_code_token,
    bogus_token,
    http,
    snac_server,
)

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def read(outcome: object) -> CountsRead:
    assert isinstance(outcome, CountsRead), outcome
    return outcome


def as_dict(found: CountsRead) -> dict[str, dict[str, int]]:
    return {p.post_id: dict(p.counts) for p in found.posts}


def target(post_id: str) -> Target:
    return Target(post_id, None, NOW)


def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("CLARION_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")


# --- the descriptor -------------------------------------------------------------------------------


def test_the_descriptor_names_what_mastodon_counts() -> None:
    mastodon = platforms.get("mastodon")
    assert [m.name for m in mastodon.metrics] == list(SHARED)
    assert [m.label for m in mastodon.metrics] == ["Favourites", "Boosts", "Replies", "Quotes"]
    assert all(m.shared and m.meaning for m in mastodon.metrics)
    assert mastodon.metrics_batch == metrics.BATCH == 20
    assert mastodon.metrics_parallel == 2
    assert "no views" in mastodon.metrics_note
    assert mastodon.prices is None  # reading is free


def test_odd_or_missing_values_are_left_out_never_zero() -> None:
    status = {
        "id": "7",
        "favourites_count": None,
        "reblogs_count": "12",
        "replies_count": True,
        "quotes_count": -1.5,
    }
    (found,) = metrics._found([status, {"id": "not asked"}, "junk"], ["7"])
    assert (found.post_id, dict(found.counts)) == ("7", {"reposts": 12})


# --- a real server: snac2 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac-metrics"))


@pytest.fixture
def adapter(
    snac: SnacServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MastodonAdapter]:
    clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", snac.base_url)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", snac.token)
    yield MastodonAdapter()
    secrets.clear()


def publish(adapter: MastodonAdapter, text: str) -> Published:
    key = f"metrics:{uuid.uuid4().hex[:8]}:mastodon"
    out = adapter.publish(adapter.build(*sendable(key, "mastodon", f"{text} [{key}]")))
    assert isinstance(out, Published), out
    return out


def snac_counts(snac: SnacServer, post_id: str) -> dict[str, int]:
    """snac's own answer (``GET /api/v1/statuses/:id``), in Clarion's names."""
    status = snac.status(post_id)
    fields = metrics.FIELDS.items()
    return {name: status[field] for field, name in fields if status.get(field) is not None}


def test_counts_equal_what_snac_says_after_a_second_account_acts(
    adapter: MastodonAdapter, snac: SnacServer
) -> None:
    posts = [publish(adapter, f"Campaign post {i} #launch") for i in range(4)]
    ids = [p.post_id for p in posts]
    urls = [p.url for p in posts]
    assert all(urls)

    before = read(adapter.counts([target(i) for i in ids]))
    assert as_dict(before) == {i: {"likes": 0, "reposts": 0, "replies": 0} for i in ids}
    # snac has no GET /api/v1/statuses?id[]= (404): then one status a request
    assert before.calls == 1 + 4 and before.gone == ()

    fan = f"fan{uuid.uuid4().hex[:6]}"
    password = snac.add_user(fan)
    snac.boost(fan, str(urls[0]))
    snac.boost(fan, str(urls[1]))
    snac.like(fan, password, str(urls[0]))
    snac.like(fan, password, str(urls[2]))
    fan_token = authorization_code_token(snac.base_url, fan, password)
    http(
        "POST",
        snac.base_url + "/api/v1/statuses",
        form={"status": "Well said", "in_reply_to_id": ids[1]},
        token=fan_token,
    )
    # a boost is queued and delivered to the author's inbox by the running server
    until(
        lambda: True if all(snac.status(i)["reblogs_count"] == 1 for i in ids[:2]) else None,
        said="snac shows both boosts",
    )

    after = read(adapter.counts([target(i) for i in ids]))
    assert after.calls == 4  # the adapter remembers that snac reads one status a request
    got = as_dict(after)
    assert got == {i: snac_counts(snac, i) for i in ids}  # what snac itself says
    assert got == {
        ids[0]: {"likes": 1, "reposts": 1, "replies": 0},
        ids[1]: {"likes": 0, "reposts": 1, "replies": 1},
        ids[2]: {"likes": 1, "reposts": 0, "replies": 0},
        ids[3]: {"likes": 0, "reposts": 0, "replies": 0},
    }
    assert all("quotes" not in c for c in got.values())  # snac gives no quotes_count: left out


def test_a_status_snac_does_not_have_is_gone(adapter: MastodonAdapter) -> None:
    kept = publish(adapter, "Still here")
    missing = "1796000000" + uuid.uuid4().hex
    found = read(adapter.counts([target(kept.post_id), target(missing)]))
    assert found.gone == (missing,)
    assert [p.post_id for p in found.posts] == [kept.post_id]


def test_a_refused_token_fails_as_an_auth_problem(
    adapter: MastodonAdapter, snac: SnacServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = publish(adapter, "Counted with a bad token")
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", bogus_token())
    secrets.clear()
    outcome = MastodonAdapter().counts([target(kept.post_id)])
    assert isinstance(outcome, Failed) and outcome.auth, outcome  # snac: 401


# --- the stub: Mastodon 4.3+ --------------------------------------------------------------------


@pytest.fixture
def stub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    servers: list[MastodonStub] = []

    def start(**options: Any) -> MastodonStub:
        server = MastodonStub(**options).__enter__()
        servers.append(server)
        clean_env(monkeypatch, tmp_path)
        monkeypatch.setenv("CLARION_MASTODON_BASE_URL", server.url)
        monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("CLARION_MASTODON_TIMEOUT", "5")
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
    secrets.clear()


def test_twenty_statuses_are_read_in_one_request(stub_env: Callable[..., MastodonStub]) -> None:
    stub = stub_env()
    ids = [
        stub.add_status(f"post {i}", favourites=i, reblogs=2 * i, replies=i % 3, quotes=i % 2)
        for i in range(20)
    ]
    stub.delete(ids[5])
    found = read(MastodonAdapter().counts([target(i) for i in ids]))
    assert found.calls == 1 == stub.count_reads()
    (call,) = stub.requests("GET /api/v1/statuses")
    assert call.query["id[]"] == ids  # all twenty, in one request
    assert found.gone == (ids[5],)
    assert as_dict(found) == {
        i: {"likes": n, "reposts": 2 * n, "replies": n % 3, "quotes": n % 2}
        for n, i in enumerate(ids)
        if n != 5
    }


def test_a_server_before_quotes_gives_no_quotes(stub_env: Callable[..., MastodonStub]) -> None:
    stub = stub_env(quotes=False)
    ids = [stub.add_status("a", favourites=3), stub.add_status("b", reblogs=4)]
    found = read(MastodonAdapter().counts([target(i) for i in ids]))
    assert as_dict(found) == {
        ids[0]: {"likes": 3, "reposts": 0, "replies": 0},
        ids[1]: {"likes": 0, "reposts": 4, "replies": 0},
    }


def test_without_the_many_statuses_request_one_status_a_request(
    stub_env: Callable[..., MastodonStub],
) -> None:
    stub = stub_env(batch=False)
    ids = [stub.add_status(f"post {i}", favourites=i + 1) for i in range(3)]
    stub.delete(ids[1])
    adapter = MastodonAdapter()
    first = read(adapter.counts([target(i) for i in ids]))
    assert first.calls == 1 + 3 == stub.count_reads()  # the 404, then each status
    assert first.gone == (ids[1],)
    assert {k: v["likes"] for k, v in as_dict(first).items()} == {ids[0]: 1, ids[2]: 3}
    second = read(adapter.counts([target(i) for i in ids]))
    assert second.calls == 3 and len(stub.requests("GET /api/v1/statuses")) == 1  # not asked again


@pytest.mark.parametrize("batch", [True, False])
def test_429_waits_until_the_rate_limit_reset(
    stub_env: Callable[..., MastodonStub], batch: bool
) -> None:
    stub = stub_env(batch=batch)
    ids = [stub.add_status("a"), stub.add_status("b")]
    endpoint = "GET /api/v1/statuses" if batch else "GET /api/v1/statuses/:id"
    stub.fault(endpoint, "rate_limit", reset_in=600)
    began = dt.datetime.now(dt.UTC)
    outcome = MastodonAdapter().counts([target(i) for i in ids])
    assert isinstance(outcome, RetryLater), outcome
    assert outcome.not_before is not None
    wait = (outcome.not_before - began).total_seconds()
    assert 590 < wait < 610, wait  # the reset, ten minutes on


def test_401_is_an_auth_failure(stub_env: Callable[..., MastodonStub]) -> None:
    stub = stub_env()
    ids = [stub.add_status("a"), stub.add_status("b")]
    stub.fault("GET /api/v1/statuses", "unauthorized")
    outcome = MastodonAdapter().counts([target(i) for i in ids])
    assert isinstance(outcome, Failed) and outcome.auth, outcome
    assert outcome.reason == "Mastodon answered 401 Unauthorized"


def test_the_stubs_latency_delays_each_answer(stub_env: Callable[..., MastodonStub]) -> None:
    stub = stub_env(latency=0.2)
    ids = [stub.add_status("a", replies=2)]
    began = time.monotonic()
    found = read(MastodonAdapter().counts([target(ids[0])]))
    assert time.monotonic() - began >= 0.2
    assert as_dict(found) == {ids[0]: {"likes": 0, "reposts": 0, "replies": 2, "quotes": 0}}
