"""A Mastodon server's own limits, read by ``accounts check`` and used by validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

responses = pytest.importorskip("responses")

from clarion import secrets  # noqa: E402
from clarion.checking import check_files  # noqa: E402
from clarion.platforms import limits  # noqa: E402
from clarion.platforms.mastodon import MastodonAdapter  # noqa: E402
from tests.platforms.test_mastodon_adapter import BASE, TOKEN, recorded, replay  # noqa: E402

#: The shape of Mastodon 4.x's GET /api/v2/instance configuration (a server allowing 1,000
#: characters and 8 images).
INSTANCE = {
    "domain": "localhost:3000",
    "configuration": {
        "urls": {"streaming": "wss://localhost:3000"},
        "statuses": {
            "max_characters": 1000,
            "max_media_attachments": 8,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
            "image_size_limit": 8388608,
            "description_limit": 1500,
        },
    },
}

CAMPAIGN = """\
version: 1
name: Long posts
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [mastodon]
posts:
  - id: long
    at: 2022-07-04 09:00
    text: TEXT
"""


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", BASE)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", TOKEN)
    yield
    secrets.clear()


def checked(tmp_path: Path, words: int) -> list[str]:
    path = tmp_path / "long.yaml"
    path.write_text(CAMPAIGN.replace("TEXT", " ".join(["word"] * words)))
    return [p.message for p in check_files([path]).problems]


def test_check_reads_the_servers_limits_and_validation_uses_them(tmp_path: Path) -> None:
    # 150 words = 749 characters: over the stock 500, within this server's 1,000.
    assert any("the limit is 500" in m for m in checked(tmp_path, 150))
    with responses.RequestsMock() as rsps:
        replay(rsps, recorded("test_status_reply", "GET", "/api/v1/accounts/verify_credentials"))
        rsps.add("GET", f"{BASE}/api/v2/instance/", json=INSTANCE)
        status = MastodonAdapter().check()
    assert status.ok
    assert status.details == {
        "server limits": "max_alt_length 1500, max_image_bytes 8388608, max_images 8, "
        "max_length 1000, url_length 23"
    }
    saved: Any = limits.read("mastodon", "default")
    assert saved["server"] == BASE
    assert saved["limits"]["image_types"] == ["image/jpeg", "image/png"]
    assert checked(tmp_path, 150) == []
    over = checked(tmp_path, 250)  # 1,249 characters
    assert len(over) == 1 and "1249 characters, the limit is 1000" in over[0]


def test_a_server_that_does_not_say_keeps_the_stock_limits(tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps, recorded("test_status_reply", "GET", "/api/v1/accounts/verify_credentials"))
        rsps.add("GET", f"{BASE}/api/v2/instance/", status=404, json={"error": "Not found"})
        rsps.add("GET", f"{BASE}/api/v1/instance/", json={"uri": "localhost:3000"})
        status = MastodonAdapter().check()
    assert status.ok and status.details == {}
    assert limits.read("mastodon", "default") is None
    assert any("the limit is 500" in m for m in checked(tmp_path, 150))


def test_limits_are_per_account(tmp_path: Path) -> None:
    limits.save("mastodon", "team", BASE, {"max_length": 1000})
    assert limits.for_account("mastodon", "team").max_length == 1000
    assert limits.for_account("mastodon", "default").max_length == 500
    assert limits.for_account("x", "team").max_length == 280
