"""``clarion report`` on the example week, every platform played by an in-process fake that
answers counts (the real servers are in tests/reporting/test_report_servers.py): the four
formats, snapshots that accumulate, growth, X's cost asked first, a platform that fails while
the others still show, and the mistakes a person makes typing the command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from clarion.platforms.metrics import CountsOutcome, CountsRead, PostCounts, Target
from clarion.platforms.outcomes import Failed
from tests.conftest import EXAMPLE
from tests.fakes import FakeAdapter, ledger_env

SLUG = "coproduction-week-2022"


class CountingFake(FakeAdapter):
    """The fake platform, answering counts from :attr:`counts_of` (post id -> counts)."""

    counts_of: ClassVar[dict[str, dict[str, int]]] = {}
    refuse: ClassVar[dict[str, str]] = {}
    batches: ClassVar[list[tuple[str, int]]] = []

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        CountingFake.batches.append((self.name, len(posts)))
        if self.name in CountingFake.refuse:
            return Failed(CountingFake.refuse[self.name], auth=True)
        mine = {t.post_id: self.counts_of.get(t.post_id) for t in posts}
        found = [PostCounts(i, c) for i, c in mine.items() if c is not None]
        gone = tuple(i for i, c in mine.items() if c is None)
        return CountsRead(tuple(found), gone)


class RefusingX(CountingFake):
    """X, whose key was revoked: every read of counts is refused (the others still answer)."""

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        CountingFake.batches.append(("x", len(posts)))
        return Failed("X said 401 Unauthorized: the key was revoked", auth=True)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    CountingFake.counts_of, CountingFake.refuse, CountingFake.batches = {}, {}, []
    yield from ledger_env(
        tmp_path, CLARION_ADAPTERS="*=tests.reporting.test_report_cli:CountingFake"
    )


def clarion(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


@pytest.fixture
def week(env: dict[str, str], tmp_path: Path) -> list[dict[str, Any]]:
    """The example week scheduled, signed off and published at each of its times; its posts."""
    assert clarion(env, "schedule", str(EXAMPLE)).exit_code == 0
    assert clarion(env, "approve", str(EXAMPLE), "--by", "Test manager").exit_code == 0
    plan = json.loads(clarion(env, "preview", str(EXAMPLE), "--format", "json").stdout)
    for at in sorted({d["at_utc"] for d in plan}):
        done = clarion(env, "run-due", "--pretend-now", at, "--log-file", "-")
        assert done.exit_code == 0, done.output
    sent = [p for fake in FakeAdapter.platforms.values() for p in fake.received]
    assert len(sent) == len(plan)
    return sent


def of(post: dict[str, Any]) -> str:
    """The fake's id of a post it received (one fake plays every platform, so ids are unique)."""
    return str(post["id"])


def give(sent: list[dict[str, Any]], likes: int = 1) -> None:
    for n, post in enumerate(sent):
        CountingFake.counts_of[of(post)] = {
            "likes": likes + n % 3,
            "reposts": n % 2,
            "replies": 1,
        }


def test_the_first_report_reads_every_post_and_keeps_it(
    env: dict[str, str], week: list[Any]
) -> None:
    give(week)
    first = clarion(env, "report", SLUG, "--format", "json", "--yes")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["version"] == 1
    assert len(data["deliveries"]) == len(week)
    assert all(d["counts"]["replies"] == 1 for d in data["deliveries"])
    assert {p["platform"] for p in data["platforms"]} == {"x", "facebook", "mastodon", "bluesky"}
    likes = next(t for t in data["totals"] if t["metric"] == "likes")
    assert likes["total"] == sum(CountingFake.counts_of[of(p)]["likes"] for p in week)
    # batched: one call per platform's batch, never a call per post where it takes more
    calls = len(CountingFake.batches)
    assert calls < len(week)
    # a second report without --refresh reads nothing and shows the same
    again = clarion(env, "report", SLUG, "--format", "json")
    assert len(CountingFake.batches) == calls
    assert json.loads(again.stdout)["deliveries"] == data["deliveries"]
    assert data["campaigns"][0]["next_year"].endswith(
        "clarion init --from " + data["campaigns"][0]["next_year"].split("--from ")[1]
    )
    assert data["campaigns"][0]["next_year"].endswith("--start 2023-07-03")


def test_a_refresh_keeps_a_second_snapshot_and_shows_growth(
    env: dict[str, str], week: list[Any]
) -> None:
    give(week)
    clarion(env, "report", SLUG, "--yes")
    give(week, likes=39)  # every post gained 38 likes
    table = clarion(env, "report", SLUG, "--refresh", "--yes")
    assert table.exit_code == 0, table.output
    assert "+38 likes since" in table.stdout
    rows = list(csv.DictReader(io.StringIO(clarion(env, "report", SLUG, "--format", "csv").stdout)))
    assert len(rows) == 2 * len(week)  # one row per delivery and snapshot
    by_key: dict[str, list[int]] = {}
    for r in rows:
        by_key.setdefault(r["key"], []).append(int(r["likes"]))
    assert all(b - a == 38 for a, b in by_key.values())
    data = json.loads(clarion(env, "report", SLUG, "--format", "json").stdout)
    assert all(d["growth"]["likes"] == 38 for d in data["deliveries"])
    assert len(data["snapshots"]) == 2 * len(week)


def test_a_deleted_post_is_said_to_be_gone(env: dict[str, str], week: list[Any]) -> None:
    give(week)
    del CountingFake.counts_of[of(week[0])]
    data = json.loads(clarion(env, "report", SLUG, "--format", "json", "--yes").stdout)
    (gone,) = [d for d in data["deliveries"] if d["gone"]]
    assert gone["key"] == week[0]["key"] and gone["counts"] == {}


def test_the_campaign_file_names_the_campaign_too(env: dict[str, str], week: list[Any]) -> None:
    give(week)
    by_file = clarion(env, "report", str(EXAMPLE), "--yes")
    assert by_file.exit_code == 0, by_file.output
    assert "National Co-production Week" in by_file.stdout


def test_mistakes_get_plain_words(env: dict[str, str], week: list[Any]) -> None:
    wrong = clarion(env, "report", "coproduction-week-2023")
    assert wrong.exit_code == 1
    assert "no campaign of that name has been scheduled" in wrong.output
    assert "coproduction-week-2022" in wrong.output
    assert "Traceback" not in wrong.output
    missing = clarion(env, "report", "campaigns/carers-week.yaml")
    assert missing.exit_code == 1 and "there is no such file" in missing.output
    # the file's name typed without its folder still names the campaign
    assert clarion(env, "report", SLUG + ".yaml", "--yes").exit_code == 0
    assert clarion(env, "report").exit_code == 2
    bad = clarion(env, "report", SLUG, "--format", "pdf")
    assert bad.exit_code == 2 and "'pdf' is not one of" in bad.output


def test_nothing_published_yet_says_so(env: dict[str, str], tmp_path: Path) -> None:
    assert clarion(env, "schedule", str(EXAMPLE)).exit_code == 0
    result = clarion(env, "report", SLUG)
    assert result.exit_code == 0
    assert "has been published yet" in result.stderr and result.stdout == ""
    assert CountingFake.batches == []
    page = tmp_path / "empty.html"
    empty = clarion(env, "report", SLUG, "--format", "html", "-o", str(page))
    assert empty.exit_code == 0 and "No counts have been read yet" in page.read_text()
    assert json.loads(clarion(env, "report", SLUG, "--format", "json").stdout)["deliveries"] == []


def test_html_report_is_written_and_self_contained(
    env: dict[str, str], week: list[Any], tmp_path: Path
) -> None:
    give(week)
    out = tmp_path / "report.html"
    result = clarion(env, "report", SLUG, "--format", "html", "-o", str(out), "--yes")
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count("<svg") == 2
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "clarion init --from" in page and "--start 2023-07-03" in page
    assert "What the numbers mean" in page


def test_one_platform_refusing_leaves_the_others_shown(
    env: dict[str, str], week: list[Any], tmp_path: Path
) -> None:
    give(week)
    here = "tests.reporting.test_report_cli"
    env["CLARION_ADAPTERS"] = f"*={here}:CountingFake,x={here}:RefusingX"
    result = clarion(env, "report", SLUG, "--yes")
    assert result.exit_code == 1  # a person should look: X was not read
    assert "X: X said 401 Unauthorized: the key was revoked" in result.stderr
    assert "Not read:" in result.stdout and "Facebook" in result.stdout
    # a later report tries X again (never read), and the others are not read twice
    calls = len(CountingFake.batches)
    data = json.loads(clarion(env, "report", SLUG, "--format", "json", "--yes").stdout)
    assert CountingFake.batches[calls:] == [
        ("x", len([d for d in data["deliveries"] if d["platform"] == "x"]))
    ]
    by = {p["platform"]: p for p in data["platforms"]}
    assert by["x"]["problems"] == ["X said 401 Unauthorized: the key was revoked"]
    assert by["x"]["counted"] == 0 and by["x"]["read_at"] is None
    for name in ("facebook", "mastodon", "bluesky"):
        assert by[name]["problems"] == [] and by[name]["counted"] == by[name]["published"] > 0
    x_posts = [d for d in data["deliveries"] if d["platform"] == "x"]
    assert x_posts and all(d["counts"] == {} for d in x_posts)
    likes = next(t for t in data["totals"] if t["metric"] == "likes")
    assert "x" not in likes["platforms"]  # a total never includes what was not read
    assert likes["total"] == sum(
        CountingFake.counts_of[d["post_id"]]["likes"]
        for d in data["deliveries"]
        if d["platform"] != "x"
    )
    page = tmp_path / "report.html"
    html = clarion(env, "report", SLUG, "--format", "html", "-o", str(page), "--yes")
    assert html.exit_code == 1
    assert "Not read: X said 401 Unauthorized" in page.read_text()
