"""Waiting for something a server does in its own time (a boost delivered, a like indexed):
poll with a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(
    what: Callable[[], T | None], timeout: float = 60.0, said: str = "", every: float = 0.05
) -> T:
    """``what()`` once it is not None, polled every ``every`` seconds until ``timeout`` seconds
    have passed; then an AssertionError naming what was awaited (``said``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {said}")
        time.sleep(every)
