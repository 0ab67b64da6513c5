"""Publishing options of a campaign: accounts, language, visibility and quote posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.cli import cli
from clarion.platforms import quoting
from tests.campaign.test_validation import pos, where
from tests.conftest import Run, only

HEAD = """\
version: 1
name: Test Week
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [x, mastodon]
"""
POST = """\
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: Hello
"""
X_URL = "https://x.com/NCoproductionW/status/1543830468147777536"
BSKY_URL = "https://bsky.app/profile/coproduction.bsky.social/post/3kabc2xyz"


def test_accounts_pick_the_named_account_per_platform(run: Run) -> None:
    result = run(HEAD + "accounts: {x: press-office}\n" + POST)
    assert result.problems == []
    by_platform = {d.platform: d.account for d in result.deliveries}
    assert by_platform == {"x": "press-office", "mastodon": "default"}


def test_accounts_for_an_unknown_or_unused_platform(run: Run) -> None:
    text = HEAD + "accounts: {twiter: press, bluesky: team}\n" + POST
    problems = {p.message: where(p) for p in run(text).problems}
    unknown = next(m for m in problems if "`twiter`" in m)
    assert problems[unknown] == pos(text, "twiter")
    unused = next(m for m in problems if "does not post to bluesky" in m)
    assert problems[unused] == pos(text, "bluesky")


def test_account_names_are_plain_names(run: Run) -> None:
    text = HEAD + "accounts: {x: 'press office!'}\n" + POST
    p = only(run(text))
    assert where(p) == pos(text, "'press office!'")


@pytest.mark.parametrize("bad", ["english", "e", "en_GB"])
def test_language_must_be_a_language_tag(run: Run, bad: str) -> None:
    text = HEAD + f"language: {bad}\n" + POST
    p = only(run(text))
    line, col = pos(text, f"language: {bad}")
    assert where(p) == (line, col + len("language: "))


def test_visibility_is_one_of_three_words(run: Run) -> None:
    text = HEAD + "visibility: secret\n" + POST
    p = only(run(text))
    assert "public" in p.message and "unlisted" in p.message and "followers" in p.message
    assert where(p) == pos(text, "secret")


def test_quote_on_a_platform_that_cannot_quote(run: Run) -> None:
    text = HEAD + POST + f"    quote_of: {X_URL}\n"
    p = only(run(text))
    assert "Mastodon posts cannot quote another post" in p.message
    assert "variants: {x: {quote_of: ...}}" in p.message
    assert where(p) == pos(text, X_URL)


def test_quote_url_of_another_platform(run: Run) -> None:
    text = HEAD + POST + "    variants:\n" + f"      x: {{quote_of: '{BSKY_URL}'}}\n"
    p = only(run(text))
    assert f"`{BSKY_URL}` is not the address of a X post" in p.message
    assert "https://x.com/ACCOUNT/status/" in p.message
    assert where(p) == pos(text, f"'{BSKY_URL}'")


def test_quote_in_a_variant_reaches_only_that_platform(run: Run) -> None:
    text = HEAD + POST + "    variants:\n" + f"      x: {{quote_of: '{X_URL}'}}\n"
    result = run(text)
    assert result.problems == []
    quoted = {d.platform: d.content.quote_of for d in result.deliveries}
    assert quoted == {"x": X_URL, "mastodon": None}


def test_quote_targets_name_the_post() -> None:
    assert quoting.target("x", X_URL) == ("NCoproductionW", "1543830468147777536")
    assert quoting.target("x", "https://twitter.com/i/web/status/12?s=20") == ("i/web", "12")
    assert quoting.target("bluesky", BSKY_URL) == ("coproduction.bsky.social", "3kabc2xyz")
    at_uri = "at://did:plc:abc123/app.bsky.feed.post/3kabc2xyz"
    assert quoting.target("bluesky", at_uri) == ("did:plc:abc123", "3kabc2xyz")
    assert quoting.target("x", BSKY_URL) is None
    assert quoting.target("mastodon", X_URL) is None


def test_options_reach_the_request_that_would_be_sent(tmp_path: Path) -> None:
    """Account, language and visibility go from the file through the ledger to the adapter's
    request (the Mastodon adapter's dry run: nothing is sent)."""
    campaign = tmp_path / "week.yaml"
    campaign.write_text(
        HEAD.replace("[x, mastodon]", "[mastodon]")
        + "accounts: {mastodon: team}\nlanguage: cy\nvisibility: followers\n"
        + POST
    )
    env = {
        "CLARION_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "CLARION_ADAPTERS": "",
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["schedule", str(campaign)], env=env).exit_code == 0
    out = runner.invoke(
        cli,
        ["run-due", "--dry-run", "--now", "2022-07-04T08:00:00Z", "--format", "json"],
        env=env,
    )
    (request,) = json.loads(out.output)["requests"]
    assert request["account"] == "team"
    assert request["payload"]["language"] == "cy"
    assert request["payload"]["visibility"] == "private"  # Mastodon's word for followers-only
