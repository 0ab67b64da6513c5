"""The X adapter against what X really answered.

Responses come from tweepy's recorded cassettes (``POST /2/tweets`` -> 201, ``GET /2/users/me``)
and python-twitter's recorded v2 media-upload bodies, in ../shared/fixtures/recorded/x, replayed
with ``responses``. The requests the adapter sends are compared with ``build()``'s payload and
with what tweepy's own tests sent. Rate limits, server errors, refused credentials and network
failures are synthetic, with X's problem-shaped bodies, and run anywhere; the tests that replay
a recording skip without ``../shared`` (tests/shared.py).
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import gzip
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

responses = pytest.importorskip("responses")

from clarion import secrets  # noqa: E402
from clarion.delivery import Media  # noqa: E402
from clarion.platforms.adapter import Request  # noqa: E402
from clarion.platforms.outcomes import (  # noqa: E402
    Absent,
    Failed,
    Published,
    RetryLater,
    Unknown,
)
from clarion.platforms.x import X, XAdapter  # noqa: E402
from clarion.platforms.x.adapter import quote_id  # noqa: E402
from tests import shared  # noqa: E402
from tests.deliveries import MediaItem, Sendable, sendable  # noqa: E402
from tests.net import closed_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RECORDED = "fixtures/recorded/x"  # in ../shared; read only by the tests that replay it
BASE = "https://api.x.com"
KEYS = {
    "API_KEY": "ck-0123456789abcdef",
    "API_SECRET": "cs-fedcba9876543210",
    "ACCESS_TOKEN": "1072250532645998596-at0123456789",
    "ACCESS_TOKEN_SECRET": "ats-9876543210abcd",
}
OAUTH2 = "oauth2-user-token-5f4e3d2c1b"
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."

# --- recorded answers -----------------------------------------------------------------------------


@cache
def cassette(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(shared.read_text(f"{RECORDED}/tweepy-{name}.yaml"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def exchange(name: str, method: str, path: str) -> dict[str, Any]:
    for i in cassette(name):
        if i["request"]["method"] == method and i["request"]["uri"].endswith(path):
            return i
    raise LookupError(path)


def body_of(i: dict[str, Any]) -> bytes:
    raw = i["response"]["body"]["string"]
    raw = raw.encode() if isinstance(raw, str) else raw
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def recorded_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared.read_text(f"{RECORDED}/python-twitter-{name}.json"))
    return data


def replay(rsps: Any, i: dict[str, Any], url: str) -> None:
    """Answer the next request to ``url`` as X answered the recorded one."""
    resp = i["response"]
    headers = {k: v[0] for k, v in resp["headers"].items() if k.startswith("x-rate-limit")}
    rsps.add(
        i["request"]["method"],
        url,
        body=body_of(i),
        status=resp["status"]["code"],
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def created() -> dict[str, Any]:
    """tweepy's recorded ``POST /2/tweets`` exchange (201)."""
    return exchange("test_client_create_and_delete_tweet", "POST", "/2/tweets")


def me() -> dict[str, Any]:
    """tweepy's recorded ``GET /2/users/me`` exchange."""
    return exchange("test_client_get_me", "GET", "/2/users/me")


def post_id() -> str:
    """The id of the recorded post."""
    return str(json.loads(body_of(created()))["data"]["id"])


def user() -> dict[str, Any]:
    """The recorded account (id, name, username)."""
    data: dict[str, Any] = json.loads(body_of(me()))["data"]
    return data


def problem(rsps: Any, method: str, path: str, status: int, detail: str, **extra: Any) -> None:
    title = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests"}.get(status, "Error")
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}
    headers = extra.pop("headers", None) or {}
    body.pop("headers", None)
    rsps.add(method, BASE + path, json=body, status=status, headers=headers)


# --- fixtures -------------------------------------------------------------------------------------


def item(
    text: str = "Test Tweet",
    *,
    media: tuple[Media, ...] = (),
    reply_to_id: str | None = None,
    reply_to_key: str | None = None,
    thread_index: int = 0,
    quote_of: str | None = None,
) -> Sendable:
    return sendable(
        "week:launch:x",
        "x",
        text,
        media,
        thread_index=thread_index,
        reply_to_id=reply_to_id,
        reply_to_key=reply_to_key,
        quote_of=quote_of,
    )


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in (*KEYS, "OAUTH2_TOKEN", "API_BASE", "USERNAME", "TIMEOUT"):
        monkeypatch.delenv(f"CLARION_X_{name}", raising=False)
    monkeypatch.setenv("CLARION_ENV_FILE", str(tmp_path / "no.env"))
    for name, value in KEYS.items():
        monkeypatch.setenv(f"CLARION_X_{name}", value)
    yield
    secrets.clear()


@pytest.fixture
def rsps() -> Iterator[Any]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def png(path: Path, pad: int = 0) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (1 + pad))
    return path


def calls(rsps: Any, method: str, path: str) -> list[Any]:
    return [
        c.request
        for c in rsps.calls
        if c.request.method == method and c.request.url.split("?")[0] == BASE + path
    ]


def sent_json(request: Any) -> Any:
    return json.loads(request.body)


def multipart(request: Any) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode() + request.body
    )
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        parts[str(name)] = (part.get_filename(), data) if part.get_filename() else data.decode()
    return parts


def filled(request: Request, ids: dict[str, str]) -> dict[str, Any]:
    """build()'s tweet body with the media placeholders replaced by the ids X gave."""
    tweet = json.loads(json.dumps(request.payload["tweet"]))
    if "media" in tweet:
        tweet["media"]["media_ids"] = [ids[p] for p in tweet["media"]["media_ids"]]
    return dict(tweet)


def assert_signed(request: Any) -> None:
    auth = request.headers["Authorization"]
    assert auth.startswith("OAuth ")
    assert f'oauth_consumer_key="{KEYS["API_KEY"]}"' in auth
    assert f'oauth_token="{KEYS["ACCESS_TOKEN"]}"' in auth
    assert "oauth_signature=" in auth
    assert KEYS["API_SECRET"] not in auth and KEYS["ACCESS_TOKEN_SECRET"] not in auth


# --- build ----------------------------------------------------------------------------------------


def test_build_is_the_exact_body_of_post_2_tweets() -> None:
    req = XAdapter().build(*item("Hi"))
    assert (req.platform, req.account, req.key) == ("x", "default", "week:launch:x")
    assert req.payload == {"tweet": {"text": "Hi"}, "media": []}
    assert json.loads(json.dumps(req.payload)) == req.payload


def test_build_shows_reply_quote_and_media_placeholders() -> None:
    req = XAdapter().build(
        *item(
            "Part two",
            thread_index=1,
            reply_to_id="1456012973835788293",
            quote_of="https://x.com/TweepyDev/status/1445880548472328192?s=20",
            media=(MediaItem("/c/a.png", "A cat"), MediaItem("/c/b.jpg", "A dog")),
        )
    )
    assert req.payload == {
        "tweet": {
            "text": "Part two",
            "reply": {"in_reply_to_tweet_id": "1456012973835788293"},
            "quote_tweet_id": "1445880548472328192",
            "media": {"media_ids": ["<media id 1>", "<media id 2>"]},
        },
        "media": [
            {
                "file": "/c/a.png",
                "media_category": "tweet_image",
                "alt_text": "A cat",
                "media_id": "<media id 1>",
            },
            {
                "file": "/c/b.jpg",
                "media_category": "tweet_image",
                "alt_text": "A dog",
                "media_id": "<media id 2>",
            },
        ],
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.com/user/status/123", "123"),
        ("https://twitter.com/a_b/status/1445880548472328192", "1445880548472328192"),
        ("https://mobile.twitter.com/i/web/status/99", "99"),
        ("1445880548472328192", "1445880548472328192"),
        ("https://example.com/user/status/123", None),
        ("https://x.com/user", None),
    ],
)
def test_quote_id_from_a_post_url(url: str, expected: str | None) -> None:
    assert quote_id(url) == expected


def test_a_part_whose_parent_has_no_id_shows_a_placeholder_and_is_never_sent(rsps: Any) -> None:
    a = XAdapter()
    req = a.build(*item(thread_index=1, reply_to_key="week:launch:x"))
    assert req.payload["tweet"]["reply"] == {"in_reply_to_tweet_id": "<id of week:launch:x>"}
    out = a.publish(req)
    assert isinstance(out, Failed) and "no X id yet" in out.reason and not out.auth
    assert len(rsps.calls) == 0


def test_a_quote_of_something_else_than_a_post_is_never_sent(rsps: Any) -> None:
    a = XAdapter()
    req = a.build(*item(quote_of="https://example.com/blog"))
    out = a.publish(req)
    assert isinstance(out, Failed) and "not the URL of a post on X" in out.reason
    assert len(rsps.calls) == 0


# --- posting, replayed from X's recorded answers --------------------------------------------------


def test_post_is_published_with_xs_id(rsps: Any) -> None:
    replay(rsps, created(), BASE + "/2/tweets")
    a = XAdapter()
    req = a.build(*item("Test Tweet"))
    out = a.publish(req)
    assert out == Published(post_id(), f"https://x.com/i/web/status/{post_id()}")
    (sent,) = calls(rsps, "POST", "/2/tweets")
    # exactly build()'s body, and exactly what tweepy's own recorded test sent
    assert sent_json(sent) == req.payload["tweet"] == json.loads(created()["request"]["body"])
    assert sent.headers["Content-Type"] == "application/json"
    assert_signed(sent)
    assert sent.req_kwargs["timeout"] == a.timeout_s == 30.0


def test_url_names_the_account_when_known(rsps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_X_USERNAME", "@TweepyDev")
    replay(rsps, created(), BASE + "/2/tweets")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert out == Published(post_id(), f"https://x.com/TweepyDev/status/{post_id()}")


def test_every_call_goes_to_the_configured_api_base_with_the_configured_timeout(
    rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_X_API_BASE", "http://127.0.0.1:9/x-api/")
    monkeypatch.setenv("CLARION_X_TIMEOUT", "2.5")
    replay(rsps, created(), "http://127.0.0.1:9/x-api/2/tweets")
    a = XAdapter()
    assert a.timeout_s == 2.5
    out = a.publish(a.build(*item()))
    assert isinstance(out, Published)
    assert rsps.calls[0].request.req_kwargs["timeout"] == 2.5


def test_oauth2_user_token_is_sent_as_bearer(rsps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEYS:
        monkeypatch.delenv(f"CLARION_X_{name}")
    monkeypatch.setenv("CLARION_X_OAUTH2_TOKEN", OAUTH2)
    replay(rsps, created(), BASE + "/2/tweets")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Published)
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {OAUTH2}"


def test_missing_credentials_fail_as_auth_naming_the_variables(
    rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_X_ACCESS_TOKEN_SECRET")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Failed) and out.auth
    assert "CLARION_X_ACCESS_TOKEN_SECRET" in out.reason and "CLARION_X_OAUTH2_TOKEN" in out.reason
    assert len(rsps.calls) == 0


def test_reply_and_quote_are_in_the_body(rsps: Any) -> None:
    replay(rsps, created(), BASE + "/2/tweets")
    req = XAdapter().build(
        *item(
            thread_index=1,
            reply_to_id="1445880548472328192",
            quote_of="https://x.com/TweepyDev/status/1456012973835788293",
        )
    )
    assert isinstance(XAdapter().publish(req), Published)
    body = sent_json(calls(rsps, "POST", "/2/tweets")[0])
    assert body == req.payload["tweet"]
    assert body["reply"] == {"in_reply_to_tweet_id": "1445880548472328192"}
    assert body["quote_tweet_id"] == "1456012973835788293"


@pytest.mark.parametrize("shape", ["upload_simple_resp", "upload_chunk_init_resp"])
def test_images_are_uploaded_described_then_attached(rsps: Any, tmp_path: Path, shape: str) -> None:
    # X's recorded simple-upload answer has the fields on top; v2 answers wrap them in "data"
    answer = recorded_json(f"media-upload-v2-{shape}")
    media_id = (answer.get("data") or answer)["id"]
    rsps.add("POST", BASE + "/2/media/upload", json=answer)
    rsps.add("POST", BASE + "/2/media/metadata", json={"data": {"id": media_id}})
    replay(rsps, created(), BASE + "/2/tweets")
    image = png(tmp_path / "cat.png")
    a = XAdapter()
    req = a.build(*item(media=(MediaItem(str(image), "A cat asleep on a keyboard"),)))
    assert isinstance(a.publish(req), Published)

    (upload,) = calls(rsps, "POST", "/2/media/upload")
    parts = multipart(upload)
    assert parts["media"] == ("cat.png", image.read_bytes())
    assert parts["media_category"] == "tweet_image"
    assert_signed(upload)
    assert upload.req_kwargs["timeout"] == 30.0
    (meta,) = calls(rsps, "POST", "/2/media/metadata")
    assert sent_json(meta) == {
        "id": media_id,
        "metadata": {"alt_text": {"text": "A cat asleep on a keyboard"}},
    }
    assert_signed(meta)
    tweet = sent_json(calls(rsps, "POST", "/2/tweets")[0])
    assert tweet == filled(req, {"<media id 1>": media_id})
    assert tweet["media"] == {"media_ids": [media_id]}


def test_four_images_in_order(rsps: Any, tmp_path: Path) -> None:
    recording = created()  # first: without ../shared the test skips before any set-up
    ids = [f"17268175954486108{n}" for n in range(4)]
    for media_id in ids:
        rsps.add("POST", BASE + "/2/media/upload", json={"data": {"id": media_id}})
        rsps.add("POST", BASE + "/2/media/metadata", json={"data": {"id": media_id}})
    replay(rsps, recording, BASE + "/2/tweets")
    media = tuple(MediaItem(str(png(tmp_path / f"{n}.png", n)), f"picture {n}") for n in range(4))
    req = XAdapter().build(*item(media=media))
    assert isinstance(XAdapter().publish(req), Published)
    alts = [
        sent_json(r)["metadata"]["alt_text"]["text"]
        for r in calls(rsps, "POST", "/2/media/metadata")
    ]
    assert alts == [f"picture {n}" for n in range(4)]
    tweet = sent_json(calls(rsps, "POST", "/2/tweets")[0])
    assert tweet["media"]["media_ids"] == ids
    assert tweet == filled(req, {f"<media id {n + 1}>": ids[n] for n in range(4)})


def test_more_than_four_images_are_never_sent(rsps: Any) -> None:
    media = tuple(MediaItem(f"/c/{n}.png", "alt") for n in range(X.max_images + 1))
    out = XAdapter().publish(XAdapter().build(*item(media=media)))
    assert isinstance(out, Failed) and "at most 4 images" in out.reason
    assert len(rsps.calls) == 0


# --- what X's refusals and failures mean ----------------------------------------------------------


def test_duplicate_content_is_failed_duplicate(rsps: Any) -> None:
    problem(rsps, "POST", "/2/tweets", 403, DUPLICATE)
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Failed) and out.duplicate and not out.auth
    assert DUPLICATE in out.reason


@pytest.mark.parametrize(
    ("status", "detail", "extra"),
    [
        (401, "Unauthorized", {}),
        (
            403,
            "Your client app is not configured with the appropriate oauth1 app permissions "
            "for this endpoint.",
            {"type": "https://api.twitter.com/2/problems/oauth1-permissions"},
        ),
        (403, "You are not permitted to perform this action.", {}),
    ],
)
def test_refused_credentials_fail_as_auth_in_xs_words(
    rsps: Any, status: int, detail: str, extra: dict[str, Any]
) -> None:
    problem(rsps, "POST", "/2/tweets", status, detail, **extra)
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Failed) and out.auth and not out.duplicate
    assert detail in out.reason and str(status) in out.reason


def test_a_403_about_the_content_is_not_an_auth_problem(rsps: Any) -> None:
    detail = "Reply to this Tweet is not allowed because you have not been mentioned or otherwise "
    detail += "engaged by the author of the Tweet you are replying to."
    problem(rsps, "POST", "/2/tweets", 403, detail)
    out = XAdapter().publish(XAdapter().build(*item(thread_index=1, reply_to_id="1")))
    assert out == Failed(f"X answered 403 Forbidden: {detail}")


def test_rate_limit_retries_after_xs_reset(rsps: Any) -> None:
    problem(
        rsps,
        "POST",
        "/2/tweets",
        429,
        "Too Many Requests",
        headers={"x-rate-limit-reset": "1635976418"},
    )
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, RetryLater) and out.before_send
    assert out.not_before == dt.datetime.fromtimestamp(1635976418, dt.UTC)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_after_sending_are_unknown(rsps: Any, status: int) -> None:
    problem(rsps, "POST", "/2/tweets", status, "Service Unavailable")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Unknown) and "may or may not" in out.reason


def test_a_201_without_an_id_is_unknown(rsps: Any) -> None:
    rsps.add("POST", BASE + "/2/tweets", body="<html>oops</html>", status=201)
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Unknown)


def test_connection_refused_is_retried_as_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_X_API_BASE", f"http://127.0.0.1:{closed_port()}")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, RetryLater) and out.before_send and "could not reach X" in out.reason


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), RetryLater),
        (requests.exceptions.ReadTimeout("read timed out"), Unknown),
        (requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected"), Unknown),
    ],
)
def test_network_failures(rsps: Any, error: Exception, expected: type) -> None:
    rsps.add("POST", BASE + "/2/tweets", body=error)
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, expected)
    if isinstance(out, RetryLater):
        assert out.before_send


@pytest.mark.parametrize(
    ("status", "expected"), [(503, RetryLater), (400, Failed), (429, RetryLater), (401, Failed)]
)
def test_upload_failures_never_reach_post_2_tweets(
    rsps: Any, tmp_path: Path, status: int, expected: type
) -> None:
    headers = {"x-rate-limit-reset": "1635976418"} if status == 429 else {}
    problem(rsps, "POST", "/2/media/upload", status, "media type unrecognized.", headers=headers)
    req = XAdapter().build(*item(media=(MediaItem(str(png(tmp_path / "a.png")), "alt"),)))
    out = XAdapter().publish(req)
    assert isinstance(out, expected)
    assert "nothing was posted" in out.reason or status in (401, 429)
    if isinstance(out, RetryLater):
        assert out.before_send
    if status == 401:
        assert isinstance(out, Failed) and out.auth
    assert not calls(rsps, "POST", "/2/tweets")


def test_unreadable_image_fails_without_sending(rsps: Any, tmp_path: Path) -> None:
    req = XAdapter().build(*item(media=(MediaItem(str(tmp_path / "gone.png"), "alt"),)))
    out = XAdapter().publish(req)
    assert isinstance(out, Failed) and "could not read the image" in out.reason
    assert len(rsps.calls) == 0


def test_tokens_are_redacted_from_xs_words(rsps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEYS:
        monkeypatch.delenv(f"CLARION_X_{name}")
    monkeypatch.setenv("CLARION_X_OAUTH2_TOKEN", OAUTH2)
    problem(rsps, "POST", "/2/tweets", 401, f"Token {OAUTH2} was revoked")
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Failed) and out.auth
    assert OAUTH2 not in out.reason and "Token *** was revoked" in out.reason


def test_secrets_in_a_network_error_are_redacted(rsps: Any) -> None:
    error = requests.exceptions.ReadTimeout(f"timed out; {KEYS['ACCESS_TOKEN']}")
    rsps.add("POST", BASE + "/2/tweets", body=error)
    out = XAdapter().publish(XAdapter().build(*item()))
    assert isinstance(out, Unknown)
    assert KEYS["ACCESS_TOKEN"] not in out.reason and "***" in out.reason


# --- check ----------------------------------------------------------------------------------------


def test_check_says_who_posts(rsps: Any) -> None:
    replay(rsps, me(), BASE + "/2/users/me")
    status = XAdapter().check()
    assert status.ok and status.posts_as == f"@{user()['username']}" == "@TweepyDev"
    assert status.details["auth"] == "OAuth 1.0a user context"
    assert_signed(rsps.calls[0].request)
    assert rsps.calls[0].request.req_kwargs["timeout"] == 30.0


def test_check_with_a_revoked_token_is_not_ok_in_xs_words(rsps: Any) -> None:
    problem(rsps, "GET", "/2/users/me", 401, "Unauthorized")
    status = XAdapter().check()
    assert not status.ok and status.problem
    assert "X refused the credentials (X answered 401 Unauthorized: Unauthorized)" in status.problem


# --- reconcile ------------------------------------------------------------------------------------


def timeline(rsps: Any, tweets: list[dict[str, Any]], next_token: str | None = None) -> None:
    replay(rsps, me(), BASE + "/2/users/me")
    meta: dict[str, Any] = {"result_count": len(tweets)}
    if next_token:
        meta["next_token"] = next_token
    rsps.add("GET", BASE + f"/2/users/{user()['id']}/tweets", json={"data": tweets, "meta": meta})


def returned(post_id: str, text: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": post_id,
        "text": text,
        "edit_history_tweet_ids": [post_id],
        "created_at": "2022-07-04T08:00:02.000Z",
        **fields,
    }


def test_reconcile_finds_the_post_despite_tco_links_and_escaping(rsps: Any) -> None:
    sent = "Read & share: example.org/week <3"
    tco = "https://t.co/AbC123"
    link = {"start": 20, "end": 39, "url": tco, "expanded_url": "http://example.org/week"}
    media = {
        "url": "https://t.co/m3d1a",
        "expanded_url": f"https://x.com/TweepyDev/status/{post_id()}/photo/1",
        "media_key": "3_1",
    }
    timeline(
        rsps,
        [
            returned("1456012973835788999", "Something else"),
            returned(
                post_id(),
                f"Read &amp; share: {tco} &lt;3 https://t.co/m3d1a",
                entities={"urls": [link, media]},
                attachments={"media_keys": ["3_1"]},
            ),
        ],
    )
    req = XAdapter().build(*item(sent, media=(MediaItem("/c/a.png", "alt"),)))
    out = XAdapter().reconcile(req)
    assert out == Published(post_id(), f"https://x.com/TweepyDev/status/{post_id()}")
    query = calls(rsps, "GET", f"/2/users/{user()['id']}/tweets")[0].params
    assert query["max_results"] == "100" and "exclude" not in query
    assert "created_at" in query["tweet.fields"] and "entities" in query["tweet.fields"]


def test_reconcile_finds_a_quote_whose_text_x_gave_the_quoted_link(rsps: Any) -> None:
    quoted = "1445880548472328192"
    link = {
        "url": "https://t.co/q1",
        "expanded_url": f"https://twitter.com/TweepyDev/status/{quoted}",
    }
    tweet = returned(
        post_id(),
        "So true https://t.co/q1",
        entities={"urls": [link]},
        referenced_tweets=[{"type": "quoted", "id": quoted}],
    )
    timeline(rsps, [tweet])
    req = XAdapter().build(*item("So true", quote_of=f"https://x.com/TweepyDev/status/{quoted}"))
    assert XAdapter().reconcile(req) == Published(
        post_id(), f"https://x.com/TweepyDev/status/{post_id()}"
    )


def test_reconcile_matches_replies_only_to_the_same_parent(rsps: Any) -> None:
    timeline(
        rsps,
        [returned(post_id(), "More soon", referenced_tweets=[{"type": "replied_to", "id": "7"}])],
    )
    req = XAdapter().build(*item("More soon", thread_index=1, reply_to_id="8"))
    assert isinstance(XAdapter().reconcile(req), Absent)


def test_reconcile_says_absent_when_the_whole_timeline_was_read(rsps: Any) -> None:
    timeline(rsps, [returned(post_id(), "Something else")])
    out = XAdapter().reconcile(XAdapter().build(*item("Test Tweet")))
    assert isinstance(out, Absent)


def test_reconcile_is_unknown_when_older_posts_were_not_read(rsps: Any) -> None:
    timeline(rsps, [returned(post_id(), "Something else")], next_token="7140dibdnow9c7btw3w29")
    out = XAdapter().reconcile(XAdapter().build(*item("Test Tweet")))
    assert isinstance(out, Unknown) and "older ones were not read" in out.reason


def test_reconcile_uses_the_due_time_when_known(rsps: Any) -> None:
    # an identical post from before the delivery was due is not this one; the page reaches back
    # past the due time, so the post is known to be absent
    timeline(rsps, [returned(post_id(), "Test Tweet", created_at="2022-07-01T08:00:00.000Z")], "n")
    req = XAdapter().build(*item("Test Tweet"))
    due = Request(req.platform, req.account, req.key, req.payload, due="2022-07-04T09:00:00+01:00")
    assert isinstance(XAdapter().reconcile(due), Absent)


def test_reconcile_is_unknown_when_x_cannot_be_asked(rsps: Any) -> None:
    replay(rsps, me(), BASE + "/2/users/me")
    problem(rsps, "GET", f"/2/users/{user()['id']}/tweets", 503, "Service Unavailable")
    out = XAdapter().reconcile(XAdapter().build(*item()))
    assert isinstance(out, Unknown) and "503" in out.reason


def test_reconcile_is_unknown_when_a_look_alike_post_cannot_be_compared(rsps: Any) -> None:
    # a t.co link without its entity: the words agree, the link cannot be checked
    timeline(rsps, [returned(post_id(), "Read more https://t.co/xYz789")])
    out = XAdapter().reconcile(XAdapter().build(*item("Read more example.org/a")))
    assert isinstance(out, Unknown) and "could not be compared" in out.reason


def test_a_timeout_that_is_not_a_number_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_X_TIMEOUT", "soon")
    assert XAdapter().timeout_s == 30.0
