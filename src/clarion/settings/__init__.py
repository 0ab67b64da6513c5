"""Every ``CLARION_*`` variable Clarion reads, read in one place.

Two layers, so that reading a variable never costs more than the command can afford:

* :func:`environ` takes an :class:`Environment`: one pass over the process environment that keeps
  every ``CLARION_*`` variable (an empty value counts as unset), as a plain, frozen mapping with a
  typed accessor for each variable (:attr:`Environment.database_url`,
  :meth:`Environment.timeout`, ...). It is plain Python: importing this module costs no more than
  ``os``, so the idle ``run-due`` cron tick (:mod:`clarion.ledger.quick`), ``clarion --help``,
  the adapters and the credential lookup use it without importing pydantic.
* :func:`load` builds :class:`clarion.settings.model.Settings`, a pydantic-settings model, from such
  a snapshot (never from ``os.environ`` again): every fixed variable typed and checked at once,
  each bad one named in plain words (:class:`SettingsError`, never a traceback). pydantic is
  imported only then, by commands that already use it.

Both layers parse with the same functions below, so they cannot disagree.

A snapshot is taken by whatever lives for a run (the command's context, an adapter, one credential
lookup) and kept by it, so everything one object does sees one environment. There is deliberately
no process-wide cache: a program that embeds Clarion (or a test) and changes ``os.environ`` gets
the new values in the next object it makes, and one pass costs microseconds.

Per-platform variables are named ``CLARION_<PLATFORM>_<NAME>``: the timeout
(``CLARION_<PLATFORM>_TIMEOUT``, :meth:`Environment.timeout`) and the settings a platform reads
for all its accounts (``CLARION_MASTODON_LANGUAGE``: :meth:`Environment.platform_value`). An
account's own credentials (``CLARION_<PLATFORM>[_<ACCOUNT>]_<NAME>``, also from ``.env`` and the
keyring) are :mod:`clarion.credentials`'; it reads the environment through a snapshot too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.settings.environment import (
    ADAPTERS,
    DATABASE_URL,
    DIGEST_AT,
    ENV_FILE,
    FAILPOINTS,
    LOG_STDERR,
    NOTIFY,
    PREFIX,
    Environment,
    SettingsError,
    environ,
    parse_adapters,
    parse_database_url,
    parse_failpoints,
    parse_flag,
    parse_seconds,
    platform_variable,
)

if TYPE_CHECKING:
    from clarion.settings.model import Settings

__all__ = [
    "ADAPTERS",
    "DATABASE_URL",
    "DIGEST_AT",
    "ENV_FILE",
    "FAILPOINTS",
    "LOG_STDERR",
    "NOTIFY",
    "PREFIX",
    "Environment",
    "SettingsError",
    "environ",
    "load",
    "parse_adapters",
    "parse_database_url",
    "parse_failpoints",
    "parse_flag",
    "parse_seconds",
    "platform_variable",
]


def load(env: Environment | None = None) -> Settings:
    """Every fixed ``CLARION_*`` setting, checked (imports pydantic: not for the fast paths).
    :class:`SettingsError` names every unusable variable at once, in plain words."""
    from clarion.settings.model import from_environment

    return from_environment(environ() if env is None else env)
