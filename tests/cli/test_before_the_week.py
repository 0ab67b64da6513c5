"""Before the week: ``validate`` and ``accounts check`` warn when a campaign's posts would go over a
platform's write limits; ``preview`` and the HTML page show what X's pay-per-use prices make of
the week. Through click's CliRunner, on a real SQLite ledger, with the in-process fake platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli
from tests.conftest import EXAMPLE, png
from tests.fakes import ledger_env

#: A week in the future (Tuesday 2 July 2030 is in British Summer Time).
HEAD = """\
version: 1
name: Rush Week
slug: {slug}
timezone: Europe/London
dates: {{start: 2030-07-01, end: 2030-07-06}}
platforms: [{platforms}]
posts:
"""


def rush(
    folder: Path,
    *,
    slug: str = "rush",
    platforms: str = "x",
    at_nine: int = 60,
    at_ten_past: int = 50,
    images: int = 0,
    link_every: int = 0,
) -> str:
    """A campaign with ``at_nine`` posts at 09:00 and ``at_ten_past`` at 09:10 on Tue 2 July."""
    lines = [HEAD.format(slug=slug, platforms=platforms)]
    pictures = ""
    if images:
        for i in range(images):
            (folder / f"{i}.png").write_bytes(png(2 + i, 2))
        pictures = "    images: [{}]\n".format(
            ", ".join(f"{{path: {i}.png, alt: Square {i}}}" for i in range(images))
        )
    for n in range(at_nine + at_ten_past):
        time = "09:00" if n < at_nine else "09:10"
        link = f" https://example.org/{n}" if link_every and n % link_every == 0 else ""
        lines.append(
            f"  - id: p{n}\n    at: 2030-07-02 {time}\n    text: Post {n} of the rush{link}\n"
            + pictures
        )
    path = folder / f"{slug}.yaml"
    path.write_text("".join(lines))
    return str(path)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path)


def clarion(env: dict[str, str] | None, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)


X_WARNING = (
    "warning: X account 'default' would go over X's limit between 09:00 and 09:15 (+01:00) on "
    "Tue 2 July 2030: 110 posts, and X allows 100 posts per 15 minutes"
)


def test_validate_warns_of_a_slot_over_x_s_limit_and_still_exits_0(tmp_path: Path) -> None:
    done = clarion(None, "validate", rush(tmp_path))
    assert done.exit_code == 0, done.output
    assert X_WARNING in done.output
    assert "(campaign rush)" in done.output
    assert "Spread these posts over more time, or send some from another account" in done.output
    assert "`accounts: {x: NAME}`" in done.output
    assert "OK" in done.stdout and "would go over" not in done.stdout  # the warning: stderr
    # --format json: the list of problems stays empty on stdout, the warning goes to stderr
    as_json = clarion(None, "validate", "--format", "json", rush(tmp_path))
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []
    assert X_WARNING in as_json.stderr


def test_validate_counts_the_campaigns_of_one_account_together(tmp_path: Path) -> None:
    a = rush(tmp_path, slug="launch", at_nine=60, at_ten_past=0)
    b = rush(tmp_path, slug="appeal", at_nine=0, at_ten_past=50)
    alone = clarion(None, "validate", a)
    assert "would go over" not in alone.output
    together = clarion(None, "validate", a, b)
    assert together.exit_code == 0
    assert X_WARNING in together.output and "(campaigns launch, appeal)" in together.output


def test_validate_warns_of_mastodon_media_uploads(tmp_path: Path) -> None:
    path = rush(tmp_path, platforms="mastodon", at_nine=8, at_ten_past=0, images=4)
    done = clarion(None, "validate", path)
    assert done.exit_code == 0, done.output
    assert (
        "Mastodon account 'default' would go over Mastodon's limit between 09:00 and 09:30 "
        "(+01:00) on Tue 2 July 2030: 32 media uploads, and Mastodon allows 30 media uploads "
        "per 30 minutes (Mastodon's default; your server may set another)"
    ) in done.output


def test_a_week_within_every_limit_is_not_warned_about() -> None:
    done = clarion(None, "validate", str(EXAMPLE))
    assert done.exit_code == 0 and "would go over" not in done.output


def test_accounts_check_warns_from_what_the_ledger_will_send(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert clarion(env, "schedule", rush(tmp_path)).exit_code == 0
    check = clarion(env, "accounts", "check", "--format", "json")
    assert check.exit_code == 0, check.output  # a warning changes no exit status
    data = json.loads(check.stdout)
    [warning] = data["quota_warnings"]
    assert (warning["platform"], warning["account"], warning["used"], warning["limit"]) == (
        "x",
        "default",
        110,
        100,
    )
    assert warning["from"] == "2030-07-02T08:00:00+00:00"
    assert warning["message"].startswith(X_WARNING)
    [account] = data["accounts"]
    assert account["key_expires"] == "not reported" and account["expires_at"] is None
    table = clarion(env, "accounts", "check")
    assert table.exit_code == 0
    assert "key expires: not reported" in table.stdout
    assert X_WARNING in table.stderr
    # once the campaign is cancelled nothing is left to send: no warning
    assert clarion(env, "cancel", "rush").exit_code == 0
    quiet = clarion(env, "accounts", "check", "--format", "json")
    assert json.loads(quiet.stdout)["quota_warnings"] == []


def test_preview_summary_and_html_page_show_x_s_price(tmp_path: Path) -> None:
    path = rush(tmp_path, platforms="x, mastodon", at_nine=12, at_ten_past=0, link_every=4)
    done = clarion(None, "preview", path)
    assert done.exit_code == 0, done.output
    line = (
        "X: 12 posts, est. $0.74 (3 with links at $0.20 instead of $0.015: $0.56 of it, saved "
        "only by leaving the links out, since a link moved to a reply is charged as a link too)."
        " Prices: X pay-per-use, as checked on 2026-12-03."
    )
    assert line in done.stdout
    assert "Mastodon:" not in done.stdout  # only X charges for posting
    only = clarion(None, "preview", path, "--platform", "mastodon")
    assert "est. $" not in only.stdout
    page = tmp_path / "week.html"
    html = clarion(None, "preview", path, "--format", "html", "-o", str(page))
    assert html.exit_code == 0, html.output
    assert f'<p class="sub cost">{line}</p>' in page.read_text()


def test_accounts_check_of_one_platform_before_anything_is_scheduled(env: dict[str, str]) -> None:
    """A comms worker checks the X key before the campaign file is ready: the default account
    is checked, not "schedule a campaign first"."""
    check = clarion(env, "accounts", "check", "--platform", "x", "--format", "json")
    assert check.exit_code == 0, check.output
    [account] = json.loads(check.stdout)["accounts"]  # (the fake answers as its own platform)
    assert (account["account"], account["ok"]) == ("default", True)
    nothing = clarion(env, "accounts", "check")
    assert nothing.exit_code == 0
    assert "`clarion accounts check --platform NAME`" in nothing.stdout
