"""The LinkedIn Page adapter against the stub (tests/servers/linkedin_stub.py) over real HTTP:
every outcome of a send, reconcile after an unknown one, and ``check``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion import secrets
from clarion.platforms.linkedin import LINKEDIN_VERSION, LinkedInAdapter
from clarion.platforms.linkedin.api import RETIRED, encode
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown
from tests.conftest import png
from tests.deliveries import MediaItem, sendable
from tests.net import closed_port
from tests.servers.linkedin_stub import LinkedInStub

TOKEN = "AQVstubLinkedInToken7731"
TEXT = "Launch day (finally) #Clarion https://example.org/launch"


@pytest.fixture
def stub() -> Iterator[LinkedInStub]:
    with LinkedInStub(TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, stub: LinkedInStub) -> Iterator[None]:
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("CLARION_LINKEDIN_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CLARION_LINKEDIN_ORGANIZATION_ID", stub.organization_id)
    monkeypatch.setenv("CLARION_LINKEDIN_API_BASE", stub.url)
    monkeypatch.setenv("CLARION_LINKEDIN_TIMEOUT", "2")
    yield
    secrets.clear()


def adapter() -> LinkedInAdapter:
    return LinkedInAdapter("default")


def images(tmp_path: Path, n: int) -> tuple[MediaItem, ...]:
    out = []
    for i in range(n):
        f = tmp_path / f"p{i}.png"
        f.write_bytes(png(2 + i, 2))
        out.append(MediaItem(str(f), f"Picture {i} of the launch"))
    return tuple(out)


def test_a_text_post_is_published_with_the_documented_body(stub: LinkedInStub) -> None:
    a = adapter()
    request = a.build(sendable("wk:text:linkedin", "linkedin", TEXT).delivery)
    outcome = a.publish(request)
    [post] = stub.posts()
    assert outcome == Published(post["id"], f"https://www.linkedin.com/feed/update/{post['id']}/")
    [sent] = stub.requests("posts")
    assert sent["body"] == encode(request.payload["requests"][-1]["json"])  # byte for byte
    assert sent["json"] == {
        "author": f"urn:li:organization:{stub.organization_id}",
        "commentary": r"Launch day \(finally\) {hashtag|#|Clarion} https://example.org/launch",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert sent["headers"]["Linkedin-Version"] == LINKEDIN_VERSION
    assert sent["headers"]["X-Restli-Protocol-Version"] == "2.0.0"
    assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(request.payload)  # the preview never holds the token


@pytest.mark.parametrize("n", [1, 3])
def test_images_are_uploaded_then_posted_with_their_alt_text(
    stub: LinkedInStub, tmp_path: Path, n: int
) -> None:
    a = adapter()
    media = images(tmp_path, n)
    request = a.build(sendable("wk:img:linkedin", "linkedin", "Pictures", media).delivery)
    assert isinstance(a.publish(request), Published)
    [post] = stub.posts()
    uploaded = stub.images()
    content = post["content"]
    refs = [content["media"]] if n == 1 else content["multiImage"]["images"]
    assert [r["altText"] for r in refs] == [m.alt for m in media]
    sent = [Path(i["file"]).read_bytes() for i in request.images]
    assert [uploaded[r["id"]]["sha256"] for r in refs] == [
        hashlib.sha256(b).hexdigest() for b in sent
    ]
    order = [r["endpoint"] for r in stub.requests()]
    assert order == ["images", "upload"] * n + ["posts"]


def test_throttling_is_retried_not_before_retry_after(stub: LinkedInStub) -> None:
    stub.retry_after = 120
    stub.fail("posts", "429")
    before = dt.datetime.now(dt.UTC)
    outcome = adapter().publish(adapter().build(sendable("k:a:linkedin", "linkedin", "x").delivery))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert outcome.not_before is not None
    assert before + dt.timedelta(seconds=119) <= outcome.not_before
    assert "rate limited by LinkedIn" in outcome.reason and stub.posts() == []


def test_a_server_error_on_an_image_is_retried_and_on_the_post_is_unknown(
    stub: LinkedInStub, tmp_path: Path
) -> None:
    a = adapter()
    stub.fail("images", "500")
    d = sendable("k:i:linkedin", "linkedin", "x", images(tmp_path, 1)).delivery
    assert isinstance(a.publish(a.build(d)), RetryLater)
    stub.fail("posts", "500")
    outcome = a.publish(a.build(sendable("k:t:linkedin", "linkedin", "y").delivery))
    assert isinstance(outcome, Unknown) and "Internal Server Error" in outcome.reason


@pytest.mark.parametrize(("fault", "made"), [("drop-after", True), ("slow", True), ("drop", False)])
def test_a_lost_answer_is_unknown_then_reconcile_settles_it(
    stub: LinkedInStub, fault: str, made: bool
) -> None:
    stub.slow_s = 4
    stub.fail("posts", fault)
    a = adapter()
    request = a.build(
        sendable("k:l:linkedin", "linkedin", TEXT, at=dt.datetime.now(dt.UTC)).delivery
    )
    assert isinstance(a.publish(request), Unknown)
    assert len(stub.posts()) == (1 if made else 0)
    found = a.reconcile(request)
    if made:
        assert found == Published(stub.posts()[0]["id"], found.url if found else None)
    else:
        assert isinstance(found, Absent)
    [listing] = stub.requests("list")
    assert listing["query"]["author"] == f"urn:li:organization:{stub.organization_id}"
    assert listing["query"]["q"] == "author"


def test_reconcile_does_not_take_an_older_post_with_the_same_text(stub: LinkedInStub) -> None:
    a = adapter()
    assert isinstance(
        a.publish(a.build(sendable("k:o:linkedin", "linkedin", TEXT).delivery)), Published
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    request = a.build(sendable("k:o2:linkedin", "linkedin", TEXT, at=later).delivery)
    assert isinstance(a.reconcile(request), Absent)


def test_a_revoked_token_fails_with_auth_and_is_redacted(stub: LinkedInStub) -> None:
    stub.fail("posts", "revoked")
    outcome = adapter().publish(adapter().build(sendable("k:r:linkedin", "linkedin", "x").delivery))
    assert isinstance(outcome, Failed) and outcome.auth
    assert "refused the access token" in outcome.reason and TOKEN not in outcome.reason


def test_a_missing_permission_fails_with_linkedins_words(stub: LinkedInStub) -> None:
    stub.fail("posts", "forbidden")
    outcome = adapter().publish(adapter().build(sendable("k:f:linkedin", "linkedin", "x").delivery))
    assert isinstance(outcome, Failed) and outcome.auth
    assert "Not enough permissions to access" in outcome.reason
    assert "w_organization_social" in outcome.reason


def test_a_retired_version_says_so_when_sending_and_checking(stub: LinkedInStub) -> None:
    stub.retired.add(LINKEDIN_VERSION)
    outcome = adapter().publish(adapter().build(sendable("k:v:linkedin", "linkedin", "x").delivery))
    assert isinstance(outcome, Failed) and outcome.auth
    assert outcome.reason.startswith("this Clarion's LinkedIn API version is retired")
    status = adapter().check()
    assert not status.ok and status.problem and status.problem.startswith(RETIRED)
    assert stub.posts() == []


def test_a_repeat_is_refused_as_a_duplicate(stub: LinkedInStub) -> None:
    a = adapter()
    d = sendable("k:d:linkedin", "linkedin", "Same words").delivery
    assert isinstance(a.publish(a.build(d)), Published)
    again = a.publish(a.build(d))
    assert isinstance(again, Failed) and again.duplicate and "duplicate" in again.reason


def test_unreachable_is_retried_before_send(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_LINKEDIN_API_BASE", f"http://127.0.0.1:{closed_port()}")
    a = adapter()
    outcome = a.publish(a.build(sendable("k:u:linkedin", "linkedin", "x").delivery))
    assert isinstance(outcome, RetryLater) and "could not reach LinkedIn" in outcome.reason


def test_check_names_the_page_and_what_linkedin_does_not_report(stub: LinkedInStub) -> None:
    status = adapter().check()
    assert (status.ok, status.posts_as, status.expires) == (True, stub.name, None)
    assert "does not report" in status.details["quota"]
    assert "does not report" in status.details["token"]
    stub.fail("organizations", "forbidden")  # no rw_organization_admin: the name is unknown
    status = adapter().check()
    assert status.ok and status.posts_as == stub.author and "name" in status.details
    stub.fail("organizations", "revoked")
    status = adapter().check()
    assert not status.ok and "refused the access token" in (status.problem or "")


def test_a_reply_or_a_missing_organization_is_refused_without_sending(
    stub: LinkedInStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = adapter()
    reply = sendable("k:p:linkedin", "linkedin", "x", thread_index=1, reply_to_key="k:q").delivery
    outcome = a.publish(a.build(reply))
    assert isinstance(outcome, Failed) and "no threads" in outcome.reason
    monkeypatch.delenv("CLARION_LINKEDIN_ORGANIZATION_ID")
    b = adapter()
    request = b.build(sendable("k:n:linkedin", "linkedin", "x").delivery)
    assert (
        request.payload["requests"][-1]["json"]["author"] == "urn:li:organization:{organization-id}"
    )
    outcome = b.publish(request)
    assert isinstance(outcome, Failed) and "CLARION_LINKEDIN_ORGANIZATION_ID" in outcome.reason
    assert stub.requests() == []
