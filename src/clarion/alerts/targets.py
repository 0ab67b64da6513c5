"""Where alerts go: the apprise URLs in ``CLARION_NOTIFY``.

Looked up like a credential (they hold passwords and webhook tokens): the environment, then the
``.env`` file, then the system keyring (service ``clarion``, username ``notify``). Several URLs
are separated by spaces or commas (a comma inside a URL, as in ``?to=a@x.org,b@x.org``, stays in
it: only a comma followed by another ``scheme://`` starts a new one). Every URL, and the secret
parts of it, are registered with :mod:`clarion.secrets`; people only ever see a :attr:`Target.label`
(scheme, user and host: ``mailto://alerts@smtp.example.org``). Importing this module imports
nothing heavy (no apprise).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from clarion import credentials, secrets
from clarion.settings import NOTIFY, Environment

__all__ = ["KEYRING_USERNAME", "Target", "load", "split"]

#: The keyring username of ``CLARION_NOTIFY`` (``keyring set clarion notify``).
KEYRING_USERNAME = "notify"

#: Query parameters that carry secrets (``?pass=``, ``?token=``, ``?apikey=``, ``?sig=``...).
_SECRET_KEY = re.compile(r"(?i)pass|pwd|token|secret|key|auth|sig|code|cred")
_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")


@dataclass(frozen=True, slots=True)
class Target:
    """One apprise URL. ``url`` is a secret: never print it; print :attr:`label`."""

    index: int
    url: str

    @property
    def fingerprint(self) -> str:
        """What the ledger keys a target's sends by (a hash: never the URL)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """``#1 mailto://alerts@smtp.example.org:587``: no password, path or query."""
        return f"#{self.index} {_address(self.url)}"


def _address(url: str) -> str:
    scheme, _, rest = url.partition("://")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
    except ValueError:  # not host:port shaped (a token where the host would be)
        return f"{scheme}://***"
    if not rest or not host:
        return f"{scheme}://***"
    return secrets.redact(f"{scheme}://{user}{host}{port}")


def _register(url: str) -> None:
    """The URL and the parts of it that are secrets: a password, the values of query parameters
    named like secrets, long path parts (webhook tokens), a host that is no host name (a bot
    token). Never a server's address: that would hide it wherever it is shown."""
    found = [url]
    try:
        parts = urlsplit(url)
        found.append(parts.password or "")
        found += [value for key, value in parse_qsl(parts.query) if _SECRET_KEY.search(key)]
        found += [p for p in parts.path.split("/") if len(p) >= 16]
    except ValueError:
        found.append(url.partition("://")[2].partition("/")[0])
    secrets.register(*found)


def split(raw: str) -> list[str]:
    """The URLs in a ``CLARION_NOTIFY`` value (spaces or commas between them)."""
    return [part.strip(" ,") for part in _SEPARATOR.split(raw.strip()) if part.strip(" ,")]


def load(env: Environment | None = None) -> tuple[list[Target], str | None]:
    """The targets, and where ``CLARION_NOTIFY`` was found (None: it is not set)."""
    hit = credentials.lookup(NOTIFY, KEYRING_USERNAME, env)
    if hit is None:
        return [], None
    urls = split(hit[0])
    for url in urls:
        _register(url)
    return [Target(i, url) for i, url in enumerate(urls, 1)], hit[1]
