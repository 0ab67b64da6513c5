"""The issue's "Done when", on the real snac2 server (tests/servers/snac.py), with clarion as a
real process: schedule a campaign with approval required, approve, edit a text, run-due at its
time -> the changed post waits and nothing reaches snac; diff shows the change; approve again,
run-due -> it is on snac with the new text."""

from __future__ import annotations

import json
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clarion_proc import ClarionCLI
from tests.servers.snac import SnacServer, snac_server


@pytest.fixture(scope="module")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac"))


def week(marker: str, text: str) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        name: Signed Week
        slug: signed-{marker}
        timezone: Europe/London
        dates: {{start: 2022-07-04, end: 2022-07-09}}
        platforms: [mastodon]
        approval: required
        posts:
          - id: launch
            at: 2022-07-04 09:00
            text: {text}
        """
    )


def texts_on(snac: SnacServer) -> list[str]:
    mine = snac.api("GET", "/api/v1/accounts/verify_credentials")
    posts: list[dict[str, Any]] = snac.api(
        "GET", f"/api/v1/accounts/{mine['id']}/statuses?limit=40"
    )
    return [str(p.get("text") or p.get("content") or "") for p in posts]


@pytest.mark.slow
def test_sign_off_binds_on_snac(snac: SnacServer, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:8]
    approved_text = f"Our week starts today {marker}"
    edited_text = f"Our great week starts today {marker}"
    campaign = tmp_path / "week.yaml"
    campaign.write_text(week(marker, approved_text))
    cli = ClarionCLI(
        tmp_path,
        {
            "CLARION_MASTODON_BASE_URL": snac.base_url,
            "CLARION_MASTODON_ACCESS_TOKEN": snac.token,
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        },
    )

    def clarion(*args: str) -> subprocess.CompletedProcess[str]:
        done = cli.run(*args, timeout=120)
        assert snac.token not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return done

    assert clarion("schedule", str(campaign)).returncode == 0
    approved = clarion("approve", str(campaign), "--by", "Sam Jones")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "Approved 1 delivery of" in approved.stdout and "by Sam Jones" in approved.stdout

    campaign.write_text(week(marker, edited_text))
    assert clarion("schedule", str(campaign)).returncode == 0
    ran = clarion("run-due", "--pretend-now", "2022-07-04T08:00:30Z", "--log-file", "-")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    key = f"signed-{marker}:launch:mastodon"
    assert f"sign-off   {key}  awaiting sign-off: it changed after it was approved on" in (
        ran.stderr
    )
    on_server = texts_on(snac)
    assert not any(marker in t for t in on_server), on_server  # nothing reached snac

    status = json.loads(clarion("status", "--format", "json").stdout)
    (mine,) = [c for c in status["campaigns"] if c["campaign"] == f"signed-{marker}"]
    assert mine["awaiting_signoff"] == 1 and mine["counts"]["pending"] == 1

    diff = clarion("diff", str(campaign))
    assert diff.returncode == 1
    assert f"text: Our {{+great+}} week starts today {marker}" in diff.stdout

    again = clarion("approve", str(campaign), "--by", "Alex")
    assert again.returncode == 0, again.stderr
    assert clarion("diff", str(campaign)).returncode == 0
    sent = clarion("run-due", "--pretend-now", "2022-07-04T08:01:00Z", "--log-file", "-")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert f"published  {key}" in sent.stdout + sent.stderr
    on_server = texts_on(snac)
    assert [t for t in on_server if marker in t] == [edited_text]
