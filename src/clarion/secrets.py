"""Keeping secrets out of everything Clarion prints, logs or stores.

Every credential Clarion loads is registered here; :func:`redact` replaces each with ``***`` in
any text, and :func:`install` puts a filter on the root logger (so the client libraries' own debug
logging is covered) and wraps ``sys.excepthook`` so tracebacks are redacted too.
"""

from __future__ import annotations

import logging
import re
import sys
from types import TracebackType

_SECRETS: set[str] = set()
_PATTERN: re.Pattern[str] | None = None
#: Shapes of secrets worth hiding even when Clarion did not load them itself.
_SHAPES = re.compile(
    r"(?i)(authorization:\s*(?:bearer|oauth|basic)\s+)[^\s,'\"]+"
    # ("NAME=..." in advice about which variable to set is a placeholder, not a value)
    # (a bare "token: " with a space is prose, as in "Error validating access token: Session
    # has expired"; "token=x", "token:x" and quoted keys, as in JSON, are values)
    r"|((?:access_token|token|password|app_password|secret)"
    r"(?:[\"']\s*:\s*[\"']?|\s*=\s*[\"']?|:(?=\S)))"
    r"(?!\.\.\.(?:[\s,]|$))[^\s&,'\"]+"
)


def register(*values: str | None) -> None:
    """Remember secret values (4 characters or more) so they are redacted everywhere."""
    global _PATTERN
    added = {v for v in values if v and len(v) >= 4} - _SECRETS
    if added:
        _SECRETS.update(added)
        ordered = sorted(_SECRETS, key=len, reverse=True)
        _PATTERN = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    if _PATTERN is not None:
        text = _PATTERN.sub("***", text)
    return _SHAPES.sub(lambda m: (m.group(1) or m.group(2) or "") + "***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def install() -> None:
    """Redact the root logger's handlers and uncaught tracebacks."""
    root = logging.getLogger()
    filt = RedactingFilter()
    for handler in root.handlers:
        handler.addFilter(filt)
    root.addFilter(filt)
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        import traceback

        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(redact(text))

    if getattr(previous, "__name__", "") != "hook":
        sys.excepthook = hook


def clear() -> None:
    """Forget registered secrets (tests)."""
    global _PATTERN
    _SECRETS.clear()
    _PATTERN = None
