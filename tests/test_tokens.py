"""The token store (:mod:`clarion.tokens`): keyring when usable, else a 0600 file written
atomically; a file others can read is refused; the newer copy wins; a per-account lock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from clarion import secrets
from clarion.settings import environ
from clarion.tokens import TokenSet, TokenStore, TokenStoreError
from tests.test_credentials import MemoryKeyring

SOON = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
SET = TokenSet("access-tok-5f4e3d", "refresh-tok-9a8b7c", SOON, {"scope": "tweet.write"})


class NoReadBack(MemoryKeyring):
    """Takes writes and gives nothing back (like the null keyring)."""

    def get_password(self, service: str, username: str) -> str | None:
        return None


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    previous = keyring.core._keyring_backend
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secrets.clear()
    yield
    secrets.clear()
    keyring.set_keyring(previous or keyring.backends.fail.Keyring())


def store(tmp_path: Path, **env: str) -> TokenStore:
    return TokenStore(environ({f"CLARION_{k.upper()}": v for k, v in env.items()}), tmp_path / "t")


def test_without_a_keyring_a_file_only_the_user_can_read(tmp_path: Path) -> None:
    s = store(tmp_path)
    saved = s.save("x", "press-office", SET)
    path = s.path("x", "press-office")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".json"] == [path.name]
    loaded = s.load("x", "press-office")
    assert loaded == saved and loaded.access == SET.access and loaded.expires_at == SOON
    assert loaded.extra == {"scope": "tweet.write"} and loaded.saved_ms > 0
    assert s.load("x", "default") is None
    assert "the file" in s.where("x", "press-office")


def test_every_token_is_redacted_once_read(tmp_path: Path) -> None:
    store(tmp_path).save("x", "default", SET)
    secrets.clear()
    store(tmp_path).load("x", "default")
    assert secrets.redact(f"a {SET.access} b {SET.refresh}") == "a *** b ***"


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.save("x", "default", SET)
    path = s.path("x", "default")
    path.chmod(0o644)
    with pytest.raises(TokenStoreError) as refused:
        s.load("x", "default")
    assert f"run `chmod 600 {path}`" in str(refused.value)
    assert SET.access not in str(refused.value)


def test_a_write_that_fails_leaves_the_old_set_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = store(tmp_path)
    s.save("x", "default", SET)

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(TokenStoreError, match="No space left on device"):
        s.save("x", "default", TokenSet("new-access-1234", "new-refresh-5678", SOON))
    monkeypatch.undo()
    assert s.load("x", "default").access == SET.access  # type: ignore[union-attr]
    assert [p.name for p in s.folder.iterdir() if p.name.startswith(".tmp")] == []


def test_the_keyring_when_it_works_and_the_newer_copy_wins(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    s = store(tmp_path)
    s.save("bluesky", "default", SET)
    assert ("clarion", "bluesky:default:token_set") in memory.entries
    assert not s.path("bluesky", "default").exists()
    assert s.where("bluesky", "default") == "the system keyring"
    older = dataclasses.replace(s.load("bluesky", "default"), saved_ms=1)  # type: ignore[arg-type]
    memory.entries[("clarion", "bluesky:default:token_set")] = older.to_json()
    # a run without the keyring (cron, no desktop session) saves a newer set to the file ...
    keyring.set_keyring(keyring.backends.fail.Keyring())
    newer = s.save("bluesky", "default", TokenSet("access-newer-1", "refresh-newer-1", SOON))
    # ... and a run with the keyring again takes the newer one, not the used-up keyring copy
    keyring.set_keyring(memory)
    assert s.load("bluesky", "default") == newer


def test_a_keyring_that_does_not_read_back_is_not_trusted(tmp_path: Path) -> None:
    keyring.set_keyring(NoReadBack())
    s = store(tmp_path)
    s.save("x", "default", SET)
    assert s.path("x", "default").exists()
    assert s.load("x", "default").access == SET.access  # type: ignore[union-attr]


def test_the_place_can_be_forced(tmp_path: Path) -> None:
    keyring.set_keyring(MemoryKeyring())
    s = store(tmp_path, token_store="file")
    s.save("x", "default", SET)
    assert s.path("x", "default").exists()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(TokenStoreError, match="CLARION_TOKEN_STORE=file"):
        store(tmp_path, token_store="keyring").save("x", "default", SET)
    with pytest.raises(TokenStoreError, match="not one of auto, file, keyring"):
        store(tmp_path, token_store="vault")


def test_the_lock_is_held_against_other_runs(tmp_path: Path) -> None:
    s = store(tmp_path)
    with s.lock("x", "default"):
        other = os.open(s.folder / "x-default.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with s.lock("x", "someone-else"):  # another account is not held up
                pass
        finally:
            os.close(other)
    other = os.open(s.folder / "x-default.lock", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released
    os.close(other)


def test_a_set_expires_within_a_margin() -> None:
    at = SOON - dt.timedelta(minutes=9)
    assert SET.expires_within(dt.timedelta(minutes=10), at)
    assert not SET.expires_within(dt.timedelta(minutes=8), at)
    assert not TokenSet("a-token").expires_within(dt.timedelta(days=1))
    assert TokenSet.from_json(SET.to_json()) == SET
    with pytest.raises(ValueError):
        TokenSet.from_json('{"refresh": "x"}')
