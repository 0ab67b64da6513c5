"""The LinkedIn adapter end to end: real ``clarion`` processes, a real SQLite ledger, and the
LinkedIn stub (tests/servers/linkedin_stub.py) over real HTTP.

What ``clarion preview --format requests`` shows is what the stub receives, byte for byte (the
JSON bodies once the image placeholders hold the URNs LinkedIn gave, the version headers, the
uploaded bytes); a thread is joined into one post; ``accounts check`` names the Page and says when
this Clarion's API version is retired."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from clarion.platforms.linkedin import LINKEDIN_VERSION
from clarion.platforms.linkedin.adapter import fill
from clarion.platforms.linkedin.api import encode
from tests.clarion_proc import ClarionCLI
from tests.conftest import png
from tests.servers.linkedin_stub import LinkedInStub

pytestmark = pytest.mark.slow

TOKEN = "AQVe2eLinkedInToken5582"
POSTS = (
    "  - id: text\n    at: {at}\n    text: 'Launch day (at last) #Clarion https://example.org/l'\n"
    "  - id: pic\n    at: {at}\n    text: One_picture\n"
    "    images: [{{path: a.png, alt: A small grey square}}]\n"
    "  - id: thread\n    at: {at}\n    text: Part one\n    thread:\n      - text: Part two *\n"
)


class Clarion(ClarionCLI):
    def __init__(self, folder: Path, stub: LinkedInStub) -> None:
        super().__init__(
            folder,
            {
                "CLARION_LINKEDIN_ACCESS_TOKEN": TOKEN,
                "CLARION_LINKEDIN_ORGANIZATION_ID": stub.organization_id,
                "CLARION_LINKEDIN_API_BASE": stub.url,
                "CLARION_LINKEDIN_TIMEOUT": "5",
            },
        )
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.due = now + dt.timedelta(minutes=2)
        (folder / "a.png").write_bytes(png(3, 2))

    def write(self) -> None:
        day = self.due.date()
        at = self.due.strftime("%Y-%m-%d %H:%M")
        (self.folder / "li.yaml").write_text(
            "version: 1\nname: LinkedIn week\nslug: li\ntimezone: UTC\n"
            f"dates: {{start: {day - dt.timedelta(days=1)}, end: {day + dt.timedelta(days=1)}}}\n"
            f"platforms: [linkedin]\nposts:\n{POSTS.format(at=at)}"
        )


@pytest.fixture
def stub() -> object:
    with LinkedInStub(TOKEN) as server:
        yield server


def test_the_previewed_requests_are_exactly_what_linkedin_received(
    tmp_path: Path, stub: LinkedInStub
) -> None:
    clarion = Clarion(tmp_path, stub)
    clarion.write()
    preview = clarion.run("preview", "li.yaml", "--format", "requests")
    assert preview.returncode == 0, preview.stderr
    planned = {r["key"]: r for r in json.loads(preview.stdout)["requests"]}
    assert set(planned) == {"li:text:linkedin", "li:pic:linkedin", "li:thread:linkedin"}
    assert stub.requests() == []  # a preview sends nothing

    done = clarion.run("schedule", "li.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    at = clarion.due.strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = clarion.run("run-due", "--pretend-now", at, "--log-file", "-")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert set(clarion.states().values()) == {"published"}

    # the image's placeholders hold what the stub answered
    [urn] = stub.images()
    ids = {"<urn of image 1>": urn, "<uploadUrl of image 1>": f"{stub.url}/upload/1"}
    received = {r["json"]["commentary"]: r for r in stub.requests("posts")}
    assert len(received) == 3
    for key, plan in planned.items():
        steps = plan["payload"]["requests"]
        post = steps[-1]
        got = received[post["json"]["commentary"]]
        assert got["body"] == encode(fill(post["json"], ids)), key  # byte for byte
        for name, value in post["headers"].items():
            assert got["headers"][name] == value
        assert got["headers"]["Linkedin-Version"] == LINKEDIN_VERSION
        assert got["headers"]["Authorization"] == f"Bearer {TOKEN}"
        row = clarion.rows()[key]
        assert row.platform_url == f"https://www.linkedin.com/feed/update/{row.platform_id}/"
    [init] = stub.requests("images")
    pic = planned["li:pic:linkedin"]
    assert init["body"] == encode(pic["payload"]["requests"][0]["json"])
    [upload] = stub.requests("upload")
    prepared = pic["images"][0]
    assert hashlib.sha256(upload["body"]).hexdigest() == prepared["sha256"]
    assert stub.images()[urn]["sha256"] == prepared["sha256"]

    # the thread became one post; the commentary shows exactly the campaign's words
    texts = {p["id"]: p["commentary"] for p in stub.posts()}
    assert sorted(texts.values()) == sorted(
        [
            r"Launch day \(at last\) {hashtag|#|Clarion} https://example.org/l",
            r"One\_picture",
            "Part one\n\nPart two \\*",
        ]
    )
    pic_post = next(p for p in stub.posts() if p["commentary"] == r"One\_picture")
    assert pic_post["content"]["media"] == {"id": urn, "altText": "A small grey square"}
    assert not [out for out in clarion.outputs if TOKEN in out]


def test_accounts_check_names_the_page_then_says_the_version_is_retired(
    tmp_path: Path, stub: LinkedInStub
) -> None:
    clarion = Clarion(tmp_path, stub)
    clarion.write()
    assert clarion.run("schedule", "li.yaml").returncode == 0
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 0, check.stdout + check.stderr
    [account] = json.loads(check.stdout)["accounts"]
    assert (account["ok"], account["posts_as"], account["key_expires"]) == (
        True,
        stub.name,
        "not reported",
    )

    stub.retired.add(LINKEDIN_VERSION)
    check = clarion.run("accounts", "check")
    assert check.returncode == 1
    assert "this Clarion's LinkedIn API version is retired" in check.stdout
    assert f"Linkedin-Version {LINKEDIN_VERSION}" in check.stdout
    at = clarion.due.strftime("%Y-%m-%dT%H:%M:%SZ")
    run = clarion.run("run-due", "--pretend-now", at, "--log-file", "-")
    assert run.returncode == 1
    states = sorted(clarion.states().values())
    assert states[0] == "failed" and set(states[1:]) <= {"paused"}
    reason = clarion.rows()["li:text:linkedin"].last_error or ""
    failed = [r for r in clarion.rows().values() if r.state.value == "failed"]
    assert "version is retired" in (failed[0].last_error or reason)
    assert stub.posts() == []
