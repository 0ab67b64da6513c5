"""Logging for runs: a file a person can read later, and the terminal when asked. Redacted."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from clarion import settings
from clarion.secrets import RedactingFilter, install

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_file() -> Path:
    from platformdirs import user_log_path

    return user_log_path("clarion", appauthor=False) / "clarion.log"


def setup(verbose: int = 0, file: Path | None = None) -> Path | None:
    """Log INFO and up to ``file`` (default: the user's log folder; '-' for none) and, with -v,
    to stderr as well (-vv: DEBUG, including the client libraries'); ``CLARION_LOG_STDERR`` (not
    0/false/no/off) does the same as -v for the terminal."""
    root = logging.getLogger()
    level = logging.DEBUG if verbose >= 2 else logging.INFO
    root.setLevel(level)
    target = file if file is not None else default_file()
    handlers: list[logging.Handler] = []
    if str(target) != "-":
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                target, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
            )
        )
        target.chmod(0o600)
    if verbose or settings.environ().log_stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    install()
    return None if str(target) == "-" else target
