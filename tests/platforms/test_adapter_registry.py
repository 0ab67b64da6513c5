"""The adapter registry: an adapter per platform, each declaring its credentials, documented."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from clarion import credentials
from clarion.platforms import NAMES
from clarion.platforms.adapter import ADAPTERS, adapter_class

ROOT = Path(__file__).resolve().parents[2]


def test_every_platform_has_its_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    assert sorted(ADAPTERS) == sorted(NAMES)
    for name in NAMES:
        cls = adapter_class(name)
        assert cls is not None and cls.platform.name == name
        assert cls.secret_names, f"{name} declares no secret credential"


def test_every_credential_variable_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    running = (ROOT / "docs" / "running.md").read_text()
    for name in NAMES:
        cls = adapter_class(name)
        assert cls is not None
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
