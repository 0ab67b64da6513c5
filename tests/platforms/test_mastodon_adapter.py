"""The Mastodon adapter against what a real Mastodon 4.6 answered.

Responses come from Mastodon.py's own recorded cassettes (../shared/fixtures/recorded/mastodon),
replayed with ``responses``; the requests the adapter sends are compared with ``build()``'s
payload and with the requests Mastodon.py's tests sent. Rate limits, server errors, refused tokens
and network failures are synthetic, with bodies shaped like the recorded ones, and run anywhere;
the replaying tests skip without ``../shared`` (tests/shared.py). The adapter is also tested
against a real snac2 (test_mastodon_snac.py), which needs nothing beside the checkout.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
import socket
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml

pytest.importorskip("mastodon")
responses = pytest.importorskip("responses")

from clarion import secrets  # noqa: E402
from clarion.delivery import Media, idempotency_key  # noqa: E402
from clarion.platforms.adapter import Request  # noqa: E402
from clarion.platforms.mastodon import MastodonAdapter  # noqa: E402
from clarion.platforms.outcomes import Failed, Published, RetryLater, Unknown  # noqa: E402
from tests import shared  # noqa: E402
from tests.deliveries import MediaItem, Sendable, sendable  # noqa: E402
from tests.net import closed_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: Mastodon.py's cassettes, in ../shared: the tests that replay them skip without it.
CASSETTES = "fixtures/recorded/mastodon"
BASE = "http://localhost:3000"
TOKEN = "test-token-0123456789abcdef"


@cache
def cassette(name: str) -> list[dict[str, Any]]:
    path = shared.shared_path(f"{CASSETTES}/mastodonpy-{name}.yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        data = yaml.load(f, Loader=loader)
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def recorded(name: str, method: str, path: str, n: int = 0) -> dict[str, Any]:
    """The ``n``-th recorded exchange of ``method`` on ``path`` in a cassette."""
    hits = [
        i
        for i in cassette(name)
        if i["request"]["method"] == method and i["request"]["uri"] == BASE + path
    ]
    return hits[n]


def replay(rsps: Any, exchange: dict[str, Any], method: str | None = None, url: str = "") -> None:
    """Answer the next matching request with the recorded response."""
    req, resp = exchange["request"], exchange["response"]
    headers = {
        k: v[0]
        for k, v in resp["headers"].items()
        if k.lower().startswith("x-ratelimit") or k.lower() == "x-request-id"
    }
    rsps.add(
        method or req["method"],
        url or req["uri"],
        body=resp["body"]["string"],
        status=resp["status"]["code"],
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def form(body: str | bytes | None) -> dict[str, list[str]]:
    if isinstance(body, bytes):
        body = body.decode()
    return parse_qs(body or "", keep_blank_values=True)


def item(
    text: str = "Toot!",
    *,
    media: tuple[Media, ...] = (),
    reply_to_id: str | None = None,
    reply_to_key: str | None = None,
    thread_index: int = 0,
) -> Sendable:
    return sendable(
        "launch/mastodon/default/0",
        "mastodon",
        text,
        media,
        thread_index=thread_index,
        reply_to_id=reply_to_id,
        reply_to_key=reply_to_key,
    )


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("BASE_URL", "ACCESS_TOKEN", "LANGUAGE"):
        monkeypatch.delenv(f"CLARION_MASTODON_{name}", raising=False)
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", BASE)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", TOKEN)
    yield
    secrets.clear()


@pytest.fixture
def rsps() -> Iterator[Any]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def adapter(**attrs: float) -> MastodonAdapter:
    a = MastodonAdapter()
    a.poll_interval_s = 0.0
    for name, value in attrs.items():
        setattr(a, name, value)
    return a


def sent_status(rsps: Any) -> Any:
    calls = [c for c in rsps.calls if c.request.url == f"{BASE}/api/v1/statuses"]
    assert len(calls) == 1
    return calls[0].request


def assert_sent_as_built(request: Request, sent: Any) -> dict[str, list[str]]:
    """What went over the wire is exactly build()'s payload."""
    p = request.payload
    fields = form(sent.body)
    assert fields["status"] == [p["status"]]
    assert fields["visibility"] == [p["visibility"]]
    assert fields.get("language") == ([p["language"]] if p["language"] else None)
    assert fields.get("in_reply_to_id") == ([p["in_reply_to_id"]] if p["in_reply_to_id"] else None)
    assert sent.headers["Idempotency-Key"] == p["idempotency_key"]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    return fields


# --- build ------------------------------------------------------------------------------------


def test_build_is_the_exact_json_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_MASTODON_LANGUAGE", "en")
    req = adapter().build(*item("Hi", media=(MediaItem("/tmp/a.png", "a cat"),)))
    assert req.platform == "mastodon" and req.account == "default"
    assert req.payload == {
        "status": "Hi",
        "visibility": "public",
        "language": "en",
        "in_reply_to_id": None,
        "idempotency_key": idempotency_key("launch/mastodon/default/0"),
        "media": [{"file": "/tmp/a.png", "description": "a cat"}],
    }
    assert json.loads(json.dumps(req.payload)) == req.payload


def test_dry_run_reply_shows_a_placeholder_and_is_never_sent(rsps: Any) -> None:
    a = adapter()
    req = a.build(*item(thread_index=1, reply_to_key="launch/mastodon/default/0"))
    assert req.payload["in_reply_to_id"] == "<id of launch/mastodon/default/0>"
    out = a.publish(req)
    assert isinstance(out, Failed) and "no Mastodon id yet" in out.reason
    assert len(rsps.calls) == 0


# --- replayed from real Mastodon answers ----------------------------------------------------


def test_post_is_published_with_the_servers_id_and_url(rsps: Any) -> None:
    exchange = recorded("test_status_postNone-public", "POST", "/api/v1/statuses")
    replay(rsps, exchange)
    req = adapter().build(*item("Toot!"))
    out = adapter().publish(req)
    assert out == Published(
        "117020585924712638", "http://localhost:3000/@mastodonpy_test/117020585924712638"
    )
    fields = assert_sent_as_built(req, sent_status(rsps))
    # Mastodon.py's own test sent the same fields for the same post
    assert form(exchange["request"]["body"]).items() <= fields.items()


def test_reply_sends_in_reply_to_id(rsps: Any) -> None:
    exchange = recorded("test_status_reply", "POST", "/api/v1/statuses", 1)
    replay(rsps, exchange)
    req = adapter().build(
        *item("@mastodonpy_test_2 same!", thread_index=1, reply_to_id="117020583245459824")
    )
    out = adapter().publish(req)
    assert out == Published("117020583258292382", "http://localhost:3000/@admin/117020583258292382")
    fields = assert_sent_as_built(req, sent_status(rsps))
    assert fields["in_reply_to_id"] == ["117020583245459824"]
    theirs = form(exchange["request"]["body"])
    theirs.pop("spoiler_text")  # Mastodon.py's test sent an empty spoiler; we send none
    assert theirs.items() <= fields.items()


def test_media_is_uploaded_waited_for_then_attached(rsps: Any, tmp_path: Path) -> None:
    name = "test_media_postFalse"
    upload = recorded(name, "POST", "/api/v2/media")
    assert upload["response"]["status"]["code"] == 202
    media_id = json.loads(upload["response"]["body"]["string"])["id"]
    replay(rsps, upload)
    replay(rsps, recorded(name, "GET", f"/api/v1/media/{media_id}"))
    exchange = recorded(name, "POST", "/api/v1/statuses")
    replay(rsps, exchange)
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)

    req = adapter().build(
        *item("LOL check this out", media=(MediaItem(str(image), "me when a cat"),))
    )
    out = adapter().publish(req)

    assert out == Published(
        "117020620300441304", "http://localhost:3000/@mastodonpy_test/117020620300441304"
    )
    assert [c.request.method for c in rsps.calls] == ["POST", "GET", "POST"]
    parts = multipart(rsps.calls[0].request)
    assert parts["description"] == b"me when a cat"
    assert parts["file"] == image.read_bytes()
    fields = assert_sent_as_built(req, sent_status(rsps))
    assert fields["media_ids[]"] == [media_id]
    assert form(exchange["request"]["body"]).items() <= fields.items()


def test_media_still_processing_after_the_deadline_retries(rsps: Any, tmp_path: Path) -> None:
    replay(rsps, recorded("test_media_postFalse", "POST", "/api/v2/media"))
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    req = adapter().build(*item(media=(MediaItem(str(image), "alt"),)))
    out = adapter(media_wait_s=0.0).publish(req)
    assert isinstance(out, RetryLater) and "nothing was posted" in out.reason


def test_missing_image_file_fails_in_plain_words(rsps: Any, tmp_path: Path) -> None:
    req = adapter().build(*item(media=(MediaItem(str(tmp_path / "gone.png"), "alt"),)))
    out = adapter().publish(req)
    assert isinstance(out, Failed) and "could not read the image" in out.reason


def test_422_fails_with_the_servers_words(rsps: Any) -> None:
    exchange = recorded("test_status_empty", "POST", "/api/v1/statuses")
    replay(rsps, exchange)
    out = adapter().publish(adapter().build(*item("")))
    words = json.loads(exchange["response"]["body"]["string"])["error"]
    assert out == Failed(words)


def test_422_over_the_limit(rsps: Any) -> None:
    words = "Validation failed: Text character limit of 500 exceeded"
    rsps.add("POST", f"{BASE}/api/v1/statuses", json={"error": words}, status=422)
    assert adapter().publish(adapter().build(*item("x" * 501))) == Failed(words)


def test_404_reply_target_gone_fails(rsps: Any) -> None:
    # the recorded 404 body, answered to a reply whose parent no longer exists
    exchange = recorded("test_status_missing", "GET", "/api/v1/statuses/0")
    replay(rsps, exchange, "POST", f"{BASE}/api/v1/statuses")
    out = adapter().publish(adapter().build(*item(thread_index=1, reply_to_id="0")))
    assert out == Failed("Not Found")


# --- synthetic: limits, server errors, tokens, network ------------------------------------------


def test_429_retries_after_the_servers_reset(rsps: Any) -> None:
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=7)).replace(microsecond=0)
    rsps.add(
        "POST",
        f"{BASE}/api/v1/statuses",
        json={"error": "Too many requests"},
        status=429,
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".000000Z"),
        },
    )
    out = adapter().publish(adapter().build(*item()))
    assert isinstance(out, RetryLater) and out.before_send
    assert out.not_before is not None
    assert abs((out.not_before - reset).total_seconds()) < 2
    assert "rate limit" in out.reason


def test_429_without_reset_header_still_retries(rsps: Any) -> None:
    rsps.add("POST", f"{BASE}/api/v1/statuses", json={"error": "Too many requests"}, status=429)
    out = adapter().publish(adapter().build(*item()))
    assert isinstance(out, RetryLater) and out.not_before is None


@pytest.mark.parametrize("code", [500, 502, 503])
def test_5xx_after_sending_is_unknown_never_failed(rsps: Any, code: int) -> None:
    # the status may have been made: reconcile settles it (tests/platforms/test_mastodon_stub.py)
    words = "We're sorry, but something went wrong on our end."
    rsps.add("POST", f"{BASE}/api/v1/statuses", json={"error": words}, status=code)
    out = adapter().publish(adapter().build(*item()))
    assert isinstance(out, Unknown)
    assert str(code) in out.reason and words in out.reason


@pytest.mark.parametrize(
    ("code", "words"),
    [(401, "The access token is invalid"), (403, "This action is outside the authorized scopes")],
)
def test_refused_token_fails_with_auth(rsps: Any, code: int, words: str) -> None:
    rsps.add("POST", f"{BASE}/api/v1/statuses", json={"error": words}, status=code)
    assert adapter().publish(adapter().build(*item())) == Failed(words, auth=True)


def test_the_token_never_appears_in_a_reason(rsps: Any) -> None:
    rsps.add("POST", f"{BASE}/api/v1/statuses", json={"error": f"bad token {TOKEN}"}, status=401)
    out = adapter().publish(adapter().build(*item()))
    assert isinstance(out, Failed) and TOKEN not in out.reason and "***" in out.reason


def test_401_on_image_upload_fails_with_auth(rsps: Any, tmp_path: Path) -> None:
    rsps.add(
        "POST", f"{BASE}/api/v2/media", json={"error": "The access token was revoked"}, status=401
    )
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    out = adapter().publish(adapter().build(*item(media=(MediaItem(str(image), "alt"),))))
    assert out == Failed("The access token was revoked", auth=True)


def test_connection_refused_retries_before_send(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    out = adapter().publish(adapter().build(*item()))
    assert isinstance(out, RetryLater) and out.before_send
    assert TOKEN not in out.reason


def test_read_timeout_after_sending_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:  # accepts the connection (kernel backlog), never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        monkeypatch.setenv(
            "CLARION_MASTODON_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}"
        )
        a = adapter(timeout_s=0.3)
        out = a.publish(a.build(*item()))
    assert isinstance(out, Unknown) and "after sending" in out.reason


# --- credentials and check() ------------------------------------------------------------------


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_MASTODON_ACCESS_TOKEN")
    a = adapter()
    status = a.check()
    assert not status.ok and status.problem is not None
    assert "CLARION_MASTODON_ACCESS_TOKEN" in status.problem
    out = a.publish(a.build(*item()))
    assert isinstance(out, Failed) and out.auth and "CLARION_MASTODON_ACCESS_TOKEN" in out.reason


def test_named_account_reads_its_own_variables(monkeypatch: pytest.MonkeyPatch, rsps: Any) -> None:
    monkeypatch.setenv("CLARION_MASTODON_MY_BRAND_BASE_URL", "https://brand.example")
    monkeypatch.setenv("CLARION_MASTODON_MY_BRAND_ACCESS_TOKEN", "brand-token-xyz")
    replay(
        rsps,
        recorded("test_status_reply", "GET", "/api/v1/accounts/verify_credentials"),
        url="https://brand.example/api/v1/accounts/verify_credentials",
    )
    status = MastodonAdapter("my-brand").check()
    assert status.ok and status.posts_as == "@admin@brand.example"
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer brand-token-xyz"
    assert secrets.redact("brand-token-xyz") == "***"


def test_check_names_the_account(rsps: Any) -> None:
    replay(rsps, recorded("test_status_reply", "GET", "/api/v1/accounts/verify_credentials"))
    status = adapter().check()
    assert status.ok and status.posts_as == "@admin@localhost:3000"


def test_check_with_a_refused_token(rsps: Any) -> None:
    rsps.add(
        "GET",
        f"{BASE}/api/v1/accounts/verify_credentials",
        json={"error": "The access token is invalid"},
        status=401,
    )
    status = adapter().check()
    assert not status.ok
    assert status.problem == "Mastodon refused the access token (The access token is invalid)"


def test_check_with_the_server_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    status = adapter().check()
    assert not status.ok and status.problem is not None and "could not ask" in status.problem
    assert TOKEN not in status.problem


def multipart(request: Any) -> dict[str, bytes]:
    """The fields of a multipart/form-data request body, by name."""
    raw = b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + request.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        out[str(name)] = payload
    return out
