"""``CLARION_HEARTBEAT_URL``: a "dead man's switch" for cron and the daemon.

Cron-monitoring services (healthchecks.io, Cronitor, Uptime Kuma's push monitors, Better Stack
heartbeats...) give a URL to fetch after every run; when the fetches stop for longer than the
period set there, they alert the team. Clarion fetches it (HTTP GET, one try, 10 s at most) after
every run of ``run-due`` and of the daemon that *finished*, including the idle minute when nothing
was due, so the silence means exactly one thing: no run is happening (cron stopped, the machine is
off, the ledger cannot be opened, a crash).

What Clarion decided:

* A run that finished with failed, unconfirmed or missed posts still pings the plain URL. The
  heartbeat answers "is Clarion running?"; what happened to the posts is for the alerts and for
  ``clarion status --check``. Each service spells failure its own way (healthchecks.io ``/fail`` or
  ``/1``, Uptime Kuma ``?status=down``, Cronitor ``?state=fail``), and a "down" that meant either
  "cron stopped" or "one post was refused" would be read wrongly by whoever is on call.
* A rehearsal (``--now``, ``--dry-run``) never pings: it is not a run.
* The ping never holds up publishing: it is sent after the run (the daemon sends it from a
  background thread, at most once every 30 s), and a failed ping is logged, kept for
  ``clarion status`` (:func:`last`) and changes no exit status.
* The URL may hold a token, so it is looked up like a credential: the environment, the ``.env``
  file, the system keyring (username ``heartbeat``), and registered for redaction; only its scheme
  and host are ever shown. The idle cron tick skips the keyring (asking it costs a quarter of a
  second every minute) unless the last full lookup found the URL there.

The last ping's result is kept in ``heartbeat.json`` in Clarion's state folder (beside the log),
never in the ledger: it says which machine's runs were heard, and holds no part of the URL but
its host.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from clarion.monitoring.state import mentions, state_file
from clarion.settings.environment import HEARTBEAT_URL, Environment, environ

__all__ = [
    "DAEMON_INTERVAL_S",
    "KEYRING_USERNAME",
    "TIMEOUT_S",
    "Ping",
    "after_run",
    "find_url",
    "idle_ping",
    "last",
    "ping",
]

log = logging.getLogger("clarion.heartbeat")

TIMEOUT_S = 10.0
#: The daemon pings at most this often (a tick can run several times in a row).
DAEMON_INTERVAL_S = 30.0
#: The keyring's username for the URL (service ``clarion``).
KEYRING_USERNAME = "heartbeat"

_last_daemon_ping = 0.0
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Ping:
    """One heartbeat: when, whether the monitor answered 2xx, in words, to which host."""

    at_ms: int
    ok: bool
    #: "answered 200", "could not connect", "no answer within 10 s"... (never the URL's path)
    detail: str
    #: scheme://host[:port] of the URL: enough to recognise it, no token.
    target: str
    #: Where the URL was found ("environment variable CLARION_HEARTBEAT_URL", ...).
    source: str

    def words(self) -> str:
        what = "heard by" if self.ok else "NOT heard by"
        return f"{what} {self.target}: {self.detail}"


# -- the URL ---------------------------------------------------------------------------------------


def find_url(env: Environment | None = None, *, keyring: bool = True) -> tuple[str, str] | None:
    """``(url, where it was found)``, registered for redaction (the whole URL and its path, which
    holds the token); None when no heartbeat is set up."""
    env = environ() if env is None else env
    found: tuple[str, str] | None
    if env.heartbeat_url:
        found = (env.heartbeat_url, f"environment variable {HEARTBEAT_URL}")
    elif not keyring and not mentions(env.env_file, HEARTBEAT_URL):
        return None  # the idle tick's cheap "surely not set up"
    else:
        from clarion import credentials

        found = credentials.lookup(HEARTBEAT_URL, KEYRING_USERNAME, env, keyring=keyring)
        if found is None:
            return None
        found = (found[0].strip(), found[1])
    _register(found[0])
    return found


def _register(url: str) -> None:
    from urllib.parse import urlsplit

    from clarion import secrets

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    secrets.register(url, path, parts.query, parts.password)


def _target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "the address in CLARION_HEARTBEAT_URL"
    port = f":{parts.port}" if _port(parts) else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _port(parts: Any) -> int | None:
    try:
        return int(parts.port) if parts.port else None
    except ValueError:
        return None


# -- the ping ----------------------------------------------------------------------------------


def ping(url: str, source: str, timeout_s: float = TIMEOUT_S) -> Ping:
    """GET ``url`` once; the result in words. Never raises."""
    now = int(time.time() * 1000)
    target = _target(url)
    if not url.lower().startswith(("http://", "https://")):
        detail = (
            f"{HEARTBEAT_URL} is not an http:// or https:// address (from {source}); "
            "copy the ping URL your monitoring service shows"
        )
        return Ping(now, False, detail, target, source)
    import requests

    from clarion import __version__

    try:
        answer = requests.get(
            url, timeout=timeout_s, headers={"User-Agent": f"clarion/{__version__} heartbeat"}
        )
    except requests.Timeout:
        return Ping(now, False, f"no answer within {timeout_s:g} s", target, source)
    except requests.ConnectionError:
        return Ping(now, False, "could not connect", target, source)
    except Exception as exc:  # an unusable URL, a TLS problem...: said, never raised
        return Ping(now, False, f"could not be fetched ({type(exc).__name__})", target, source)
    words = f"answered {answer.status_code} {answer.reason or ''}".strip()
    return Ping(now, 200 <= answer.status_code < 300, words, target, source)


def _send(found: tuple[str, str], idle: bool) -> Ping:
    done = ping(*found)
    if not done.ok:
        if idle and not logging.getLogger().handlers:
            from clarion import logs

            logs.setup(0, None)  # the idle tick logs nothing else: a failure goes to the log
        log.warning(
            "heartbeat %s; an outside monitor may report that Clarion stopped", done.words()
        )
    else:
        log.debug("heartbeat %s", done.words())
    _save(done)
    return done


def after_run(
    *, rehearsal: bool = False, stopped: bool = False, background: bool = False
) -> Ping | None:
    """Ping after a run that finished: none for a rehearsal, none for a run stopped early by
    SIGTERM or Ctrl-C (the machine may be shutting down: nothing holds it up), none when no URL
    is set up. ``background`` (the daemon): from a thread, at most once every
    :data:`DAEMON_INTERVAL_S`, so the next tick never waits for the monitor."""
    global _last_daemon_ping
    if rehearsal or stopped:
        return None
    try:
        found = find_url()
        if found is None:
            return None
        if not background:
            return _send(found, idle=False)
        with _lock:
            if time.monotonic() - _last_daemon_ping < DAEMON_INTERVAL_S:
                return None
            _last_daemon_ping = time.monotonic()
        threading.Thread(target=_send, args=(found, False), daemon=True).start()
    except Exception:  # never the reason a run fails
        log.exception("heartbeat could not be sent")
    return None


def idle_ping(env: Environment, *, keyring: bool) -> Ping | None:
    """The idle tick's ping (:func:`clarion.monitoring.idle.after_idle` decided one may be set
    up); None when there is none after all. The idle tick stays quiet: a warning about the
    ``.env`` file is the next full run's to log (here it would go to stderr, so to cron's mail,
    every minute)."""
    if not logging.getLogger().handlers:
        logging.getLogger("clarion").addHandler(logging.NullHandler())
    found = find_url(env, keyring=keyring)
    return None if found is None else _send(found, idle=True)


# -- what the last ping said -------------------------------------------------------------------


def _save(done: Ping) -> None:
    path = state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        part = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(done), out)
        part.replace(path)
    except OSError as exc:
        log.warning("could not keep the heartbeat's result in %s (%s)", path, exc.strerror)


def last() -> Ping | None:
    """The last ping's result on this machine, or None (never pinged, or unreadable)."""
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
        return Ping(
            int(data["at_ms"]),
            bool(data["ok"]),
            str(data["detail"]),
            str(data["target"]),
            str(data["source"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
