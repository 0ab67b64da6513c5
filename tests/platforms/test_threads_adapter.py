"""The Threads adapter against the Threads API stub (tests/servers/threads_stub.py) over real HTTP:
every outcome, and that what ``build`` shows is exactly what the stub received."""

from __future__ import annotations

import datetime as dt
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from clarion import secrets
from clarion.delivery import Media
from clarion.platforms import images, public_media
from clarion.platforms.adapter import Request
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown
from clarion.platforms.threads import Threads, ThreadsAdapter
from tests.conftest import png
from tests.deliveries import MediaItem, sendable
from tests.net import Serving, closed_port
from tests.servers.threads_stub import ThreadsStub

#: A token no generic "looks like a secret" pattern catches: only its registration hides it.
TOKEN = "THAAstubLongLivedTok3n9921"
KEY = "week:launch:threads"


class _Files(SimpleHTTPRequestHandler):
    """Serves one folder: a team's web site holding the exported images."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=args[2].folder, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.delenv("CLARION_THREADS_TIMEOUT", raising=False)
    yield
    secrets.clear()


@pytest.fixture
def stub() -> Iterator[ThreadsStub]:
    with ThreadsStub(TOKEN) as server:
        server.slow_s = 3.0
        yield server


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "site"
    folder.mkdir()
    with Serving(_Files, folder=str(folder)) as served:
        yield folder, served.url + "/media"


def adapter(stub: ThreadsStub, media_base: str | None = None, **more: str) -> ThreadsAdapter:
    found = {"access_token": TOKEN, "user_id": stub.user_id, "api_base": stub.url, **more}
    if media_base:
        found["media_base_url"] = media_base
    made = ThreadsAdapter("default", credentials=found)
    made.poll_every_s = 0.01  # the stub finishes a container at its second look
    made.timeout_s = 2.0
    return made


def image(tmp_path: Path, name: str, size: int, alt: str) -> Media:
    path = tmp_path / name
    path.write_bytes(png(size, size))
    return MediaItem(str(path), alt)


def publish_to_site(site: tuple[Path, str], media: Media) -> str:
    """Copy the prepared image where its public address points; return that address."""
    folder, base = site
    p = images.prepare(media.file, Threads)
    url = public_media.address(base, p.sha256, p.mime)
    (folder / "media").mkdir(exist_ok=True)
    shutil.copyfile(p.file, folder / "media" / url.rsplit("/", 1)[1])
    return url


def fill(value: str, ids: dict[str, str]) -> str:
    for placeholder, real in ids.items():
        value = value.replace(placeholder, real)
    return value


def test_a_text_post_is_created_checked_published_and_read_back(stub: ThreadsStub) -> None:
    a = adapter(stub)
    text = "Launch day! https://example.org/launch 🚀"
    d = sendable(KEY, "threads", text).delivery
    d = replace(d, content=replace(d.content, link="https://example.org/launch"))
    request = a.build(d)
    outcome = a.publish(request)
    [post] = stub.posts()
    assert outcome == Published(post["id"], post["permalink"])
    assert (post["text"], post["media_type"]) == (text, "TEXT")
    assert post["link_attachment"] == "https://example.org/launch"
    assert [r["endpoint"] for r in stub.requests()] == [
        "threads",
        "status",
        "status",  # IN_PROGRESS, then FINISHED
        "publish",
        "media",
    ]
    assert {r["headers"]["Authorization"] for r in stub.requests()} == {f"Bearer {TOKEN}"}
    assert all(TOKEN not in r["path"] + r["body"].decode() for r in stub.requests())


def test_each_form_body_sent_is_the_built_request_byte_for_byte(
    stub: ThreadsStub, tmp_path: Path, site: tuple[Path, str]
) -> None:
    a, b = image(tmp_path, "a.png", 2, "A grey square"), image(tmp_path, "b.png", 3, "Another")
    for m in (a, b):
        publish_to_site(site, m)
    built = adapter(stub, site[1]).build(sendable(KEY, "threads", "Two pictures", (a, b)).delivery)
    assert isinstance(adapter(stub, site[1]).publish(built), Published)
    posts = [s for s in built.payload["requests"] if s["method"] == "POST"]
    received = [r for r in stub.requests() if r["method"] == "POST"]
    assert len(posts) == len(received) == 4  # two items, the carousel, the publish
    ids: dict[str, str] = {}
    for step, got in zip(posts, received, strict=True):
        assert got["path"] == f"/v1.0{fill(step['path'], ids)}"
        fields = {k: fill(v, ids) for k, v in step["fields"].items()}
        assert got["body"] == urllib.parse.urlencode(fields).encode()
        ids[step["id"]] = got["answer"]["id"]
    [post] = stub.posts()
    assert post["media_type"] == "CAROUSEL" and len(post["images"]) == 2


def test_an_image_at_its_verified_public_address_is_published(
    stub: ThreadsStub, tmp_path: Path, site: tuple[Path, str]
) -> None:
    m = image(tmp_path, "poster.png", 4, "The launch poster")
    url = publish_to_site(site, m)
    a = adapter(stub, site[1])
    request = a.build(sendable(KEY, "threads", "Our poster", (m,)).delivery)
    assert request.payload["verify"] == [{"url": url, "sha256": request.images[0]["sha256"]}]
    assert isinstance(a.publish(request), Published)
    [post] = stub.posts()
    assert post["images"] == [request.images[0]["sha256"]]  # Threads fetched the same bytes
    assert post["alt_text"] == "The launch poster" and post["text"] == "Our poster"
    [create] = stub.requests("threads")
    assert create["fields"]["image_url"] == url and create["fields"]["media_type"] == "IMAGE"


def test_an_address_serving_other_bytes_is_refused_before_anything_is_sent(
    stub: ThreadsStub, tmp_path: Path, site: tuple[Path, str]
) -> None:
    m = image(tmp_path, "poster.png", 4, "The launch poster")
    url = publish_to_site(site, m)
    (site[0] / "media" / url.rsplit("/", 1)[1]).write_bytes(png(5, 5))  # changed on the site
    outcome = adapter(stub, site[1]).publish(
        adapter(stub, site[1]).build(sendable(KEY, "threads", "x", (m,)).delivery)
    )
    assert isinstance(outcome, Failed) and "serves other bytes" in outcome.reason
    assert stub.requests() == []


def test_without_a_media_address_an_image_post_is_refused_in_plain_words(
    stub: ThreadsStub, tmp_path: Path
) -> None:
    m = image(tmp_path, "poster.png", 4, "The launch poster")
    a = adapter(stub)
    request = a.build(sendable(KEY, "threads", "x", (m,)).delivery)
    outcome = a.publish(request)
    assert isinstance(outcome, Failed) and "CLARION_THREADS_MEDIA_BASE_URL" in outcome.reason
    assert stub.requests() == []


def test_a_thread_becomes_a_reply_chain(stub: ThreadsStub) -> None:
    a = adapter(stub)
    first = sendable(KEY, "threads", "Part one").delivery
    second = sendable(KEY + "#2", "threads", "Part two", thread_index=1, reply_to_key=KEY).delivery
    shown = a.build(second)  # before part one is published: a placeholder
    assert shown.payload["requests"][0]["fields"]["reply_to_id"] == f"<id of {KEY}>"
    refused = a.publish(shown)
    assert isinstance(refused, Failed) and stub.requests() == []
    one = a.publish(a.build(first))
    assert isinstance(one, Published)
    two = a.publish(a.build(second, reply_to_id=one.post_id))
    assert isinstance(two, Published)
    assert [(p["text"], p["reply_to"]) for p in stub.posts()] == [
        ("Part one", None),
        ("Part two", one.post_id),
    ]


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_is_retried_not_before_threads_says(stub: ThreadsStub, code: int) -> None:
    stub.retry_after = 600
    stub.fail("threads", f"throttle-{code}")
    before = dt.datetime.now(dt.UTC)
    outcome = adapter(stub).publish(adapter(stub).build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert outcome.not_before is not None
    assert before + dt.timedelta(seconds=590) < outcome.not_before
    assert f"code {code}" in outcome.reason and stub.posts() == []


def test_throttling_on_publish_is_retried_too(stub: ThreadsStub) -> None:
    stub.fail("publish", "throttle-4")
    outcome = adapter(stub).publish(adapter(stub).build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, RetryLater) and outcome.not_before is None
    assert stub.posts() == []


def test_a_500_before_publishing_is_retried_and_on_publishing_is_unknown(
    stub: ThreadsStub,
) -> None:
    a = adapter(stub)
    stub.fail("threads", "500")
    first = a.publish(a.build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(first, RetryLater) and "nothing was published" in first.reason
    stub.fail("publish", "500")
    second = a.publish(a.build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(second, Unknown)


def test_a_dropped_publish_is_unknown_then_reconcile_finds_the_post(stub: ThreadsStub) -> None:
    a = adapter(stub)
    request = a.build(sendable(KEY, "threads", "Dropped but made").delivery)
    stub.fail("publish", "drop-after")
    outcome = a.publish(request)
    assert isinstance(outcome, Unknown)
    [post] = stub.posts()
    assert a.reconcile(request) == Published(post["id"], post["permalink"])


def test_a_publish_dropped_before_it_was_done_is_unknown_then_absent(stub: ThreadsStub) -> None:
    a = adapter(stub)
    request = a.build(sendable(KEY, "threads", "Never made").delivery)
    stub.fail("publish", "drop")
    assert isinstance(a.publish(request), Unknown)
    assert stub.posts() == []
    assert isinstance(a.reconcile(request), Absent)


def test_reconcile_of_a_reply_looks_among_the_replies(stub: ThreadsStub) -> None:
    a = adapter(stub)
    one = a.publish(a.build(sendable(KEY, "threads", "Same words").delivery))
    assert isinstance(one, Published)
    second = sendable(KEY + "#2", "threads", "Same words", thread_index=1, reply_to_key=KEY)
    request = a.build(second.delivery, reply_to_id=one.post_id)
    stub.fail("publish", "drop")
    assert isinstance(a.publish(request), Unknown)
    assert isinstance(a.reconcile(request), Absent)  # the top-level post is not the reply
    assert stub.requests("listing")[-1]["path"].endswith("/replies")


def test_a_revoked_token_fails_with_auth_and_is_redacted(stub: ThreadsStub) -> None:
    stub.fail("threads", "revoked")
    a = adapter(stub)
    outcome = a.publish(a.build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, Failed) and outcome.auth
    assert "code 190/460" in outcome.reason and TOKEN not in outcome.reason


def test_an_unreachable_server_is_retried_as_never_sent(stub: ThreadsStub) -> None:
    a = adapter(stub, api_base=f"http://127.0.0.1:{closed_port()}")
    outcome = a.publish(a.build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert "could not reach Threads" in outcome.reason


def test_a_container_in_error_fails_with_threads_words(stub: ThreadsStub) -> None:
    stub.fail("status", "error")
    outcome = adapter(stub).publish(adapter(stub).build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, Failed) and "ERROR (UNKNOWN)" in outcome.reason
    assert stub.requests("publish") == []


def test_a_slow_container_is_retried_later_without_publishing(stub: ThreadsStub) -> None:
    a = adapter(stub)
    a.timeout_s = 0.5
    stub.fail("status", "slow")
    outcome = a.publish(a.build(sendable(KEY, "threads", "x").delivery))
    assert isinstance(outcome, RetryLater) and not outcome.before_send
    assert stub.requests("publish") == []


def test_a_text_over_the_limit_is_refused_by_threads(stub: ThreadsStub) -> None:
    outcome = adapter(stub).publish(
        adapter(stub).build(sendable(KEY, "threads", "😀" * 126).delivery)  # 504 as Threads counts
    )
    assert isinstance(outcome, Failed) and "500 characters" in outcome.reason


def test_accounts_check_says_who_and_the_quota(stub: ThreadsStub) -> None:
    stub.quota_used = 3
    status = adapter(stub).check()
    assert status.ok and status.posts_as == "@clarion"
    assert status.details["quota"] == "3 of 250 posts used in the last 24 hours"
    wrong = adapter(stub, user_id="42").check()
    assert not wrong.ok and "not the Threads user 42" in (wrong.problem or "")
    stub.fail("me", "revoked")
    refused = adapter(stub).check()
    assert not refused.ok and "refused the access token" in (refused.problem or "")


def test_a_request_without_a_user_id_sends_nothing(stub: ThreadsStub) -> None:
    a = ThreadsAdapter("default", credentials={"access_token": TOKEN})
    request: Request = a.build(sendable(KEY, "threads", "x").delivery)
    assert request.payload["requests"][0]["path"] == "/{threads-user-id}/threads"
    outcome = a.publish(request)
    assert isinstance(outcome, Failed) and "CLARION_THREADS_USER_ID" in outcome.reason
