"""``clarion report`` on the example week, end to end, on the test servers: ``clarion`` as real
processes over one SQLite ledger; X and Facebook on their stubs (:mod:`tests.servers.x_stub`,
:mod:`tests.servers.graph_stub`), Mastodon on a real snac2, Bluesky on a real PDS indexed by a
real AppView (``@atproto/dev-env`` on PostgreSQL).

The week is the example campaign with ``utm: true``: it is previewed, scheduled, signed off and
sent at each of its times; every server received the tagged links the preview showed. Then a
second account acts on some posts (boosts and likes on snac, likes and reposts on Bluesky; the
stubs are given counts), and the report in each of the four formats says what the servers say.
A second ``--refresh`` after more activity keeps a second snapshot and shows the growth.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clarion.platforms.bluesky.metrics import FIELDS as BLUESKY_FIELDS
from clarion.platforms.mastodon.metrics import FIELDS as MASTODON_FIELDS
from tests.clarion_proc import ClarionCLI
from tests.conftest import EXAMPLE
from tests.pg import PostgresServer, postgres_server
from tests.polling import until
from tests.servers.appview import Network, start_appview
from tests.servers.graph_stub import GraphStub
from tests.servers.pds import Account
from tests.servers.snac import SnacServer, snac_server
from tests.servers.x_stub import XStub

pytestmark = pytest.mark.slow

SLUG = "coproduction-week-2022"
FB_TOKEN = "EAAJq7pageTokenForReport9921"


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    yield from postgres_server(tmp_path_factory)


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> Iterator[Network]:
    db = postgres.new_database("report_appview")
    with start_appview(tmp_path_factory.mktemp("appview"), db) as found:
        yield found


@pytest.fixture(scope="module")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac"))


@pytest.fixture(scope="module")
def x() -> Iterator[XStub]:
    with XStub() as server:
        yield server


@pytest.fixture(scope="module")
def facebook() -> Iterator[GraphStub]:
    with GraphStub(FB_TOKEN) as server:
        yield server


class Week:
    """The example week sent to the four servers; ``clarion`` commands against its ledger."""

    #: What ``preview --format requests`` and ``--format json`` said; the Bluesky account.
    requests: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    author: Account

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.cli = ClarionCLI(folder, env)
        shutil.copytree(EXAMPLE.parent / "media", folder / "media")
        text = EXAMPLE.read_text().replace("overflow: thread\n", "overflow: thread\nutm: true\n")
        assert "utm: true" in text
        self.file = folder / EXAMPLE.name
        self.file.write_text(text)

    def clarion(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.cli.run(*args, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return done

    def report(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.clarion("report", SLUG, "--yes", *args)

    def report_json(self, *args: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.report("--format", "json", *args).stdout)
        return found


@pytest.fixture(scope="module")
def week(
    tmp_path_factory: pytest.TempPathFactory,
    x: XStub,
    facebook: GraphStub,
    snac: SnacServer,
    network: Network,
) -> Week:
    folder = tmp_path_factory.mktemp("week")
    author = network.pds.create_account(f"charity{uuid.uuid4().hex[:6]}")
    env = {
        **x.env(),
        "CLARION_FACEBOOK_PAGE_ID": facebook.page_id,
        "CLARION_FACEBOOK_PAGE_TOKEN": FB_TOKEN,
        "CLARION_FACEBOOK_GRAPH_URL": facebook.url,
        "CLARION_MASTODON_BASE_URL": snac.base_url,
        "CLARION_MASTODON_ACCESS_TOKEN": snac.token,
        "CLARION_BLUESKY_SERVICE": network.pds.url,
        "CLARION_BLUESKY_HANDLE": author.handle,
        "CLARION_BLUESKY_APP_PASSWORD": author.password,
        "CLARION_BLUESKY_APPVIEW": network.appview,
        "XDG_CACHE_HOME": str(folder / "xdg-cache"),
    }
    made = Week(folder, env)
    made.requests = json.loads(
        made.clarion("preview", str(made.file), "--format", "requests").stdout
    )["requests"]
    plan = json.loads(made.clarion("preview", str(made.file), "--format", "json").stdout)
    made.clarion("schedule", str(made.file))
    made.clarion("approve", str(made.file), "--by", "Sam Manager")
    for at in sorted({d["at_utc"] for d in plan}):
        made.clarion("run-due", "--pretend-now", at)
    made.plan = plan
    made.author = author
    return made


def test_the_week_went_out_with_tagged_links_the_preview_showed(
    week: Week, x: XStub, facebook: GraphStub, snac: SnacServer, network: Network
) -> None:
    by_platform: dict[str, int] = {}
    for d in week.plan:
        by_platform[d["platform"]] = by_platform.get(d["platform"], 0) + 1
    assert len(x.posts()) == by_platform["x"]
    assert len(facebook.posts()) == by_platform["facebook"]
    assert len(network.pds.list_posts(week.author.did)) == by_platform["bluesky"]
    previewed = json.dumps(week.requests)
    for platform in ("x", "facebook", "mastodon", "bluesky"):
        tag = f"utm_source={platform}&utm_medium=social&utm_campaign={SLUG}&utm_content=launch"
        assert tag in previewed, platform
    assert "utm_source=x&utm_medium=social" in json.dumps([t["text"] for t in x.posts()])
    assert "utm_source=facebook&utm_medium=social" in json.dumps(facebook.requests())
    launch = next(p for p in network.pds.list_posts(week.author.did) if "starts today" in str(p))
    facets = launch["value"].get("facets", [])
    uris = [f["uri"] for facet in facets for f in facet["features"] if "uri" in f]
    assert any("utm_source=bluesky&utm_medium=social" in u for u in uris), uris
    mine = snac.api("GET", "/api/v1/accounts/verify_credentials")
    statuses = snac.api("GET", f"/api/v1/accounts/{mine['id']}/statuses?limit=40")
    assert len(statuses) == by_platform["mastodon"]
    assert "utm_source=mastodon&amp;utm_medium=social" in json.dumps(statuses) or (
        "utm_source=mastodon&utm_medium=social" in json.dumps(statuses)
    )


def test_the_report_says_what_each_server_says_in_all_four_formats_and_grows(
    week: Week, x: XStub, facebook: GraphStub, snac: SnacServer, network: Network, tmp_path: Path
) -> None:
    first = week.report_json()
    posts = first["deliveries"]
    assert len(posts) == len(week.plan)
    assert {p["platform"] for p in first["platforms"]} == {"x", "facebook", "mastodon", "bluesky"}
    assert all(not p["problems"] for p in first["platforms"]), first["platforms"]
    of = {
        p: [d for d in posts if d["platform"] == p]
        for p in ("x", "facebook", "mastodon", "bluesky")
    }

    # --- what people did ----------------------------------------------------------------------
    for n, d in enumerate(of["x"]):
        x.set_counts(
            d["post_id"],
            like_count=10 + n,
            retweet_count=n % 3,
            impression_count=500 + n,
            url_link_clicks=n,
        )
    for n, d in enumerate(of["facebook"]):
        facebook.set_counts(d["post_id"], reactions=5 + n, comments=1, shares=n % 2, views=300 + n)
    fan = f"fan{uuid.uuid4().hex[:6]}"
    password = snac.add_user(fan)
    boosted, liked = of["mastodon"][0], of["mastodon"][1]
    snac.boost(fan, str(boosted["url"]))
    snac.like(fan, password, str(boosted["url"]))
    snac.like(fan, password, str(liked["url"]))
    until(
        lambda: True if snac.status(boosted["post_id"])["reblogs_count"] == 1 else None,
        said="snac shows the boost",
    )
    bfan = network.pds.create_account(f"bfan{uuid.uuid4().hex[:6]}")
    sky = [d["post_id"] for d in of["bluesky"]]
    network.pds.act(bfan, "app.bsky.feed.like", sky[0])
    network.pds.act(bfan, "app.bsky.feed.repost", sky[0])
    network.pds.act(bfan, "app.bsky.feed.like", sky[1])

    def indexed() -> list[dict[str, Any]] | None:
        views = network.get_posts(sky[:25])["posts"]
        by_uri = {v["uri"]: v for v in views}
        ready = by_uri.get(sky[0], {}).get("repostCount") == 1
        return views if ready and by_uri.get(sky[1], {}).get("likeCount") == 1 else None

    until(indexed, said="the AppView indexed the likes and the repost")

    # --- the report, refreshed, equals what the servers say ---------------------------------------
    second = week.report_json("--refresh")
    counts = {d["post_id"]: d["counts"] for d in second["deliveries"]}
    for n, d in enumerate(of["x"]):
        assert counts[d["post_id"]]["likes"] == 10 + n
        assert counts[d["post_id"]]["impressions"] == 500 + n
        # the week was sent (``--pretend-now``) in July 2022: X gives link clicks for 30 days
        assert "link_clicks" not in counts[d["post_id"]]
    (x_said,) = [p for p in second["platforms"] if p["platform"] == "x"]
    assert any("younger than 30 days" in note for note in x_said["notes"]), x_said
    for n, d in enumerate(of["facebook"]):
        assert counts[d["post_id"]]["likes"] == 5 + n  # reactions, all kinds
        assert counts[d["post_id"]]["views"] == 300 + n
    for d in of["mastodon"]:
        status = snac.status(d["post_id"])
        said = {name: status[f] for f, name in MASTODON_FIELDS.items() if status.get(f) is not None}
        assert counts[d["post_id"]] == said, d["post"]
    assert counts[boosted["post_id"]]["reposts"] == 1 and counts[boosted["post_id"]]["likes"] == 1
    assert counts[liked["post_id"]]["likes"] == 1
    for view in network.get_posts(sky[:25])["posts"]:
        said = {name: view[f] for f, name in BLUESKY_FIELDS.items() if f in view}
        assert counts[view["uri"]] == said
    assert counts[sky[0]]["likes"] == 1 and counts[sky[0]]["reposts"] == 1
    # growth since the first reading, per post
    growth = {d["post_id"]: d["growth"] for d in second["deliveries"]}
    assert growth[of["x"][3]["post_id"]]["likes"] == 13
    assert growth[sky[0]]["reposts"] == 1
    assert len(second["snapshots"]) == 2 * len(posts)

    # --- snapshots accumulate: a third reading after more likes ---------------------------------
    x.set_counts(of["x"][0]["post_id"], like_count=48)
    table = week.report("--refresh").stdout
    assert "+38 likes since" in table
    for platform in ("X", "Facebook", "Mastodon", "Bluesky"):
        assert platform in table
    rows = list(csv.DictReader(io.StringIO(week.report("--format", "csv").stdout)))
    assert len(rows) == 3 * len(posts)  # one row per delivery and snapshot
    assert {r["platform"] for r in rows} == {"x", "facebook", "mastodon", "bluesky"}

    page = tmp_path / "report.html"
    week.report("--format", "html", "-o", str(page))
    html = page.read_text()
    assert "National Co-production Week 2022" in html
    assert html.count("<svg") >= 2
    assert "clarion init --from" in html
