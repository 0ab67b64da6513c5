from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from clarion import credentials, secrets
from clarion.credentials import CredentialsError, env_name, load, store, where

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringError("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No CLARION_* variables, a private .env path, no real keyring, no registered secrets."""
    for key in list(os.environ):
        if key.startswith("CLARION_"):
            monkeypatch.delenv(key)
    env = tmp_path / ".env"
    monkeypatch.setenv("CLARION_ENV_FILE", str(env))
    monkeypatch.chdir(tmp_path)
    previous = keyring.core._keyring_backend
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secrets.clear()
    yield env
    secrets.clear()
    if previous is not None:
        keyring.set_keyring(previous)
    else:
        keyring.core._keyring_backend = None


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


# -- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "account", "name", "expected"),
    [
        ("x", "default", "api_key", "CLARION_X_API_KEY"),
        ("x", "default", "API_KEY", "CLARION_X_API_KEY"),
        ("mastodon", "default", "access_token", "CLARION_MASTODON_ACCESS_TOKEN"),
        ("x", "press-office", "api_key", "CLARION_X_PRESS_OFFICE_API_KEY"),
        ("bluesky", "Team.Comms 2", "app_password", "CLARION_BLUESKY_TEAM_COMMS_2_APP_PASSWORD"),
        ("facebook", "münchen", "page_token", "CLARION_FACEBOOK_M_NCHEN_PAGE_TOKEN"),
    ],
)
def test_env_name(platform: str, account: str, name: str, expected: str) -> None:
    assert env_name(platform, account, name) == expected


def test_env_name_rejects_names_without_letters_and_consults_no_registry() -> None:
    # Which platforms exist is the caller's business (the CLI's choice, an adapter's own name):
    # this module sits below clarion.platforms and never imports it.
    assert env_name("pigeon_post", "default", "ring_code") == "CLARION_PIGEON_POST_RING_CODE"
    with pytest.raises(CredentialsError):
        env_name("--", "default", "api_key")
    with pytest.raises(CredentialsError):
        env_name("x", "--", "api_key")
    with pytest.raises(CredentialsError):
        credentials.keyring_username("--", "default", "api_key")


def test_keyring_username() -> None:
    assert credentials.keyring_username("x", "press-office", "API_KEY") == "x:press-office:api_key"


# -- lookup order ----------------------------------------------------------------------------------


def test_environment_wins_over_env_file_wins_over_keyring(
    isolated: Path, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("api_key", "api_secret", "access_token"):
        memory.set_password("clarion", f"x:default:{name}", f"keyring-{name}")
    write_env(isolated, "CLARION_X_API_KEY=dotenv-key\nCLARION_X_API_SECRET=dotenv-secret\n")
    monkeypatch.setenv("CLARION_X_API_KEY", "environ-key")

    names = ["api_key", "api_secret", "access_token", "bearer_token"]
    assert load("x", names=names) == {
        "api_key": "environ-key",
        "api_secret": "dotenv-secret",
        "access_token": "keyring-access_token",
    }
    assert where("x", "default", "api_key") == "environment variable CLARION_X_API_KEY"
    assert where("x", "default", "api_secret") == f".env file {isolated}"
    assert where("x", "default", "access_token") == "system keyring"
    assert where("x", "default", "bearer_token") is None


def test_named_account_uses_its_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_X_API_KEY", "default-key")
    monkeypatch.setenv("CLARION_X_PRESS_OFFICE_API_KEY", "press-key")
    assert load("x", "press-office", names=["api_key"]) == {"api_key": "press-key"}
    assert load("x", names=["api_key"]) == {"api_key": "default-key"}
    assert load("x", "other", names=["api_key"]) == {}


def test_empty_values_count_as_missing(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_X_API_KEY", "")
    write_env(isolated, "CLARION_X_API_KEY=from-dotenv\nCLARION_X_API_SECRET\n")
    assert load("x", names=["api_key", "api_secret"]) == {"api_key": "from-dotenv"}


def test_names_must_not_be_a_string() -> None:
    with pytest.raises(TypeError):
        load("x", names="api_key")


# -- the .env file ---------------------------------------------------------------------------------


def test_env_file_is_parsed_without_touching_os_environ(isolated: Path) -> None:
    write_env(
        isolated,
        "# comment\n"
        "export CLARION_MASTODON_ACCESS_TOKEN='quoted token value'\n"
        'CLARION_MASTODON_CLIENT_SECRET="s3cr3t # not a comment"\n'
        "UNRELATED=1\n",
    )
    before = dict(os.environ)
    assert load("mastodon", names=["access_token", "client_secret"]) == {
        "access_token": "quoted token value",
        "client_secret": "s3cr3t # not a comment",
    }
    assert dict(os.environ) == before
    assert "UNRELATED" not in os.environ


def test_default_env_file_is_dot_env_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_ENV_FILE")
    write_env(tmp_path / ".env", "CLARION_BLUESKY_APP_PASSWORD=abcd-efgh\n")
    assert credentials.env_file() == tmp_path / ".env"
    assert load("bluesky", names=["app_password"]) == {"app_password": "abcd-efgh"}


def test_missing_env_file_is_fine(isolated: Path) -> None:
    assert not isolated.exists()
    assert load("x", names=["api_key"]) == {}
    assert credentials.env_file_problem() is None


@posix_only
def test_env_file_readable_by_others_is_refused(
    isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_env(isolated, "CLARION_X_API_KEY=leaky-key\n", mode=0o644)
    with caplog.at_level(logging.WARNING, logger="clarion.credentials"):
        assert load("x", names=["api_key"]) == {}
    assert "chmod 600" in caplog.text
    assert "leaky-key" not in caplog.text
    problem = credentials.env_file_problem()
    assert problem is not None and str(isolated) in problem
    assert where("x", "default", "api_key") is None

    isolated.chmod(0o600)
    assert credentials.env_file_problem() is None
    assert load("x", names=["api_key"]) == {"api_key": "leaky-key"}


# -- the keyring -----------------------------------------------------------------------------------


def test_store_then_load_through_keyring(memory: MemoryKeyring) -> None:
    store("mastodon", "press-office", {"access_token": "tok-123456"})
    assert memory.entries == {("clarion", "mastodon:press-office:access_token"): "tok-123456"}
    assert load("mastodon", "press-office", names=["access_token"]) == {
        "access_token": "tok-123456"
    }
    assert where("mastodon", "press-office", "access_token") == "system keyring"


def test_no_keyring_backend_means_not_found() -> None:
    # the autouse fixture installed keyring's "fail" backend
    assert load("x", names=["api_key"]) == {}
    assert where("x", "default", "api_key") is None


def test_failing_keyring_backend_means_not_found() -> None:
    keyring.set_keyring(BrokenKeyring())
    assert load("x", names=["api_key"]) == {}


def test_keyring_package_missing_means_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    assert load("x", names=["api_key"]) == {}
    with pytest.raises(CredentialsError, match="pip install keyring"):
        store("x", "default", {"api_key": "abcdef"})


def test_store_without_backend_raises_a_clear_error() -> None:
    with pytest.raises(CredentialsError) as info:
        store("x", "press-office", {"api_key": "never-printed", "api_secret": "also-hidden"})
    message = str(info.value)
    assert "no keyring backend" in message
    assert "CLARION_X_PRESS_OFFICE_API_KEY=..." in message
    assert "CLARION_X_PRESS_OFFICE_API_SECRET=..." in message
    assert "never-printed" not in message


def test_store_with_failing_backend_raises_credentials_error() -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(CredentialsError, match="PasswordSetError"):
        store("x", "default", {"api_key": "abcdef"})


def test_store_refuses_empty_values(memory: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError, match="api_key"):
        store("x", "default", {"api_key": ""})
    assert memory.entries == {}


# -- redaction -------------------------------------------------------------------------------------


def test_loaded_values_are_redacted(
    isolated: Path, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_X_API_KEY", "env-value-1")
    write_env(isolated, "CLARION_X_API_SECRET=dotenv-value-2\n")
    memory.set_password("clarion", "x:default:access_token", "keyring-value-3")
    text = "env-value-1 dotenv-value-2 keyring-value-3"
    assert secrets.redact(text) == text  # nothing registered before loading
    load("x", names=["api_key", "api_secret", "access_token"])
    assert secrets.redact(text) == "*** *** ***"


def test_stored_values_are_redacted(memory: MemoryKeyring) -> None:
    store("bluesky", "default", {"app_password": "wxyz-1234"})
    assert secrets.redact("pw wxyz-1234") == "pw ***"


# -- import cost -----------------------------------------------------------------------------------


def test_import_is_cheap() -> None:
    code = (
        "import sys, clarion.credentials\n"
        "assert 'dotenv' not in sys.modules, 'dotenv'\n"
        "assert 'keyring' not in sys.modules, 'keyring'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_values_are_not_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", "https://social.example.org")
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", "tok-5f2a9c81")
    found = credentials.load("mastodon", names=("base_url", "access_token"), public=("base_url",))
    assert found == {"base_url": "https://social.example.org", "access_token": "tok-5f2a9c81"}
    shown = secrets.redact("posted https://social.example.org/@us/1 with tok-5f2a9c81")
    assert shown == "posted https://social.example.org/@us/1 with ***"
