"""Reconcile on a real server that does not keep ``Idempotency-Key``: snac2 (a repeat with the
same key makes a second post, see test_mastodon_snac.py). Even within the hour of the first send,
the adapter must not send again there: it looks the post up among the account's statuses, in the
HTML snac really renders (links, hashtags, mentions, line breaks) or by the status's source.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.platforms.mastodon import MastodonAdapter
from clarion.platforms.outcomes import Absent, Published
from tests.deliveries import sendable
from tests.servers.snac import SnacServer, snac_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac-reconcile"))


@pytest.fixture
def adapter(snac: SnacServer, monkeypatch: pytest.MonkeyPatch) -> MastodonAdapter:
    for name in list(os.environ):
        if name.startswith("CLARION_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", snac.base_url)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", snac.token)
    return MastodonAdapter()


def statuses(snac: SnacServer) -> list[dict[str, object]]:
    mine = snac.api("GET", "/api/v1/accounts/verify_credentials")
    found: list[dict[str, object]] = snac.api(
        "GET", f"/api/v1/accounts/{mine['id']}/statuses?limit=40"
    )
    return found


@pytest.mark.parametrize(
    "text",
    [
        "Plain words, and a second line:\nhere it is",
        "Read https://example.org/a-rather-long-path/to/a/page?x=1 #CoproductionWeek",
        "Ask @someone@social.example & <friends>",
    ],
)
def test_within_the_hour_a_server_that_ignores_the_key_is_looked_up_not_sent_again(
    adapter: MastodonAdapter, snac: SnacServer, tmp_path: Path, text: str
) -> None:
    text = f"{text} [{uuid.uuid4().hex[:8]}]"
    request = adapter.build(*sendable(f"snac:{uuid.uuid4().hex[:8]}:mastodon", "mastodon", text))
    request = dataclasses.replace(request, first_sent_ms=int(time.time() * 1000))
    sent = adapter.publish(request)
    assert isinstance(sent, Published), sent
    before = len(statuses(snac))
    found = MastodonAdapter().reconcile(request)
    assert isinstance(found, Published), found
    assert found.post_id == sent.post_id
    assert len(statuses(snac)) == before  # nothing was posted again


def test_a_post_never_made_is_absent_on_the_real_server(adapter: MastodonAdapter) -> None:
    text = f"Never sent [{uuid.uuid4().hex[:8]}]"
    request = adapter.build(*sendable(f"snac:{uuid.uuid4().hex[:8]}:mastodon", "mastodon", text))
    request = dataclasses.replace(request, first_sent_ms=int(time.time() * 1000))
    assert isinstance(adapter.reconcile(request), Absent)
