"""Where an account's secrets come from: never campaign files, never the ledger.

A value is looked up, first match wins, in

1. the process environment (read through :func:`clarion.settings.environ`, like every other
   ``CLARION_*`` variable: one snapshot per lookup pass),
2. a ``.env`` file (path from ``CLARION_ENV_FILE``, default ``./.env``), read with python-dotenv's
   ``dotenv_values`` so ``os.environ`` is never modified,
3. the system keyring (service ``clarion``, username ``PLATFORM:ACCOUNT:NAME``).

Variable names are ``CLARION_<PLATFORM>_<NAME>`` for the ``default`` account and
``CLARION_<PLATFORM>_<ACCOUNT>_<NAME>`` for a named one (upper-cased, anything not a letter or digit
becomes ``_``): account ``press-office`` on X gives ``CLARION_X_PRESS_OFFICE_API_KEY``.

Rules worth knowing:

* An empty value (``CLARION_X_API_KEY=``, or a bare ``KEY`` line in ``.env``) counts as missing, so
  lookup falls through to the next source.
* On POSIX a ``.env`` file readable or writable by group or others is **refused**: its values are
  ignored and a warning naming the fix (``chmod 600``) is logged on ``clarion.credentials``;
  :func:`env_file_problem` returns the same text for ``clarion accounts check`` to show.
* The keyring is optional: if the ``keyring`` package is missing, has no usable backend, or its
  backend fails, :func:`load` treats the value as not found; only :func:`store` raises
  (:class:`CredentialsError`).
* Every value handed out is registered with :func:`clarion.secrets.register`, so it is redacted from
  logs, tracebacks and output.

* Names are made from the platform's name as given: checking that it is a registered platform is
  the caller's part (the CLI's platform choice; an adapter knows its own), so this module depends
  on nothing above it (no import of :mod:`clarion.platforms`).

python-dotenv and keyring are imported only when a lookup needs them, keeping this import cheap.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from clarion import secrets, settings
from clarion.settings import Environment

__all__ = [
    "DEFAULT_ACCOUNT",
    "ENV_FILE_VARIABLE",
    "SERVICE",
    "CredentialsError",
    "env_file",
    "env_file_problem",
    "env_name",
    "keyring_username",
    "load",
    "lookup",
    "missing",
    "store",
    "where",
]

log = logging.getLogger(__name__)

#: Keyring service name under which every Clarion secret is stored.
SERVICE = "clarion"
#: Environment variable naming the ``.env`` file to read.
ENV_FILE_VARIABLE = settings.ENV_FILE
DEFAULT_ACCOUNT = "default"
#: How a lookup names the keyring as a value's source.
KEYRING_SOURCE = "system keyring"

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


class CredentialsError(Exception):
    """A credential could not be stored or a name is unusable; the message says what to do."""


# -- names -----------------------------------------------------------------------------------------


def _token(kind: str, value: str) -> str:
    token = _NOT_ALNUM.sub("_", value).strip("_").upper()
    if not token:
        raise CredentialsError(f"{kind} name {value!r} has no letters or digits")
    return token


def env_name(platform: str, account: str = DEFAULT_ACCOUNT, name: str = "") -> str:
    """The environment (and ``.env``) variable holding ``name`` for ``platform``/``account``.

    >>> env_name("x", "default", "api_key")
    'CLARION_X_API_KEY'
    >>> env_name("x", "press-office", "api_key")
    'CLARION_X_PRESS_OFFICE_API_KEY'
    """
    parts = ["CLARION", _token("platform", platform)]
    if account != DEFAULT_ACCOUNT:
        parts.append(_token("account", account))
    parts.append(_token("credential", name))
    return "_".join(parts)


def keyring_username(platform: str, account: str = DEFAULT_ACCOUNT, name: str = "") -> str:
    """The keyring username for a value: ``platform:account:name`` (name in lower snake case)."""
    if not account:
        raise CredentialsError("account name is empty")
    _token("platform", platform)
    return f"{platform}:{account}:{_token('credential', name).lower()}"


# -- the .env file ---------------------------------------------------------------------------------


def env_file(env: Environment | None = None) -> Path:
    """The ``.env`` file consulted: ``$CLARION_ENV_FILE`` or ``./.env`` (absolute)."""
    return (settings.environ() if env is None else env).env_file


def env_file_problem(path: Path | None = None) -> str | None:
    """Why the ``.env`` file is refused (too open permissions), or None if it is usable/absent."""
    path = env_file() if path is None else path
    if os.name != "posix":
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f".env file {path} is readable or writable by other users "
            f"(mode {stat.filemode(mode)}), so Clarion ignores it; "
            f"run `chmod 600 {path}` or use environment variables instead"
        )
    return None


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    problem = env_file_problem(path)
    if problem is not None:
        log.warning("%s", problem)
        return {}
    from dotenv import dotenv_values

    try:
        raw = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        log.warning(".env file %s could not be read (%s); ignoring it", path, type(exc).__name__)
        return {}
    return {key: value for key, value in raw.items() if value}


# -- the keyring -----------------------------------------------------------------------------------


def _keyring_get(username: str) -> str | None:
    """The keyring's value, or None when absent or the keyring is missing/unusable/failing."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(SERVICE, username)
    except Exception as exc:  # NoKeyringError, KeyringError, backend-specific (D-Bus...) failures
        log.debug("keyring lookup of %s failed: %s", username, type(exc).__name__)
        return None
    return value or None


# -- lookups ---------------------------------------------------------------------------------------


class _Lookup:
    """One lookup pass: one snapshot of the environment; the ``.env`` file read at most once."""

    def __init__(self, env: Environment | None = None) -> None:
        self._env = settings.environ() if env is None else env
        self._env_path = self._env.env_file
        self._env_values: dict[str, str] | None = None

    def _dotenv(self) -> dict[str, str]:
        if self._env_values is None:
            self._env_values = _read_env_file(self._env_path)
        return self._env_values

    def find(self, platform: str, account: str, name: str) -> tuple[str, str] | None:
        """``(value, description of its source)`` or None."""
        return self.find_variable(
            env_name(platform, account, name), keyring_username(platform, account, name)
        )

    def find_variable(
        self, variable: str, username: str, *, keyring: bool = True
    ) -> tuple[str, str] | None:
        """``variable`` (environment, ``.env``), else the keyring's ``username`` (unless
        ``keyring`` is False: asking it costs a quarter of a second, too much for every idle
        cron tick)."""
        value = self._env.get(variable)
        if value:
            return value, f"environment variable {variable}"
        value = self._dotenv().get(variable)
        if value:
            return value, f".env file {self._env_path}"
        value = _keyring_get(username) if keyring else None
        if value:
            return value, KEYRING_SOURCE
        return None


def lookup(
    variable: str, username: str, env: Environment | None = None, *, keyring: bool = True
) -> tuple[str, str] | None:
    """A secret that belongs to no account (``CLARION_NOTIFY``, keyring username ``notify``):
    ``(value, where it was found)``, the value registered for redaction; None when not set."""
    hit = _Lookup(env).find_variable(variable, username, keyring=keyring)
    if hit is not None:
        secrets.register(hit[0])
    return hit


def load(
    platform: str,
    account: str = DEFAULT_ACCOUNT,
    *,
    names: Sequence[str],
    public: Sequence[str] = (),
    env: Environment | None = None,
) -> dict[str, str]:
    """The values of ``names`` that were found (missing ones absent), each registered for redaction
    except those also listed in ``public`` (a server's address is configuration, not a secret:
    hiding it would hide the links to published posts too).

    ``names`` is keyword-only (it follows the defaulted ``account``). ``env``: the environment
    snapshot to read (default: one taken now).
    """
    if isinstance(names, str):
        raise TypeError("names must be a sequence of names, not a single string")
    lookup = _Lookup(env)
    found: dict[str, str] = {}
    for name in names:
        hit = lookup.find(platform, account, name)
        if hit is not None:
            if name not in public:
                secrets.register(hit[0])
            found[name] = hit[0]
    return found


def missing(
    platform: str, account: str, found: Mapping[str, str], names: Sequence[str], what: str
) -> str | None:
    """None when every one of ``names`` was found; else what to set, in plain words (``what``
    names the credentials: "Mastodon credentials", "Facebook Page credentials")."""
    absent = [env_name(platform, account, name) for name in names if not found.get(name)]
    if not absent:
        return None
    return (
        f"no {what} for account {account!r}: set {' and '.join(absent)} "
        "(in the environment, a .env file, or the system keyring)"
    )


def where(platform: str, account: str = DEFAULT_ACCOUNT, name: str = "") -> str | None:
    """Where ``name`` would be loaded from, for display (never the value); None if not found."""
    hit = _Lookup().find(platform, account, name)
    if hit is None:
        return None
    secrets.register(hit[0])
    return hit[1]


def store(platform: str, account: str, values: Mapping[str, str]) -> None:
    """Save ``values`` in the system keyring; :class:`CredentialsError` if that is not possible."""
    usernames = {name: keyring_username(platform, account, name) for name in values}
    empty = [name for name, value in values.items() if not value]
    if empty:
        raise CredentialsError(f"refusing to store empty value(s) for: {', '.join(empty)}")
    secrets.register(*values.values())
    variables = ", ".join(f"{env_name(platform, account, name)}=..." for name in values)
    fallback = f"set environment variables (or lines in a .env file) instead: {variables}"
    try:
        import keyring
        from keyring.errors import NoKeyringError
    except ImportError:
        raise CredentialsError(
            "cannot save to the system keyring: the Python package 'keyring' is not installed "
            f"(pip install keyring); or {fallback}"
        ) from None
    for name, value in values.items():
        try:
            keyring.set_password(SERVICE, usernames[name], value)
        except NoKeyringError:
            raise CredentialsError(
                "cannot save to the system keyring: no keyring backend is available on this "
                "system (for example GNOME Keyring/KWallet via Secret Service, macOS Keychain or "
                f"Windows Credential Locker); or {fallback}"
            ) from None
        except Exception as exc:
            raise CredentialsError(
                "cannot save to the system keyring: its backend failed with "
                f"{type(exc).__name__} (is it locked?); or {fallback}"
            ) from None
