"""The plain-Python layer of :mod:`clarion.settings`: the snapshot of the ``CLARION_*`` variables
and the parsing both layers share. Imports nothing but ``os`` and ``re``, which every Python start
has loaded (not even ``pathlib``: ``clarion --help`` may read the ledger's variable from here).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PREFIX",
    "Environment",
    "SettingsError",
    "environ",
    "parse_adapters",
    "parse_appview",
    "parse_database_url",
    "parse_digest_at",
    "parse_failpoints",
    "parse_flag",
    "parse_seconds",
    "parse_token_store",
    "parse_workers",
]

PREFIX = "CLARION_"

DATABASE_URL = "CLARION_DATABASE_URL"
ENV_FILE = "CLARION_ENV_FILE"
LOG_STDERR = "CLARION_LOG_STDERR"
FAILPOINTS = "CLARION_FAILPOINTS"
ADAPTERS = "CLARION_ADAPTERS"
#: May hold a token: looked up like a credential (environment, .env, keyring; clarion.monitoring).
HEARTBEAT_URL = "CLARION_HEARTBEAT_URL"
#: Where alerts go: apprise URLs (secrets: also read from .env and the keyring, clarion.alerts).
NOTIFY = "CLARION_NOTIFY"
#: When the daemon sends the daily digest: ``HH:MM`` or ``HH:MM Area/City``.
DIGEST_AT = "CLARION_DIGEST_AT"
TOKEN_STORE = "CLARION_TOKEN_STORE"  # noqa: S105 (a variable name, not a secret)
#: Where renewed tokens may be kept (:mod:`clarion.tokens`).
TOKEN_PLACES = ("auto", "file", "keyring")

#: Words that turn a flag off; any other non-empty value turns it on.
_OFF = frozenset({"0", "false", "no", "off"})
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_ADAPTER_ENTRY = re.compile(r"(?P<name>\*|[a-z][a-z0-9_]*)=(?P<module>[\w.]+):(?P<attr>\w+)")


class SettingsError(ValueError):
    """One or more ``CLARION_*`` variables hold unusable values; the message names each, with what
    to write instead."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


# -- parsing (shared by the snapshot's accessors and the pydantic model) ---------------------------


def parse_flag(raw: str | None) -> bool:
    """A yes/no variable: unset, empty, ``0``, ``false``, ``no`` or ``off`` is no; anything else
    yes (as setting it to any value always meant)."""
    word = (raw or "").strip().lower()
    return bool(word) and word not in _OFF


#: The range of a ``CLARION_<PLATFORM>_TIMEOUT``, in seconds: under a second no server answers
#: reliably (every send would be unconfirmed); over ten minutes a run would seem to hang.
TIMEOUT_SECONDS = (1.0, 600.0)


def parse_seconds(variable: str, raw: str) -> float:
    """A number of seconds within :data:`TIMEOUT_SECONDS`; :class:`SettingsError` naming
    ``variable`` otherwise (``inf``, ``nan``, negative numbers and words included)."""
    least, most = TIMEOUT_SECONDS
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    try:
        seconds = float(raw.strip())
    except ValueError:
        seconds = float("nan")
    if not least <= seconds <= most:  # also false for nan
        raise SettingsError(
            f"{variable}={shown!r} is not a number of seconds from {least:g} to {most:g}; "
            "write one such as 30 (the default)"
        )
    return seconds


def parse_failpoints(raw: str | None) -> frozenset[str]:
    """The comma-separated names in ``CLARION_FAILPOINTS`` (blanks around them ignored)."""
    return frozenset(filter(None, (part.strip() for part in (raw or "").split(","))))


def parse_adapters(raw: str | None) -> dict[str, str]:
    """``CLARION_ADAPTERS`` (``x=package.module:Class,*=package.module:Class``): platform (or
    ``*``: every platform) -> "module:Class". A later entry for the same platform wins."""
    found: dict[str, str] = {}
    bad: list[str] = []
    for entry in filter(None, (part.strip() for part in (raw or "").split(","))):
        m = _ADAPTER_ENTRY.fullmatch(entry.replace(" ", ""))
        if m is None:
            bad.append(entry)
        else:
            found[m["name"]] = f"{m['module']}:{m['attr']}"
    if bad:
        listed = ", ".join(repr(b) for b in bad)
        raise SettingsError(
            f"{ADAPTERS} holds {listed}, not PLATFORM=package.module:Class; write entries like "
            "x=my_package.adapters:XAdapter, separated by commas (* for every platform)"
        )
    return found


def parse_token_store(raw: str | None) -> str:
    """``CLARION_TOKEN_STORE``: ``auto`` (unset), ``file`` or ``keyring``."""
    place = (raw or "").strip().lower() or "auto"
    if place not in TOKEN_PLACES:
        raise SettingsError(
            f"{TOKEN_STORE}={raw!r} is not one of auto, file, keyring; write auto (the default: "
            "the system keyring when it works, else a file only you can read), file or keyring"
        )
    return place


_DIGEST_AT = re.compile(r"(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?:\s+(?P<zone>\S+))?")


def parse_digest_at(raw: str | None) -> tuple[int, int, str | None] | None:
    """``CLARION_DIGEST_AT``: (hour, minute, zone or None) from ``08:00`` or
    ``08:00 Europe/London``; None when unset; :class:`SettingsError` otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    m = _DIGEST_AT.fullmatch(text)
    zone = m["zone"] if m else None
    if m and zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            m = None
    if m is None:
        raise SettingsError(
            f"{DIGEST_AT}={raw!r} is not a time of day; write HH:MM such as 08:00, optionally "
            "followed by a time zone such as Europe/London"
        )
    return int(m["h"]), int(m["m"]), zone


#: ``CLARION_WORKERS``: how many deliveries one run sends at once (never two of one account).
WORKERS = "CLARION_WORKERS"
DEFAULT_WORKERS = 64
MAX_WORKERS = 256
_WORKERS = re.compile(r"[0-9]{1,6}")


def parse_workers(raw: str | None) -> int:
    """``CLARION_WORKERS``: a whole number from 1 to 256; :data:`DEFAULT_WORKERS` when unset."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_WORKERS
    # ASCII digits, few of them: "²".isdigit() is true and int() of 5,000 digits raises
    if not _WORKERS.fullmatch(text) or not 1 <= int(text) <= MAX_WORKERS:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise SettingsError(
            f"{WORKERS}={shown!r} is not a number of sends at once; write a whole number from 1 "
            f"to {MAX_WORKERS}, such as {DEFAULT_WORKERS} (the default)"
        )
    return int(text)


def parse_database_url(raw: str | None) -> str | None:
    """The ledger's URL: ``postgresql://...`` or ``sqlite:///path``; None when unset."""
    url = (raw or "").strip()
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise SettingsError(
            f"{DATABASE_URL} must start with postgresql:// or sqlite:///; "
            f"it starts with {url.split(':', 1)[0]!r}."
        )
    return url


#: ``CLARION_BLUESKY_APPVIEW``: the Bluesky AppView ``clarion report`` reads counts from (a PDS
#: alone counts no likes); by default Bluesky's public, unauthenticated one.
BLUESKY_APPVIEW = "CLARION_BLUESKY_APPVIEW"
DEFAULT_BLUESKY_APPVIEW = "https://public.api.bsky.app"


def parse_appview(raw: str | None) -> str:
    """``CLARION_BLUESKY_APPVIEW``: an ``https://`` (or ``http://``) address, without a trailing
    slash; :data:`DEFAULT_BLUESKY_APPVIEW` when unset; :class:`SettingsError` otherwise."""
    url = (raw or "").strip().rstrip("/")
    if not url:
        return DEFAULT_BLUESKY_APPVIEW
    scheme, sep, host = url.partition("://")
    if (
        not sep
        or scheme.lower() not in ("https", "http")
        or not host
        or any(c.isspace() for c in url)
    ):
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise SettingsError(
            f"{BLUESKY_APPVIEW}={shown!r} is not the address of an AppView; write one such as "
            f"{DEFAULT_BLUESKY_APPVIEW} (the default)"
        )
    return url


def platform_variable(platform: str, name: str) -> str:
    """``CLARION_<PLATFORM>_<NAME>``: a variable a platform reads for all its accounts."""
    parts = (_NOT_ALNUM.sub("_", part).strip("_").upper() for part in (platform, name))
    return PREFIX + "_".join(parts)


# -- the snapshot ----------------------------------------------------------------------------------


class Environment(Mapping[str, str]):
    """The ``CLARION_*`` variables at one moment: name -> value, empty values left out."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {k: v for k, v in values.items() if k.startswith(PREFIX) and v and v.strip()}

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # names only: values may be secrets
        return f"Environment({sorted(self._values)})"

    @property
    def database_url(self) -> str | None:
        """``CLARION_DATABASE_URL`` as written (the ledger checks its form and says what is
        wrong: :func:`parse_database_url`); None when unset."""
        raw = self._values.get(DATABASE_URL)
        return raw.strip() if raw else None

    @property
    def env_file(self) -> Path:
        """The ``.env`` file to read: ``CLARION_ENV_FILE``, default ``./.env``, made absolute."""
        from pathlib import Path

        return Path(self._values.get(ENV_FILE, "").strip() or ".env").expanduser().absolute()

    @property
    def log_stderr(self) -> bool:
        """``CLARION_LOG_STDERR``: log to the terminal as well as to the file."""
        return parse_flag(self._values.get(LOG_STDERR))

    @property
    def failpoints(self) -> frozenset[str]:
        """``CLARION_FAILPOINTS``: where a test makes the process kill itself."""
        return parse_failpoints(self._values.get(FAILPOINTS))

    @property
    def adapters(self) -> dict[str, str]:
        """``CLARION_ADAPTERS``: platform (or ``*``) -> "module:Class"; :class:`SettingsError`
        when an entry is not of that form."""
        return parse_adapters(self._values.get(ADAPTERS))

    @property
    def token_store(self) -> str:
        """``CLARION_TOKEN_STORE``: where renewed tokens are kept (auto, file, keyring);
        :class:`SettingsError` for any other value."""
        return parse_token_store(self._values.get(TOKEN_STORE))

    @property
    def notify(self) -> str | None:
        """``CLARION_NOTIFY`` from the environment itself, as written (a secret: the apprise URLs
        are read with the .env file and the keyring by :mod:`clarion.alerts`)."""
        raw = self._values.get(NOTIFY)
        return raw.strip() if raw else None

    @property
    def digest_at(self) -> tuple[int, int, str | None] | None:
        """``CLARION_DIGEST_AT``: (hour, minute, zone or None); None when unset;
        :class:`SettingsError` when it is not a time of day."""
        return parse_digest_at(self._values.get(DIGEST_AT))

    @property
    def heartbeat_url(self) -> str | None:
        """``CLARION_HEARTBEAT_URL`` from the environment (stripped), None when unset. It may hold
        a token: :mod:`clarion.monitoring.heartbeat` also looks in ``.env`` and the keyring, and
        registers it for redaction."""
        raw = self._values.get(HEARTBEAT_URL)
        return raw.strip() if raw else None

    @property
    def workers(self) -> int:
        """``CLARION_WORKERS``: sends at once in one run; :class:`SettingsError` when it is not
        a whole number from 1 to 256."""
        return parse_workers(self._values.get(WORKERS))

    @property
    def bluesky_appview(self) -> str:
        """``CLARION_BLUESKY_APPVIEW``: where Bluesky's counts are read (default the public
        AppView); :class:`SettingsError` when it is not an http(s) address."""
        return parse_appview(self._values.get(BLUESKY_APPVIEW))

    def timeout(self, platform: str) -> float | None:
        """``CLARION_<PLATFORM>_TIMEOUT`` in seconds; None when unset; :class:`SettingsError`
        when it is not a number from 1 to 600."""
        variable = platform_variable(platform, "timeout")
        raw = self._values.get(variable)
        return None if raw is None else parse_seconds(variable, raw)

    def platform_value(self, platform: str, name: str) -> str | None:
        """``CLARION_<PLATFORM>_<NAME>`` (stripped), None when unset."""
        raw = self._values.get(platform_variable(platform, name))
        return raw.strip() if raw else None

    def timeouts(self) -> dict[str, str]:
        """Every ``CLARION_<PLATFORM>_TIMEOUT`` as written: lower-case platform -> value."""
        return {
            k[len(PREFIX) : -len("_TIMEOUT")].lower(): v
            for k, v in self._values.items()
            if k.endswith("_TIMEOUT") and len(k) > len(PREFIX) + len("_TIMEOUT")
        }


def environ(values: Mapping[str, str] | None = None) -> Environment:
    """A snapshot of the process environment's ``CLARION_*`` variables (or of ``values``)."""
    return Environment(os.environ if values is None else values)
