"""The second example campaign (``campaigns/coproduction-week-2022-photos.yaml``: the week on
Instagram, LinkedIn and Threads) end to end, as a comms team would run it: real ``clarion``
processes over one SQLite ledger, the three platforms' stubs on 127.0.0.1 and the team's web
site (a local server) holding the images ``clarion media export`` wrote.

validate → preview in every format (the HTML with each new platform's card) → media export →
schedule → approve → a rehearsal → run-due at each due instant → every post on its platform,
the quote posts with their cards, the thread as a Threads reply chain and one LinkedIn post →
``accounts check`` with each account's quota.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from clarion.ledger import open_ledger
from clarion.ledger.states import State
from tests.clarion_proc import ClarionCLI
from tests.conftest import ROOT
from tests.net import Serving
from tests.servers.instagram_stub import InstagramStub
from tests.servers.linkedin_stub import LinkedInStub
from tests.servers.threads_stub import ThreadsStub

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "campaigns" / "coproduction-week-2022-photos.yaml"
IG, LI, TH = "IGAAexampleWeekTok3n", "AQXexampleWeekLinkedInTok", "THAAexampleWeekTok3n"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Week:
    def __init__(self, cli: ClarionCLI, file: Path, site: Path) -> None:
        self.cli, self.file, self.site = cli, file, site

    def clarion(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = self.cli.run(*args, timeout=180)
        assert done.returncode in ok, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return done


@pytest.fixture
def week(tmp_path: Path) -> Iterator[tuple[Week, InstagramStub, LinkedInStub, ThreadsStub]]:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    shutil.copytree(EXAMPLE.parent / "media", folder / "media")
    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(Quiet, directory=str(site))
    with (
        InstagramStub(IG) as ig,
        LinkedInStub(LI) as li,
        ThreadsStub(TH) as th,
        Serving(handler) as served,  # type: ignore[arg-type]
    ):
        cli = ClarionCLI(
            tmp_path,
            {
                "CLARION_INSTAGRAM_ACCESS_TOKEN": IG,
                "CLARION_INSTAGRAM_USER_ID": ig.user_id,
                "CLARION_INSTAGRAM_API_BASE": ig.url,
                "CLARION_INSTAGRAM_MEDIA_BASE_URL": f"{served.url}/media",
                "CLARION_LINKEDIN_ACCESS_TOKEN": LI,
                "CLARION_LINKEDIN_ORGANIZATION_ID": li.organization_id,
                "CLARION_LINKEDIN_API_BASE": li.url,
                "CLARION_THREADS_ACCESS_TOKEN": TH,
                "CLARION_THREADS_USER_ID": th.user_id,
                "CLARION_THREADS_API_BASE": th.url,
                "CLARION_THREADS_MEDIA_BASE_URL": f"{served.url}/media",
                "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
            },
        )
        yield Week(cli, folder / EXAMPLE.name, site), ig, li, th


def test_the_photos_week_validates_previews_and_goes_out_to_the_three_platforms(
    week: tuple[Week, InstagramStub, LinkedInStub, ThreadsStub],
) -> None:
    w, ig, li, th = week
    file = str(w.file)
    assert "17 deliveries on instagram, linkedin, threads" in w.clarion("validate", file).stdout
    plan = json.loads(w.clarion("preview", file, "--format", "json").stdout)
    by = {p: [d for d in plan if d["platform"] == p] for p in ("instagram", "linkedin", "threads")}
    assert {p: len(v) for p, v in by.items()} == {"instagram": 4, "linkedin": 6, "threads": 7}
    table = w.clarion("preview", file).stdout
    assert "Instagram" in table and "LinkedIn" in table and "Threads" in table
    page = w.clarion("preview", file, "--format", "html").stdout
    for name in ("instagram", "linkedin", "threads"):
        assert f'data-platform="{name}"' in page and f".p-{name}" in page
    assert "BEGIN:VCALENDAR" in w.clarion("preview", file, "--format", "ics").stdout
    requests = json.loads(w.clarion("preview", file, "--format", "requests").stdout)["requests"]
    assert {r["platform"] for r in requests} == {"instagram", "linkedin", "threads"}

    # the images Instagram and Threads fetch, on the team's site
    exported = w.clarion("media", "export", file, "-o", str(w.site / "media")).stdout
    assert "Copy the folder's files to your media_base_url" in exported
    names = {p.name for p in (w.site / "media").iterdir()}
    wanted = {
        f"{i['sha256']}.jpg"
        for r in requests
        if r["platform"] == "instagram"
        for i in r.get("images", [])
    }
    assert wanted and wanted <= names

    w.clarion("schedule", file)
    w.clarion("approve", file, "--by", "Sam Manager")
    before = w.clarion("accounts", "check").stdout  # the week before: who, keys, quotas
    assert "quota: 0 of 100 posts used in the last 24 hours" in before, before
    assert "quota: 0 of 250 posts used in the last 24 hours" in before
    assert "instagram" in before and "linkedin" in before and "threads" in before
    first = min(d["at_utc"] for d in plan)
    rehearsal = w.clarion("run-due", "--dry-run", "--now", first)
    assert "launch" in rehearsal.stdout + rehearsal.stderr
    assert ig.media() == [] and li.posts() == [] and th.posts() == []  # a rehearsal never acts
    for at in sorted({d["at_utc"] for d in plan}):
        w.clarion("run-due", "--pretend-now", at)

    ledger = open_ledger(w.cli.url)
    try:
        rows = [r for r in ledger.rows() if r.campaign == "coproduction-week-2022-photos"]
    finally:
        ledger.close()
    assert len(rows) == len(plan) and {r.state for r in rows} == {State.PUBLISHED}
    assert len(ig.media()) == len(by["instagram"])  # launch, two quotes with cards, thank-you
    assert len(li.posts()) == len(by["linkedin"])  # the panel thread joined into one post
    assert len(th.posts()) == len(by["threads"])  # and a reply chain on Threads
    reply = [p for p in th.posts() if p.get("reply_to")]
    assert len(reply) == 1

    # after the week: these platforms give Clarion no counts yet, and the report says so
    report = w.clarion("report", "coproduction-week-2022-photos")
    assert "Instagram" in report.stdout and "Threads" in report.stdout
    page = w.cli.folder / "report.html"
    w.clarion("report", "coproduction-week-2022-photos", "--format", "html", "-o", str(page))
    assert "Clarion cannot read Instagram's counts" in page.read_text()
    after = w.clarion("accounts", "check", "--platform", "instagram").stdout
    assert "quota: 4 of 100 posts used in the last 24 hours" in after, after
    after = w.clarion("accounts", "check", "--platform", "threads").stdout
    assert f"quota: {len(by['threads'])} of 250 posts used in the last 24 hours" in after, after
    assert all(t not in out for out in w.cli.outputs for t in (IG, LI, TH))
