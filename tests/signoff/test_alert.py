"""A post held for sign-off is alerted once (a real webhook receiver), like other states."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.conftest import Clarion, fake
from tests.servers.webhook import Webhook

DAY2 = "week:day2:mastodon"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as hook:
        yield hook


def test_a_post_awaiting_sign_off_is_told_once(tmp_path: Path, webhook: Webhook) -> None:
    clarion = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", webhook.url)
    signed = clarion.week.read_text().replace(
        "platforms: [mastodon]\n", "platforms: [mastodon]\napproval: required\n"
    )
    clarion.week.write_text(signed)
    assert clarion("approve", str(clarion.week), "--by", "Sam").exit_code == 0
    clarion.week.write_text(signed.replace("Day two", "Day two, edited"))
    assert clarion("schedule", str(clarion.week)).exit_code == 0
    clarion.run("2022-07-04T08:00:30Z")  # the launch, unchanged since approved, goes out
    assert fake().texts() == ["Launch", "Launch part two"]
    clarion.run("2022-07-05T08:00:30Z")
    (hook,) = webhook.wait_for(1)
    assert hook["title"].startswith("Clarion: a Mastodon post waits for sign-off (it changed")
    assert f'Post: "Day two, edited" ({DAY2})' in hook["message"]
    assert f"`clarion diff {clarion.week.resolve()}`" in hook["message"]
    assert f"`clarion approve {clarion.week.resolve()} --by NAME`" in hook["message"]
    clarion.run("2022-07-05T08:01:00Z")
    clarion.run("2022-07-05T08:02:00Z")
    assert len(webhook.received) == 1  # once only
    assert fake().texts() == ["Launch", "Launch part two"]  # the changed post never went
