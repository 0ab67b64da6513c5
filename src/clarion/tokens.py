"""Where the tokens Clarion itself renews are kept: X OAuth 2.0 token sets, Bluesky sessions.

Never in the ledger, never in campaign files. The same rules as every other secret
(:mod:`clarion.credentials`):

* the system keyring (service ``clarion``, username ``PLATFORM:ACCOUNT:token_set``) when it has a
  usable backend, else a file readable only by the user: ``<user data folder>/clarion/tokens/
  PLATFORM-ACCOUNT.json`` (mode 0600, folder 0700). A token file readable or writable by group
  or others is **refused** (:class:`TokenStoreError`, naming ``chmod 600``), as a ``.env`` is.
  ``CLARION_TOKEN_STORE=file`` (or ``keyring``) forces one place; the default, ``auto``, reads
  both and takes the newer set, so a run without the keyring (cron without a desktop session)
  and one with it never go back to an older, already used token.
* File writes are atomic: a temporary file in the same folder, fsync, ``os.replace``, fsync of
  the folder. A keyring write is read back before it counts; if it does not read back, the file
  is used.
* :meth:`TokenStore.lock` is a per-account lock (``fcntl.flock`` on ``PLATFORM-ACCOUNT.lock``
  beside the files), held while a token is renewed, so two runs on one machine never renew with
  the same single-use token at once.
* Every token read or written is registered with :func:`clarion.secrets.register`.

Tokens are kept per machine, and that is the rule with several machines on one PostgreSQL ledger:
each machine gets a token set of its own (``clarion accounts login x --oauth2`` run on each: X
gives one per authorisation; Bluesky: each machine logs in once), renewed by that machine alone
under its lock. A copied set would be renewed by two machines, and X's refresh tokens work once:
the docs say never to copy one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from clarion import secrets, settings
from clarion.settings import Environment

__all__ = ["KEYRING_NAME", "SERVICE", "TokenSet", "TokenStore", "TokenStoreError"]

log = logging.getLogger(__name__)

SERVICE = "clarion"
#: The keyring username's last part: ``x:default:token_set``.
KEYRING_NAME = "token_set"


class TokenStoreError(Exception):
    """The token store cannot be read or written; the message says what to do."""


def _ms(when: dt.datetime | None) -> int | None:
    return None if when is None else int(when.timestamp() * 1000)


def _instant(ms: Any) -> dt.datetime | None:
    if not isinstance(ms, int) or isinstance(ms, bool):
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TokenSet:
    """One account's renewable tokens."""

    access: str = field(repr=False)
    #: The token that gets a new ``access``; None when the platform gave none.
    refresh: str | None = field(default=None, repr=False)
    #: When ``access`` stops working (aware UTC); None when unknown.
    expires_at: dt.datetime | None = None
    #: Non-secret facts kept with the tokens (Bluesky: did, handle, service; X: scope).
    extra: Mapping[str, str] = field(default_factory=dict)
    #: When this set was saved (ms since the epoch): the newer of two copies wins.
    saved_ms: int = 0
    #: Set while a renewal is under way (saved before the request): when it began. A set still
    #: carrying it was left by a run that stopped while renewing (its token may be used up).
    renewing_since: dt.datetime | None = None

    def expires_within(self, margin: dt.timedelta, at: dt.datetime | None = None) -> bool:
        """True when ``access`` has less than ``margin`` left (or its expiry is unknown and the
        set can be renewed: then False, it is used until refused)."""
        if self.expires_at is None:
            return False
        return self.expires_at - (at or now()) < margin

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "access": self.access,
                "refresh": self.refresh,
                "expires_at_ms": _ms(self.expires_at),
                "extra": dict(self.extra),
                "saved_ms": self.saved_ms,
                "renewing_since_ms": _ms(self.renewing_since),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """:class:`ValueError` when ``text`` is not a token set written by :meth:`to_json`."""
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("access"), str):
            raise ValueError("not a token set")
        refresh = data.get("refresh")
        extra = data.get("extra") or {}
        saved = data.get("saved_ms")
        return cls(
            access=data["access"],
            refresh=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=_instant(data.get("expires_at_ms")),
            extra={str(k): str(v) for k, v in extra.items()} if isinstance(extra, dict) else {},
            saved_ms=saved if isinstance(saved, int) else 0,
            renewing_since=_instant(data.get("renewing_since_ms")),
        )

    def register(self) -> TokenSet:
        secrets.register(self.access, self.refresh)
        return self


def default_folder() -> Path:
    from clarion import folders

    return folders.data() / "tokens"


def _file_problem(path: Path, mode: int) -> str | None:
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"the token file {path} is readable or writable by other users "
            f"(mode {stat.filemode(mode)}), so Clarion does not use it; run `chmod 600 {path}`"
        )
    return None


class TokenStore:
    """The token sets of every account on this machine (see the module's doc)."""

    def __init__(self, env: Environment | None = None, folder: Path | None = None) -> None:
        env = settings.environ() if env is None else env
        try:
            self.place = env.token_store
        except settings.SettingsError as exc:
            raise TokenStoreError(str(exc)) from None
        self.folder = default_folder() if folder is None else folder

    # --- names -------------------------------------------------------------------------------

    def _stem(self, platform: str, account: str) -> str:
        return f"{quote(platform, safe='')}-{quote(account, safe='')}"

    def path(self, platform: str, account: str) -> Path:
        return self.folder / f"{self._stem(platform, account)}.json"

    @staticmethod
    def keyring_username(platform: str, account: str) -> str:
        return f"{platform}:{account}:{KEYRING_NAME}"

    # --- the keyring -------------------------------------------------------------------------

    def _keyring(self) -> Any:
        """The keyring module when it may be used and has a real backend, else None."""
        if self.place == "file":
            return None
        try:
            import keyring
            from keyring.backends import fail, null
        except ImportError:
            return None
        try:
            backend = keyring.get_keyring()
        except Exception:
            return None
        if isinstance(backend, fail.Keyring | null.Keyring):
            return None
        chained = getattr(backend, "backends", None)
        if chained is not None and not chained:
            return None
        return keyring

    def _keyring_get(self, platform: str, account: str) -> TokenSet | None:
        keyring = self._keyring()
        if keyring is None:
            return None
        try:
            text = keyring.get_password(SERVICE, self.keyring_username(platform, account))
        except Exception as exc:
            log.debug("keyring read of %s:%s failed: %s", platform, account, type(exc).__name__)
            return None
        if not text:
            return None
        try:
            return TokenSet.from_json(text).register()
        except ValueError:
            log.warning(
                "the keyring's token set for %s account %r is unreadable", platform, account
            )
            return None

    def _keyring_put(self, platform: str, account: str, text: str) -> bool:
        keyring = self._keyring()
        if keyring is None:
            return False
        username = self.keyring_username(platform, account)
        try:
            keyring.set_password(SERVICE, username, text)
            return bool(keyring.get_password(SERVICE, username) == text)
        except Exception as exc:
            log.debug("keyring write of %s:%s failed: %s", platform, account, type(exc).__name__)
            return False

    # --- the file ----------------------------------------------------------------------------

    def _file_get(self, platform: str, account: str) -> TokenSet | None:
        if self.place == "keyring":
            return None
        path = self.path(platform, account)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"cannot read the token file {path}: {exc.strerror}") from None
        with os.fdopen(fd, "r", encoding="utf-8") as handle:
            problem = _file_problem(path, os.fstat(handle.fileno()).st_mode)
            if problem:
                raise TokenStoreError(problem)
            text = handle.read()
        try:
            return TokenSet.from_json(text).register()
        except ValueError:
            raise TokenStoreError(
                f"the token file {path} is not one Clarion wrote; remove it and log in again"
            ) from None

    def _file_put(self, platform: str, account: str, text: str) -> None:
        path = self.path(platform, account)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    os.fchmod(handle.fileno(), 0o600)
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                Path(temporary).replace(path)
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(temporary).unlink()
                raise
            folder = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot save the token file {path}: {exc.strerror or exc}"
            ) from None

    # --- the store ---------------------------------------------------------------------------

    def load(self, platform: str, account: str) -> TokenSet | None:
        """The newest saved set of ``platform``/``account`` (keyring or file), or None."""
        found = [
            s
            for s in (self._keyring_get(platform, account), self._file_get(platform, account))
            if s is not None
        ]
        return max(found, key=lambda s: s.saved_ms) if found else None

    def save(self, platform: str, account: str, tokens: TokenSet) -> TokenSet:
        """Keep ``tokens`` (durably: when this returns, a crash keeps them); the set as saved."""
        tokens.register()
        previous = 0
        with contextlib.suppress(TokenStoreError):
            older = self.load(platform, account)
            previous = older.saved_ms if older else 0
        saved = replace(tokens, saved_ms=max(int(now().timestamp() * 1000), previous + 1))
        text = saved.to_json()
        if self.place != "file" and self._keyring_put(platform, account, text):
            return saved
        if self.place == "keyring":
            raise TokenStoreError(
                "cannot save to the system keyring (no usable backend, or it is locked); "
                "set CLARION_TOKEN_STORE=file to keep tokens in a file readable only by you"
            )
        self._file_put(platform, account, text)
        return saved

    def delete(self, platform: str, account: str) -> None:
        """Forget the account's tokens (file and keyring)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(platform, account).unlink()
        keyring = self._keyring()
        if keyring is not None:
            with contextlib.suppress(Exception):
                keyring.delete_password(SERVICE, self.keyring_username(platform, account))

    def where(self, platform: str, account: str) -> str:
        """Where a save would go, for people ("the system keyring", "the file ...")."""
        if self._keyring() is not None:
            return "the system keyring"
        return f"the file {self.path(platform, account)} (readable only by you)"

    @contextlib.contextmanager
    def lock(self, platform: str, account: str) -> Iterator[None]:
        """Held while the account's token is renewed: other runs on this machine wait."""
        import fcntl

        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(
                self.folder / f"{self._stem(platform, account)}.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError as exc:
            raise TokenStoreError(
                f"cannot lock the token store in {self.folder}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock (a killed run's lock goes with it)
