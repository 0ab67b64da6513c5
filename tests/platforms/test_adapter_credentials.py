"""What every adapter shares: credentials loaded once, on first use, and passed in when known; the
request built from the delivery and the non-secret settings alone (a preview reads no secret)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clarion import credentials, platforms, secrets
from clarion.platforms.adapter import Adapter, adapter_class
from clarion.platforms.outcomes import Failed
from tests.deliveries import sendable

BUILT_IN = ("x", "facebook", "mastodon", "bluesky")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    yield
    secrets.clear()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """Every credentials.load call: (platform, names asked for)."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    real = credentials.load

    def spy(platform: str, account: str = "default", **kw: Any) -> dict[str, str]:
        calls.append((platform, tuple(kw["names"])))
        return real(platform, account, **kw)

    monkeypatch.setattr(credentials, "load", spy)
    return calls


def make(platform: str, **given: Any) -> Adapter:
    cls = adapter_class(platform)
    assert cls is not None
    return cls(**given)


def secret_names(platform: str) -> set[str]:
    return set(platforms.get(platform).secret_names)


@pytest.mark.parametrize("platform", BUILT_IN)
def test_building_a_request_asks_for_no_secret(
    platform: str, lookups: list[tuple[str, tuple[str, ...]]]
) -> None:
    adapter = make(platform)
    item = sendable(f"week:launch:{platform}", platform, "Launch day https://example.org")
    adapter.build(*item)
    adapter.build(*item)
    asked = {name for _, names in lookups for name in names}
    assert not asked & secret_names(platform), asked
    assert len(lookups) <= 1  # the request's settings, once, when the adapter is made


@pytest.mark.parametrize("platform", BUILT_IN)
def test_credentials_are_loaded_once_on_first_use(
    platform: str, lookups: list[tuple[str, tuple[str, ...]]]
) -> None:
    adapter = make(platform)
    before = len(lookups)
    first = adapter.credentials()
    assert adapter.credentials() is first
    assert len(lookups) == before + 1
    assert set(lookups[-1][1]) == secret_names(platform) | set(adapter.setting_names)


@pytest.mark.parametrize("platform", BUILT_IN)
def test_credentials_passed_in_are_used_without_a_lookup(
    platform: str, lookups: list[tuple[str, tuple[str, ...]]]
) -> None:
    adapter = make(platform, credentials={})
    assert adapter.credentials() == {}
    assert lookups == []
    status = adapter.check()  # nothing set: what to set, without asking anything
    assert not status.ok and "CLARION_" in (status.problem or "")


def test_the_settings_a_request_shows_can_be_passed_in(
    lookups: list[tuple[str, tuple[str, ...]]],
) -> None:
    fb = make("facebook", settings={"page_id": "4242"})
    payload = fb.build(*sendable("week:launch:facebook", "facebook", "Hi")).payload
    assert payload["requests"][0]["path"] == "/4242/feed"
    bsky = make("bluesky", credentials={"handle": "@press.example", "app_password": "pw-1234"})
    payload = bsky.build(*sendable("week:launch:bluesky", "bluesky", "Hi")).payload
    assert payload["repo"] == "<did of @press.example>"
    assert lookups == []


def test_a_missing_handle_shows_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HANDLE", "APP_PASSWORD", "SERVICE"):
        monkeypatch.delenv(f"CLARION_BLUESKY_{name}", raising=False)
    monkeypatch.setattr(credentials, "_keyring_get", lambda username: None)
    payload = make("bluesky").build(*sendable("week:launch:bluesky", "bluesky", "Hi")).payload
    assert payload["repo"] == "<did of @the account>"


def test_mastodon_reads_its_language_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_MASTODON_LANGUAGE", "cy")
    adapter = make("mastodon")
    monkeypatch.setenv("CLARION_MASTODON_LANGUAGE", "de")  # read once: the adapter keeps "cy"
    item = sendable("week:launch:mastodon", "mastodon", "Hi")
    assert adapter.build(*item).payload["language"] == "cy"
    named = sendable("week:launch:mastodon", "mastodon", "Hi", language="en")
    assert adapter.build(*named).payload["language"] == "en"


def test_missing_credentials_are_named_by_the_shared_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BASE_URL", "ACCESS_TOKEN"):
        monkeypatch.delenv(f"CLARION_MASTODON_PRESS_{name}", raising=False)
    monkeypatch.setattr(credentials, "_keyring_get", lambda username: None)
    adapter = make("mastodon", account="press")
    outcome = adapter.publish(adapter.build(*sendable("w:l:mastodon", "mastodon", "Hi")))
    assert isinstance(outcome, Failed) and outcome.auth
    assert "CLARION_MASTODON_PRESS_BASE_URL and CLARION_MASTODON_PRESS_ACCESS_TOKEN" in (
        outcome.reason
    )
