"""Instagram end to end: real ``clarion`` processes, a real SQLite ledger, the content publishing
stub (:mod:`tests.servers.instagram_stub`) and the team's web site (a local server holding the
prepared images, named by their SHA-256 as ``clarion media export`` names them)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clarion.platforms import images, public_media
from clarion.platforms.instagram import Instagram
from tests.clarion_proc import ClarionCLI
from tests.net import Serving
from tests.servers.instagram_stub import InstagramStub

pytestmark = pytest.mark.slow

TOKEN = "IGAAe2eStubTok3n9931"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[InstagramStub]:
    with InstagramStub(TOKEN) as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, stub: InstagramStub, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    site = tmp_path / "site"
    (site / "media").mkdir(parents=True)
    with Serving(functools.partial(Quiet, directory=str(site))) as serving:  # type: ignore[arg-type]
        cli = ClarionCLI(
            tmp_path,
            {
                "CLARION_INSTAGRAM_USER_ID": stub.user_id,
                "CLARION_INSTAGRAM_ACCESS_TOKEN": TOKEN,
                "CLARION_INSTAGRAM_API_BASE": stub.url,
                "CLARION_INSTAGRAM_MEDIA_BASE_URL": f"{serving.url}/media",
                "CLARION_INSTAGRAM_TIMEOUT": "5",
            },
        )
        for name, size, colour in (("a.jpg", (600, 600), "red"), ("b.jpg", (800, 500), "blue")):
            Image.new("RGB", size, colour).save(tmp_path / name, quality=90)
            p = images.prepare(tmp_path / name, Instagram)
            shutil.copyfile(p.file, site / "media" / f"{p.sha256}{public_media.extension(p.mime)}")
        yield cli


def campaign(cli: ClarionCLI) -> str:
    due = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=2)
    at, day = due.strftime("%Y-%m-%d %H:%M"), due.date()
    (cli.folder / "ig.yaml").write_text(
        "version: 1\nname: Instagram week\nslug: ig\ntimezone: UTC\n"
        f"dates: {{start: {day - dt.timedelta(days=1)}, end: {day + dt.timedelta(days=1)}}}\n"
        "platforms: [instagram]\nposts:\n"
        f"  - id: one\n    at: {at}\n    text: 'One picture #carers'\n"
        "    images: [{path: a.jpg, alt: A red square}]\n"
        f"  - id: two\n    at: {at}\n    text: Two pictures\n"
        "    images: [{path: a.jpg, alt: A red square}, {path: b.jpg, alt: A blue band}]\n"
        f"  - id: thread\n    at: {at}\n    text: Part one\n"
        "    images: [{path: b.jpg, alt: A blue band}]\n"
        "    thread:\n      - text: Part two\n"
    )
    return due.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_previewed_requests_are_what_instagram_received_and_each_post_is_made_once(
    clarion: ClarionCLI, stub: InstagramStub
) -> None:
    due = campaign(clarion)
    shown = clarion.run("preview", "ig.yaml", "--format", "requests")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    planned = {q["key"]: q["payload"] for q in json.loads(shown.stdout)["requests"]}
    assert set(planned) == {"ig:one:instagram", "ig:two:instagram", "ig:thread:instagram"}
    done = clarion.run("schedule", "ig.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert stub.requests() == []
    check = clarion.run("accounts", "check", "--format", "json")
    assert check.returncode == 0, check.stdout + check.stderr
    [account] = json.loads(check.stdout)["accounts"]
    assert account["ok"] and account["posts_as"] == "@clarion.charity"
    assert stub.media() == []

    ran = clarion.run("run-due", "--pretend-now", due, "--log-file", "-")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert set(clarion.states().values()) == {"published"}
    assert sorted(m["caption"] for m in stub.media()) == [
        "One picture #carers",
        "Part one\n\nPart two",
        "Two pictures",
    ]

    # every POST the preview showed arrived as shown, byte for byte once the container ids the
    # stub gave replace their placeholders (the deliveries ran one after another)
    received = [r for r in stub.requests() if r["method"] == "POST"]
    answers = iter(c["id"] for c in stub.containers())  # in the order the POSTs made them
    groups: list[list[dict[str, Any]]] = [[]]
    for r in received:
        groups[-1].append(r)
        if r["endpoint"] == "media_publish":
            groups.append([])
    assert groups.pop() == [] and len(groups) == 3
    for group in groups:
        caption = next(r["fields"]["caption"] for r in group if "caption" in r["fields"])
        [payload] = [
            p
            for p in planned.values()
            if any(s["fields"].get("caption") == caption for s in p["requests"])
        ]
        assert payload["api_base"] == f"{stub.url}/{stub.version}"
        ids: dict[str, str] = {}
        expected = []
        for step, _got in zip(payload["requests"], group, strict=True):
            fields = {}
            for key, value in step["fields"].items():
                for placeholder, real in ids.items():
                    value = value.replace(placeholder, real)
                fields[key] = value
            expected.append((f"/{stub.version}{step['path']}", fields))
            if "id" in step:
                ids[step["id"]] = next(answers)
        assert [(r["path"], r["fields"]) for r in group] == expected
    # Instagram fetched each image from the team's site, and it was the previewed bytes
    shas = {s["sha256"] for p in planned.values() for s in p["requests"] if "sha256" in s}
    assert {f["sha256"] for f in stub.fetched()} == shas

    assert not [out for out in clarion.outputs if TOKEN in out]


def test_a_lost_publish_answer_is_unconfirmed_then_reconciled_without_a_second_post(
    clarion: ClarionCLI, stub: InstagramStub
) -> None:
    due = campaign(clarion)
    assert clarion.run("schedule", "ig.yaml").returncode == 0
    stub.fail("media_publish", "drop-after")
    first = clarion.run("run-due", "--pretend-now", due, "--log-file", "-")
    assert "unconfirmed" in set(clarion.states().values()), first.stdout + first.stderr
    later = dt.datetime.fromisoformat(due.replace("Z", "+00:00")) + dt.timedelta(minutes=2)
    again = clarion.run(
        "run-due", "--pretend-now", later.strftime("%Y-%m-%dT%H:%M:%SZ"), "--log-file", "-"
    )
    assert set(clarion.states().values()) == {"published"}, again.stdout + again.stderr
    assert len(stub.media()) == 3


def test_accounts_check_shows_the_publishing_quota(clarion: ClarionCLI) -> None:
    campaign(clarion)
    assert clarion.run("schedule", "ig.yaml").returncode == 0
    check = clarion.run("accounts", "check")
    assert "0 of 100 posts used in the last 24 hours" in check.stdout


def test_the_accounts_own_quota_is_measured_against_the_week(
    clarion: ClarionCLI, stub: InstagramStub
) -> None:
    """Instagram says this account may publish 2 posts a day: after `accounts check` has read
    that, `validate` warns that the 3 posts due in the same minute would go over it."""
    campaign(clarion)
    assert "over" not in clarion.run("validate", "ig.yaml").stderr  # 3 of the stock 100
    stub.quota_total = 2
    assert clarion.run("schedule", "ig.yaml").returncode == 0
    check = clarion.run("accounts", "check")
    assert "quota: 0 of 2 posts used in the last 24 hours" in check.stdout, check.stdout
    warned = clarion.run("validate", "ig.yaml").stderr
    assert "2 posts per 24 hours" in warned, warned
    assert "the quota the platform reported for this account" in warned
