"""``clarion accounts login``: keys typed once, kept in the system keyring, checked at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from click.testing import CliRunner

from clarion import credentials, secrets
from clarion.cli import cli
from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.mastodon import Mastodon
from clarion.platforms.outcomes import Outcome
from tests.test_credentials import MemoryKeyring

TOKEN = "tok-9f8e7d6c5b4a-login"


class LoginAdapter(Adapter):
    """Says an account can post when its token is TOKEN (what a platform's check would)."""

    platform = Mastodon
    secret_names = ("access_token",)
    setting_names = ("base_url",)

    def payload(  # pragma: no cover - not used here
        self, d: Delivery, reply_to_id: str | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def publish(self, request: Request) -> Outcome:  # pragma: no cover - not used here
        raise NotImplementedError

    def check(self) -> AccountStatus:
        found = credentials.load(
            "mastodon", self.account, names=("base_url", "access_token"), public=("base_url",)
        )
        if found.get("access_token") != TOKEN:
            return AccountStatus("mastodon", self.account, False, problem="the token was refused")
        return AccountStatus("mastodon", self.account, True, posts_as=f"@comms@{found['base_url']}")


@pytest.fixture
def memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    for key in [k for k in __import__("os").environ if k.startswith("CLARION_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CLARION_ENV_FILE", str(tmp_path / ".env"))
    monkeypatch.setenv("CLARION_ADAPTERS", "mastodon=tests.cli.test_accounts_login:LoginAdapter")
    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    secrets.clear()
    yield backend
    secrets.clear()
    keyring.set_keyring(previous or keyring.backends.fail.Keyring())


def login(*args: str, typed: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["accounts", "login", *args], input=typed)
    return result.exit_code, result.stdout, result.stderr


def test_login_saves_to_the_keyring_and_checks(memory: MemoryKeyring) -> None:
    code, out, _ = login("mastodon", "--account", "team", typed=f"social.example\n{TOKEN}\n")
    assert code == 0, out
    assert memory.entries[("clarion", "mastodon:team:access_token")] == TOKEN
    assert memory.entries[("clarion", "mastodon:team:base_url")] == "social.example"
    assert "CLARION_MASTODON_TEAM_ACCESS_TOKEN" in out  # says which variable would also do
    assert "can post as @comms@social.example" in out
    assert TOKEN not in out  # typed hidden, never echoed


def test_enter_keeps_what_is_there(memory: MemoryKeyring) -> None:
    memory.entries[("clarion", "mastodon:default:base_url")] = "social.example"
    memory.entries[("clarion", "mastodon:default:access_token")] = TOKEN
    code, out, _ = login("mastodon", typed="\n\n")
    assert code == 0
    assert "have it, from system keyring" in out
    assert "Nothing new to save." in out and "can post" in out


def test_a_refused_token_is_saved_but_exits_1(memory: MemoryKeyring) -> None:
    code, out, err = login("mastodon", typed="social.example\nwrong-token-123456\n")
    assert code == 1
    assert "cannot post: the token was refused" in err
    assert "wrong-token-123456" not in out + err


def test_no_keyring_says_what_to_do_instead(memory: MemoryKeyring) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    code, out, err = login("mastodon", typed=f"social.example\n{TOKEN}\n")
    assert code == 1
    assert "CLARION_MASTODON_ACCESS_TOKEN=..." in err
    assert TOKEN not in out + err
