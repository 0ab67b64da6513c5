"""The idle cron tick's heartbeat, decided with ``os`` alone.

``clarion run-due`` runs every minute and usually finds nothing due (:mod:`clarion.entry`); that
minute is a run that finished too, so it pings the heartbeat. Whether one is set up is answered
here without importing logging, json or HTTP: the environment, a byte search for the name in the
``.env`` file, and the keyring only if the last full lookup found the URL there (asking the keyring
costs a quarter of a second). Only then is :mod:`clarion.monitoring.heartbeat` imported.
"""

from __future__ import annotations

from clarion.monitoring.state import KEYRING_SOURCE, mentions, state_file
from clarion.settings.environment import HEARTBEAT_URL, environ

__all__ = ["after_idle"]


def after_idle(*, rehearsal: bool = False) -> None:
    """Ping after the idle tick, if a heartbeat is set up (never for a rehearsal); never raises,
    never prints (a failure goes to the log)."""
    if rehearsal:
        return
    try:
        env = environ()
        in_keyring = False
        if not env.heartbeat_url and not mentions(env.env_file, HEARTBEAT_URL):
            in_keyring = mentions(state_file(), f'"source": "{KEYRING_SOURCE}"')
            if not in_keyring:
                return
        from clarion.monitoring.heartbeat import idle_ping

        idle_ping(env, keyring=in_keyring)
    except Exception:  # the idle tick stays quiet; the next full run says what is wrong
        return
