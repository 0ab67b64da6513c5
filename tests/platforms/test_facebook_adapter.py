"""The Facebook Page adapter against Graph API answers.

Error bodies are Graph's documented error (tests/fixtures/facebook/error.json) with Graph's
documented codes and messages; the recorded ones in ../shared/fixtures/recorded/facebook
(python-facebook's captures of real Graph errors) are replayed with ``responses`` when
``../shared`` is there (tests/shared.py). Success bodies are Graph's documented shapes:
``{"id": "<page>_<post>"}`` for ``/feed`` and ``{"id", "post_id"}`` for ``/photos``.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

responses = pytest.importorskip("responses")

from clarion import secrets  # noqa: E402
from clarion.delivery import Media  # noqa: E402
from clarion.platforms.adapter import Request  # noqa: E402
from clarion.platforms.facebook import GRAPH_VERSION, FacebookAdapter  # noqa: E402
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown  # noqa: E402
from tests import shared  # noqa: E402
from tests.conftest import png  # noqa: E402
from tests.deliveries import MediaItem, Sendable, sendable  # noqa: E402
from tests.net import closed_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_ERROR = ROOT / "tests" / "fixtures" / "facebook" / "error.json"
GRAPH = "https://graph.example.test"
PAGE = "2121008874780932"  # the Page id in the recorded /me/accounts answer (../shared)
BASE = f"{GRAPH}/{GRAPH_VERSION}"
FEED, PHOTOS, POSTS = f"{BASE}/{PAGE}/feed", f"{BASE}/{PAGE}/photos", f"{BASE}/{PAGE}/posts"
#: A token no generic "looks like a secret" pattern catches: only its registration hides it.
TOKEN = "EAAGm0PX4ZCpsBAPageTok3n"


def recorded(name: str) -> dict[str, Any]:
    """A recorded Graph answer from ../shared (the test skips without it: tests/shared.py)."""
    path = shared.shared_path(f"fixtures/recorded/facebook/python-facebook-{name}.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def error_body(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    """Graph's documented error (its fields, type and trace id), with this code and message."""
    documented = json.loads(DOCUMENTED_ERROR.read_text())["error"]
    error: dict[str, Any] = {"message": message, "type": documented["type"], "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = documented["fbtrace_id"]
    return {"error": error}


def item(
    text: str = "Launch day! https://example.org/launch", media: tuple[Media, ...] = ()
) -> Sendable:
    return sendable("week:launch:facebook", "facebook", text, media)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("PAGE_ID", "PAGE_TOKEN", "GRAPH_URL", "TIMEOUT"):
        monkeypatch.delenv(f"CLARION_FACEBOOK_{name}", raising=False)
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("CLARION_FACEBOOK_PAGE_ID", PAGE)
    monkeypatch.setenv("CLARION_FACEBOOK_PAGE_TOKEN", TOKEN)
    monkeypatch.setenv("CLARION_FACEBOOK_GRAPH_URL", GRAPH)
    yield
    secrets.clear()


@pytest.fixture
def rsps() -> Iterator[Any]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def images(tmp_path: Path) -> tuple[MediaItem, MediaItem]:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(png(2, 2))
    b.write_bytes(png(3, 3))
    return MediaItem(str(a), "A poster of the launch"), MediaItem(str(b), "The team on stage")


def multipart(req: Any) -> tuple[dict[str, str], dict[str, bytes]]:
    head = f"Content-Type: {req.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_filename() is None:
            fields[name] = data.decode()
        else:
            files[name] = data
    return fields, files


def form(req: Any) -> dict[str, str]:
    body = req.body.decode() if isinstance(req.body, bytes) else req.body or ""
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def assert_token_only_in_header(req: Any) -> None:
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in req.url
    body = req.body if isinstance(req.body, bytes) else (req.body or "").encode()
    assert TOKEN.encode() not in body


# --- build ------------------------------------------------------------------------------------


def test_a_text_post_is_one_feed_request_with_the_message_and_no_link_field() -> None:
    request = FacebookAdapter().build(*item())
    assert request.payload == {
        "graph_url": BASE,
        "requests": [
            {
                "method": "POST",
                "path": f"/{PAGE}/feed",
                "fields": {"message": "Launch day! https://example.org/launch"},
            }
        ],
    }


def test_one_image_is_one_photos_request_with_its_alt_text(
    images: tuple[MediaItem, MediaItem],
) -> None:
    request = FacebookAdapter().build(*item(media=images[:1]))
    assert request.payload["requests"] == [
        {
            "method": "POST",
            "path": f"/{PAGE}/photos",
            "fields": {
                "message": "Launch day! https://example.org/launch",
                "alt_text_custom": "A poster of the launch",
            },
            "files": {"source": images[0].file},
        }
    ]


def test_several_images_are_unpublished_uploads_then_a_feed_post_naming_them(
    images: tuple[MediaItem, MediaItem],
) -> None:
    steps = FacebookAdapter().build(*item(media=images)).payload["requests"]
    assert [s["path"] for s in steps] == [f"/{PAGE}/photos", f"/{PAGE}/photos", f"/{PAGE}/feed"]
    assert steps[0]["fields"] == {"published": "false", "alt_text_custom": images[0].alt}
    assert steps[1]["files"] == {"source": images[1].file}
    assert steps[2]["fields"] == {
        "message": "Launch day! https://example.org/launch",
        "attached_media[0]": json.dumps({"media_fbid": steps[0]["id"]}),
        "attached_media[1]": json.dumps({"media_fbid": steps[1]["id"]}),
    }


def test_build_works_without_credentials_and_shows_where_the_page_id_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLARION_FACEBOOK_PAGE_ID")
    monkeypatch.delenv("CLARION_FACEBOOK_PAGE_TOKEN")
    monkeypatch.delenv("CLARION_FACEBOOK_GRAPH_URL")
    request = FacebookAdapter().build(*item())
    assert request.payload["graph_url"] == f"https://graph.facebook.com/{GRAPH_VERSION}"
    assert request.payload["requests"][0]["path"] == "/{page-id}/feed"
    outcome = FacebookAdapter().publish(request)
    assert isinstance(outcome, Failed) and outcome.auth
    assert "CLARION_FACEBOOK_PAGE_ID and CLARION_FACEBOOK_PAGE_TOKEN" in outcome.reason


def test_a_reply_is_refused_without_sending(rsps: Any) -> None:
    reply = replace(item().delivery, thread_index=1, reply_to="week:launch:facebook")
    outcome = FacebookAdapter().publish(FacebookAdapter().build(reply))
    assert isinstance(outcome, Failed) and "no threads" in outcome.reason
    assert len(rsps.calls) == 0


# --- publishing -------------------------------------------------------------------------------


def test_a_text_post_sends_the_built_fields_with_a_timeout(
    rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_FACEBOOK_TIMEOUT", "7.5")
    rsps.post(FEED, json={"id": f"{PAGE}_555"})
    adapter = FacebookAdapter()
    request = adapter.build(*item())
    assert adapter.publish(request) == Published(
        f"{PAGE}_555", f"https://www.facebook.com/{PAGE}_555"
    )
    sent = rsps.calls[0].request
    assert form(sent) == request.payload["requests"][0]["fields"]
    assert_token_only_in_header(sent)
    assert sent.req_kwargs["timeout"] == 7.5


def test_one_image_goes_up_with_message_alt_text_and_file(
    rsps: Any, images: tuple[MediaItem, MediaItem]
) -> None:
    rsps.post(PHOTOS, json={"id": "778899", "post_id": f"{PAGE}_556"})
    adapter = FacebookAdapter()
    request = adapter.build(*item(media=images[:1]))
    assert adapter.publish(request) == Published(
        f"{PAGE}_556", f"https://www.facebook.com/{PAGE}_556"
    )
    fields, files = multipart(rsps.calls[0].request)
    assert fields == request.payload["requests"][0]["fields"]
    assert files == {"source": Path(images[0].file).read_bytes()}
    assert_token_only_in_header(rsps.calls[0].request)
    assert rsps.calls[0].request.req_kwargs["timeout"] == 30.0


def test_several_images_attach_the_ids_the_uploads_returned(
    rsps: Any, images: tuple[MediaItem, MediaItem]
) -> None:
    rsps.post(PHOTOS, json={"id": "111"})
    rsps.post(PHOTOS, json={"id": "222"})
    rsps.post(FEED, json={"id": f"{PAGE}_557"})
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item(media=images)))
    assert outcome == Published(f"{PAGE}_557", f"https://www.facebook.com/{PAGE}_557")
    uploads = [multipart(c.request) for c in rsps.calls[:2]]
    assert [u[0] for u in uploads] == [
        {"published": "false", "alt_text_custom": images[0].alt},
        {"published": "false", "alt_text_custom": images[1].alt},
    ]
    assert [u[1]["source"] for u in uploads] == [Path(m.file).read_bytes() for m in images]
    assert form(rsps.calls[2].request) == {
        "message": "Launch day! https://example.org/launch",
        "attached_media[0]": '{"media_fbid": "111"}',
        "attached_media[1]": '{"media_fbid": "222"}',
    }


def test_a_missing_image_fails_without_sending(rsps: Any, tmp_path: Path) -> None:
    gone = MediaItem(str(tmp_path / "gone.png"), "Gone")
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item(media=(gone,))))
    assert isinstance(outcome, Failed) and "could not read the image" in outcome.reason
    assert len(rsps.calls) == 0


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["error", "error_data"])
def test_recorded_code_100_errors_fail_the_delivery_in_facebooks_words(
    rsps: Any, name: str
) -> None:
    body = recorded(name)
    rsps.post(FEED, json=body, status=400)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, Failed)
    assert not outcome.auth and not outcome.duplicate
    assert body["error"]["message"] in outcome.reason
    assert body["error"]["fbtrace_id"] in outcome.reason
    assert "code 100" in outcome.reason


AUTH = [
    (190, "Error validating access token: Session has expired on Tuesday, 01-Jul-25.", 463),
    (190, "The access token could not be decrypted", None),
    (102, "Session key invalid or no longer valid", None),
    (10, "(#10) Application does not have permission for this action", None),
    (200, "(#200) The user hasn't authorized the application to perform this action", None),
    (
        200,
        "(#200) If posting to a page, requires both pages_read_engagement and "
        "pages_manage_posts as an admin with sufficient administrative permission",
        None,
    ),
]


@pytest.mark.parametrize(("code", "message", "subcode"), AUTH)
def test_refused_tokens_and_permissions_fail_and_pause_the_account(
    rsps: Any, code: int, message: str, subcode: int | None
) -> None:
    rsps.post(FEED, json=error_body(code, message, subcode), status=400)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, Failed) and outcome.auth
    assert f"code {code}" in outcome.reason
    assert message.split(":")[0] in outcome.reason


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (4, "(#4) Application request limit reached"),
        (17, "(#17) User request limit reached"),
        (32, "(#32) Page request limit reached"),
        (613, "(#613) Calls to this api have exceeded the rate limit."),
    ],
)
def test_throttling_is_retried_not_before_facebook_says(rsps: Any, code: int, message: str) -> None:
    usage = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    rsps.post(
        FEED,
        json=error_body(code, message),
        status=400 if code != 32 else 403,
        headers={
            "X-Business-Use-Case-Usage": json.dumps(usage),
            "X-App-Usage": json.dumps({"call_count": 100, "total_time": 12}),
        },
    )
    before = dt.datetime.now(dt.UTC)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert outcome.not_before is not None
    wait = outcome.not_before - before
    assert dt.timedelta(minutes=7) <= wait < dt.timedelta(minutes=7, seconds=30)
    assert message in outcome.reason


def test_throttling_without_a_regain_time_has_no_reset_instant(rsps: Any) -> None:
    rsps.post(
        FEED,
        json=error_body(4, "(#4) Application request limit reached"),
        status=400,
        headers={"X-App-Usage": json.dumps({"call_count": 100, "total_time": 12})},
    )
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, RetryLater) and outcome.not_before is None


def test_a_duplicate_is_reported_as_one(rsps: Any) -> None:
    rsps.post(FEED, json=error_body(506, "(#506) Duplicate status message"), status=400)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, Failed) and outcome.duplicate and not outcome.auth
    assert "(#506) Duplicate status message" in outcome.reason


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, error_body(1, "An unknown error has occurred.")),
        (500, error_body(2, "An unexpected error has occurred. Please retry your request later.")),
        (400, error_body(2, "Service temporarily unavailable")),
        (502, "<html><body>Bad Gateway</body></html>"),
    ],
)
def test_unknown_errors_after_sending_the_post_are_unknown(
    rsps: Any, images: tuple[MediaItem, MediaItem], status: int, body: Any
) -> None:
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    rsps.post(FEED, status=status, **kwargs)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, Unknown)
    assert "may or may not" in outcome.reason
    # the same answer to an unpublished photo upload: nothing was posted, safe to retry
    rsps.post(PHOTOS, status=status, **kwargs)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item(media=images)))
    assert isinstance(outcome, RetryLater) and "nothing was posted" in outcome.reason


def test_but_a_single_photo_post_is_the_post_itself(
    rsps: Any, images: tuple[MediaItem, MediaItem]
) -> None:
    rsps.post(PHOTOS, json=error_body(1, "An unknown error has occurred."), status=500)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item(media=images[:1])))
    assert isinstance(outcome, Unknown)


def test_an_upload_error_stops_before_the_post(
    rsps: Any, images: tuple[MediaItem, MediaItem]
) -> None:
    rsps.post(PHOTOS, json={"id": "111"})
    rsps.post(PHOTOS, json=error_body(190, "Error validating access token"), status=400)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item(media=images)))
    assert isinstance(outcome, Failed) and outcome.auth
    assert not any(c.request.url == FEED for c in rsps.calls)


def test_connection_refused_is_retried_as_never_sent(
    rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("CLARION_FACEBOOK_GRAPH_URL", url)
    rsps.add_passthru(url)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert "could not reach Facebook" in outcome.reason


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), RetryLater),
        (requests.exceptions.ReadTimeout("read timed out"), Unknown),
        (
            requests.exceptions.ConnectionError(
                "('Connection aborted.', RemoteDisconnected('Remote end closed connection'))"
            ),
            Unknown,
        ),
        (requests.exceptions.ChunkedEncodingError("Connection broken"), Unknown),
    ],
)
def test_network_failures_before_and_after_sending(
    rsps: Any, error: Exception, expected: type
) -> None:
    rsps.post(FEED, body=error)
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, expected)


def test_the_token_is_redacted_from_every_error(rsps: Any) -> None:
    body = error_body(190, f"Malformed access token {TOKEN}")
    rsps.post(FEED, json=body, status=400)
    rsps.get(f"{BASE}/me", body=requests.exceptions.ConnectionError(f"?input_token={TOKEN}"))
    outcome = FacebookAdapter().publish(FacebookAdapter().build(*item()))
    assert isinstance(outcome, Failed) and outcome.auth
    assert TOKEN not in outcome.reason and "Malformed access token ***" in outcome.reason
    status = FacebookAdapter().check()
    assert status.problem and TOKEN not in status.problem


# --- reconcile --------------------------------------------------------------------------------


def listed(
    *messages: str, more: bool = False, created: str = "2026-01-05T09:00:02+0000"
) -> dict[str, Any]:
    data = [
        {
            "id": f"{PAGE}_{n}",
            "message": m,
            "created_time": created,
            "permalink_url": f"https://www.facebook.com/permalink/{n}",
        }
        for n, m in enumerate(messages)
    ]
    body: dict[str, Any] = {"data": data}
    if more:
        body["paging"] = {"cursors": {"after": "QVFI"}, "next": f"{POSTS}?after=QVFI"}
    return body


def test_reconcile_finds_the_post_by_its_text(rsps: Any) -> None:
    rsps.get(POSTS, json=listed("Something else", "Launch day! https://example.org/launch\n"))
    adapter = FacebookAdapter()
    outcome = adapter.reconcile(adapter.build(*item()))
    assert outcome == Published(f"{PAGE}_1", "https://www.facebook.com/permalink/1")
    query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert query == {"fields": ["id,message,created_time,permalink_url"], "limit": ["50"]}
    assert rsps.calls[0].request.req_kwargs["timeout"] == 30.0
    assert_token_only_in_header(rsps.calls[0].request)


def test_reconcile_says_absent_only_after_seeing_every_post(rsps: Any) -> None:
    rsps.get(POSTS, json=listed("Something else"))
    adapter = FacebookAdapter()
    assert isinstance(adapter.reconcile(adapter.build(*item())), Absent)


def test_reconcile_is_unknown_when_the_page_has_more_posts_than_it_read(rsps: Any) -> None:
    for _ in range(3):
        rsps.get(POSTS, json=listed("Something else", more=True))
    adapter = FacebookAdapter()
    outcome = adapter.reconcile(adapter.build(*item()))
    assert isinstance(outcome, Unknown) and "has more" in outcome.reason
    assert parse_qs(urlsplit(rsps.calls[1].request.url).query)["after"] == ["QVFI"]


def test_reconcile_with_a_due_time_ignores_older_posts_and_stops_at_them(rsps: Any) -> None:
    # the same text a year earlier is another post; the listing reaches back past the due time
    rsps.get(POSTS, json=listed("Launch day! https://example.org/launch", more=True))
    adapter = FacebookAdapter()
    request = adapter.build(*item())
    dated = Request(
        request.platform,
        request.account,
        request.key,
        request.payload,
        due="2027-01-05T10:00:00+01:00",
    )
    assert isinstance(adapter.reconcile(dated), Absent)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, error_body(4, "(#4) Application request limit reached"), RetryLater),
        (500, error_body(2, "Service temporarily unavailable"), Unknown),
        (400, error_body(190, "Error validating access token"), Unknown),
    ],
)
def test_reconcile_that_cannot_read_the_posts_decides_nothing(
    rsps: Any, status: int, body: dict[str, Any], expected: type
) -> None:
    rsps.get(POSTS, json=body, status=status)
    adapter = FacebookAdapter()
    assert isinstance(adapter.reconcile(adapter.build(*item())), expected)


def test_reconcile_without_text_cannot_tell(rsps: Any, images: tuple[MediaItem, MediaItem]) -> None:
    adapter = FacebookAdapter()
    outcome = adapter.reconcile(adapter.build(*item(text="", media=images[:1])))
    assert isinstance(outcome, Unknown)


# --- check ------------------------------------------------------------------------------------


def debug(**data: Any) -> dict[str, Any]:
    base = {
        "app_id": "1234",
        "type": "PAGE",
        "is_valid": True,
        "expires_at": 0,
        "profile_id": PAGE,
        "scopes": ["pages_show_list", "pages_manage_posts", "pages_read_engagement"],
    }
    return {"data": {**base, **data}}


def page_name() -> str:
    return str(recorded("user_accounts_token")["data"][0]["name"])


def test_check_names_the_page_and_a_token_that_never_expires(rsps: Any) -> None:
    rsps.get(f"{BASE}/me", json={"id": PAGE, "name": page_name()})
    rsps.get(f"{BASE}/debug_token", json=debug())
    status = FacebookAdapter().check()
    assert (status.ok, status.posts_as, status.expires, status.problem) == (
        True,
        "MyLife",
        "never",
        None,
    )
    assert parse_qs(urlsplit(rsps.calls[1].request.url).query) == {"input_token": [TOKEN]}
    assert [c.request.req_kwargs["timeout"] for c in rsps.calls] == [30.0, 30.0]
    assert_token_only_in_header(rsps.calls[0].request)


def test_check_reports_expiry_and_a_missing_permission(rsps: Any) -> None:
    rsps.get(f"{BASE}/me", json={"id": PAGE, "name": "MyLife"})
    rsps.get(f"{BASE}/debug_token", json=debug(expires_at=1893456000, scopes=["pages_show_list"]))
    status = FacebookAdapter().check()
    assert not status.ok and status.expires == "2030-01-01T00:00:00+00:00"
    assert status.problem and "pages_manage_posts" in status.problem


def test_check_with_a_revoked_token_gives_facebooks_words(rsps: Any) -> None:
    message = "Error validating access token: The user has not authorized application 1234."
    rsps.get(f"{BASE}/me", json=error_body(190, message, 458), status=400)
    status = FacebookAdapter().check()
    assert not status.ok and status.problem
    assert "refused the Page token" in status.problem and "code 190/458" in status.problem


def test_check_refuses_a_token_of_another_page_or_a_user(rsps: Any) -> None:
    rsps.get(f"{BASE}/me", json={"id": "555", "name": "Somebody"})
    status = FacebookAdapter().check()
    assert not status.ok and status.problem and "not the Page" in status.problem


def test_check_passes_when_the_token_cannot_be_inspected(rsps: Any) -> None:
    refusal = recorded("error")  # first: without ../shared the test skips before any set-up
    rsps.get(f"{BASE}/me", json={"id": PAGE, "name": "MyLife"})
    rsps.get(f"{BASE}/debug_token", json=refusal, status=400)
    status = FacebookAdapter().check()
    assert status.ok and status.expires is None
    assert "could not inspect the token" in status.details["token"]
