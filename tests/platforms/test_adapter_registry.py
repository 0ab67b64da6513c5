"""The adapter registry: an adapter per platform, named by its descriptor, each platform declaring
its credentials, documented."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from clarion import credentials, platforms
from clarion.platforms import BUILTIN, NAMES
from clarion.platforms.adapter import adapter_class

ROOT = Path(__file__).resolve().parents[2]


def test_every_platform_has_its_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    assert sorted(BUILTIN) == sorted(NAMES)
    for name in NAMES:
        cls = adapter_class(name)
        assert cls is not None and cls.platform.name == name
        assert platforms.get(name).adapter, f"{name} names no adapter"
        assert platforms.get(name).secret_names, f"{name} declares no secret credential"
        # The adapter's credential names are its platform's (one place declares them).
        assert cls.secret_names == platforms.get(name).secret_names
        assert cls.setting_names == platforms.get(name).setting_names


def test_clarion_adapters_overrides_the_descriptor(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes import FakeAdapter

    monkeypatch.setenv("CLARION_ADAPTERS", "mastodon=tests.fakes:FakeAdapter")
    assert adapter_class("mastodon") is FakeAdapter
    assert adapter_class("x") is not FakeAdapter
    monkeypatch.setenv("CLARION_ADAPTERS", "*=tests.fakes:FakeAdapter")
    assert adapter_class("x") is FakeAdapter
    assert adapter_class("not-a-platform") is FakeAdapter
    monkeypatch.delenv("CLARION_ADAPTERS")
    assert adapter_class("not-a-platform") is None


def test_every_credential_variable_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    running = (ROOT / "docs" / "running.md").read_text()
    for name in NAMES:
        cls = platforms.get(name)
        for value in (*cls.secret_names, *cls.setting_names):
            variable = credentials.env_name(name, "default", value)
            assert f"`{variable}`" in running, f"docs/running.md does not name {variable}"
        assert f"`CLARION_{name.upper()}_TIMEOUT`" in running


@pytest.mark.parametrize("name", NAMES)
def test_timeout_is_set_per_platform(
    name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    cls = adapter_class(name)
    assert cls is not None
    assert cls().timeout_s == 30.0
    monkeypatch.setenv(f"CLARION_{name.upper()}_TIMEOUT", "2.5")
    assert cls("press-office").timeout_s == 2.5
    monkeypatch.setenv(f"CLARION_{name.upper()}_TIMEOUT", "soon")
    with caplog.at_level(logging.WARNING, "clarion.platforms"):
        assert cls().timeout_s == 30.0
    assert "is not a number of seconds" in caplog.text
