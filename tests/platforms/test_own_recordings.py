"""The Mastodon and Bluesky adapters read answers recorded from the real servers the tests start.

The answers in ``tests/fixtures/mastodon`` (snac2) and ``tests/fixtures/bluesky`` (the PDS of
``@atproto/dev-env``) were made by ``tests/servers/record.py``; replayed here, these tests need no
server, no Node and nothing beside the checkout (``../shared`` holds the third-party recordings).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from clarion import secrets
from clarion.platforms.adapter import Request
from clarion.platforms.bluesky import BlueskyAdapter
from clarion.platforms.mastodon import MastodonAdapter
from clarion.platforms.outcomes import Published, Unknown
from tests.deliveries import sendable
from tests.net import Serving

responses = pytest.importorskip("responses")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "http://localhost:3000"


def fixture(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / rel).read_text(encoding="utf-8"))
    return data


# --- Mastodon: snac2's answers ----------------------------------------------------------------


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", BASE)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", "own-recording-token-0123")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
    secrets.clear()


def test_a_post_snac_answered_is_published_with_its_id_and_url(mastodon: Any) -> None:
    answer = fixture("mastodon/snac-post_status.json")
    mastodon.add("POST", f"{BASE}/api/v1/statuses", json=answer)
    adapter = MastodonAdapter()
    request = adapter.build(*sendable("own:launch:mastodon", "mastodon", answer["text"]))
    assert adapter.publish(request) == Published(answer["id"], answer["url"])


def test_the_account_snac_answered_is_named(mastodon: Any) -> None:
    answer = fixture("mastodon/snac-verify_credentials.json")
    mastodon.add("GET", f"{BASE}/api/v1/accounts/verify_credentials", json=answer)
    status = MastodonAdapter().check()
    assert status.ok and status.posts_as == f"@{answer['acct']}@localhost:3000"


# --- Bluesky: the PDS's getRecord answer ------------------------------------------------------


def _jwt(did: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"sub": did, "exp": int(time.time()) + 3600, "scope": "com.atproto.access"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


class _Xrpc(Serving):
    """A PDS that answers a session and, for ``getRecord``, the recorded answer."""

    def __init__(self, record: dict[str, Any]) -> None:
        did = record["uri"].split("/")[2]
        session = {"did": did, "handle": "own.test", "accessJwt": _jwt(did), "refreshJwt": "r"}
        answers = {
            "com.atproto.server.createSession": session,
            "com.atproto.repo.getRecord": record,
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.answer()

            def answer(self) -> None:
                nsid = self.path.split("?")[0].removeprefix("/xrpc/")
                body = answers.get(nsid)
                data = json.dumps(body or {"error": "MethodNotImplemented"}).encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


def _request(record: dict[str, Any], text: str) -> Request:
    rkey = record["uri"].rsplit("/", 1)[1]
    return Request("bluesky", "default", "own", {"rkey": rkey, "record": {"text": text}})


def test_reconcile_reads_the_pds_get_record_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    record = fixture("bluesky/pds-get_record.json")
    assert record == {**record, "uri": fixture("bluesky/pds-create_record.json")["uri"]}
    with _Xrpc(record) as pds:
        monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
        monkeypatch.setenv("CLARION_BLUESKY_SERVICE", pds.url)
        monkeypatch.setenv("CLARION_BLUESKY_HANDLE", "own.test")
        monkeypatch.setenv("CLARION_BLUESKY_APP_PASSWORD", "own-app-password")
        found = BlueskyAdapter().reconcile(_request(record, record["value"]["text"]))
        other = BlueskyAdapter().reconcile(_request(record, "Another text"))
    rkey = record["uri"].rsplit("/", 1)[1]
    assert found == Published(record["uri"], f"https://bsky.app/profile/own.test/post/{rkey}")
    assert isinstance(other, Unknown) and "different text" in other.reason
