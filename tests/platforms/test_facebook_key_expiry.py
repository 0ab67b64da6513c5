"""``accounts check`` reports when a Facebook Page token expires (``debug_token``'s
``expires_at``) and warns a week ahead, or before the last post still to send, saying how to
renew it: real ``clarion`` processes, a real SQLite ledger and the Graph API stub over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clarion_proc import ClarionCLI
from tests.servers.graph_stub import GraphStub

pytestmark = pytest.mark.slow

TOKEN = "EAAJq7pageTokenForExpiry5582"


@pytest.fixture
def stub() -> Iterator[GraphStub]:
    with GraphStub(TOKEN) as server:
        yield server


@pytest.fixture
def clarion(tmp_path: Path, stub: GraphStub) -> ClarionCLI:
    return ClarionCLI(
        tmp_path,
        {
            "CLARION_ADAPTERS": "facebook=clarion.platforms.facebook:FacebookAdapter",
            "CLARION_FACEBOOK_PAGE_ID": stub.page_id,
            "CLARION_FACEBOOK_PAGE_TOKEN": TOKEN,
            "CLARION_FACEBOOK_GRAPH_URL": stub.url,
            "CLARION_FACEBOOK_TIMEOUT": "5",
        },
    )


def schedule(clarion: ClarionCLI, last_in_days: int) -> None:
    """A campaign whose posts go out tomorrow and in ``last_in_days`` days."""
    today = dt.datetime.now(dt.UTC).date()
    first, last = today + dt.timedelta(days=1), today + dt.timedelta(days=last_in_days)
    (clarion.folder / "fb.yaml").write_text(
        "version: 1\nname: Facebook week\nslug: fb\ntimezone: UTC\n"
        f"dates: {{start: {first}, end: {last}}}\nplatforms: [facebook]\nposts:\n"
        f"  - id: first\n    at: {first} 09:00\n    text: First post\n"
        f"  - id: last\n    at: {last} 09:00\n    text: Last post\n"
    )
    done = clarion.run("schedule", "fb.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def check(clarion: ClarionCLI) -> tuple[dict[str, object], list[str]]:
    done = clarion.run("accounts", "check", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr  # a warning changes no exit status
    data = json.loads(done.stdout)
    [account] = data["accounts"]
    return account, data["key_warnings"]


def test_a_page_token_expiring_in_3_days_is_warned_about_with_how_to_renew_it(
    clarion: ClarionCLI, stub: GraphStub
) -> None:
    schedule(clarion, last_in_days=2)
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    stub.expires_at = int(expires.timestamp())
    account, warnings = check(clarion)
    assert account["ok"] is True
    assert account["expires_at"] == expires.isoformat()
    assert account["key_expires"] == f"{expires:%Y-%m-%d %H:%M} UTC (in 3 days)"
    [warning] = warnings
    assert warning.startswith(
        f"warning: the Facebook Page key of account 'default' expires on "
        f"{expires:%a} {expires.day} {expires:%B %Y} at {expires:%H:%M} UTC, in 3 days."
    )
    assert "before its last post" not in warning  # the last post goes out before then
    assert "Make a Page token that does not expire" in warning
    assert "fb_exchange_token" in warning and "GET /me/accounts" in warning
    assert "`clarion accounts login facebook --account default`" in warning
    # the table says the same: the expiry beside the account, the warning after it
    table = clarion.run("accounts", "check")
    assert table.returncode == 0
    assert f"key expires: {expires:%Y-%m-%d %H:%M} UTC (in 3 days)" in table.stdout
    assert warning in table.stderr
    assert not [out for out in clarion.outputs if TOKEN in out]


def test_a_page_token_that_never_expires_is_not_warned_about(
    clarion: ClarionCLI, stub: GraphStub
) -> None:
    schedule(clarion, last_in_days=30)
    stub.expires_at = 0
    account, warnings = check(clarion)
    assert (account["expires"], account["expires_at"], account["key_expires"]) == (
        "never",
        None,
        "never",
    )
    assert warnings == []
    table = clarion.run("accounts", "check")
    assert "key expires: never" in table.stdout and "warning" not in table.stderr


def test_a_token_that_expires_before_the_last_post_is_warned_about(
    clarion: ClarionCLI, stub: GraphStub
) -> None:
    schedule(clarion, last_in_days=30)
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=20)
    stub.expires_at = int(expires.timestamp())
    _, [warning] = check(clarion)
    assert "in 20 days, before its last post still to send" in warning
    # with the last post before the expiry, 20 days ahead is no cause for a warning
    assert clarion.run("cancel", "fb:last:facebook").returncode == 0
    _, warnings = check(clarion)
    assert warnings == []
