"""Tagged links on real servers, with clarion as a real process (``schedule`` then ``run-due``):
the Bluesky PDS stores the link facet with the tagged address and the text with its short form
(as Bluesky's own app writes it); snac2 (Mastodon) stores the status with the tagged link."""

from __future__ import annotations

import html
import json
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clarion_proc import ClarionCLI
from tests.servers.pds import PdsServer, start_pds
from tests.servers.snac import SnacServer, snac_server

pytestmark = pytest.mark.slow

LINK = "https://example.org/events/co-production-week?lang=en#programme"


def week(slug: str, platform: str) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        name: Tagged week
        slug: {slug}
        timezone: UTC
        dates: {{start: 2022-07-04, end: 2022-07-09}}
        platforms: [{platform}]
        utm: true
        posts:
          - id: launch
            at: 2022-07-04 09:00
            text: "Our week starts today {slug}"
            link: {LINK}
        """
    )


def tagged(platform: str, slug: str) -> str:
    return (
        "https://example.org/events/co-production-week?lang=en&utm_source="
        f"{platform}&utm_medium=social&utm_campaign={slug}&utm_content=launch#programme"
    )


def run(cli: ClarionCLI, campaign: Path) -> dict[str, Any]:
    """Preview the requests, schedule, send at the post's time; the previewed request."""

    def clarion(*args: str) -> subprocess.CompletedProcess[str]:
        done = cli.run(*args, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    (request,) = json.loads(clarion("preview", str(campaign), "--format", "requests").stdout)[
        "requests"
    ]
    clarion("schedule", str(campaign))
    clarion("run-due", "--pretend-now", "2022-07-04T09:00:30Z")
    return dict(request)


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdsServer]:
    with start_pds(tmp_path_factory.mktemp("pds")) as server:
        yield server


@pytest.fixture(scope="module")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac"))


def test_bluesky_stores_the_tagged_address_in_the_facet_and_the_short_form_in_the_text(
    pds: PdsServer, tmp_path: Path
) -> None:
    account = pds.create_account("tagger")
    slug = "tagged-" + uuid.uuid4().hex[:6]
    campaign = tmp_path / "week.yaml"
    campaign.write_text(week(slug, "bluesky"))
    cli = ClarionCLI(
        tmp_path,
        {
            "CLARION_ADAPTERS": "bluesky=clarion.platforms.bluesky:BlueskyAdapter",
            "CLARION_BLUESKY_SERVICE": pds.url,
            "CLARION_BLUESKY_HANDLE": account.handle,
            "CLARION_BLUESKY_APP_PASSWORD": account.password,
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        },
    )
    previewed = run(cli, campaign)["payload"]["record"]
    (post,) = pds.list_posts(account.did)
    record = post["value"]
    assert record["text"] == f"Our week starts today {slug}\nexample.org/events/co-pr..."
    assert record["text"] == previewed["text"]
    (facet,) = record["facets"]
    assert facet["features"][0]["uri"] == tagged("bluesky", slug)
    shown = record["text"].encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
    assert shown == b"example.org/events/co-pr..."
    assert facet == previewed["facets"][0]


def test_mastodon_on_snac_receives_the_tagged_link(snac: SnacServer, tmp_path: Path) -> None:
    slug = "tagged-" + uuid.uuid4().hex[:6]
    campaign = tmp_path / "week.yaml"
    campaign.write_text(week(slug, "mastodon"))
    cli = ClarionCLI(
        tmp_path,
        {
            "CLARION_MASTODON_BASE_URL": snac.base_url,
            "CLARION_MASTODON_ACCESS_TOKEN": snac.token,
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        },
    )
    previewed = run(cli, campaign)
    expected = f"Our week starts today {slug}\n{tagged('mastodon', slug)}"
    assert expected in json.dumps(previewed, ensure_ascii=False).replace("\\n", "\n")
    mine = snac.api("GET", "/api/v1/accounts/verify_credentials")
    statuses: list[dict[str, Any]] = snac.api(
        "GET", f"/api/v1/accounts/{mine['id']}/statuses?limit=40"
    )
    (status,) = [s for s in statuses if slug in str(s.get("content"))]
    content = html.unescape(str(status.get("text") or status["content"]))
    assert tagged("mastodon", slug) in content, content
