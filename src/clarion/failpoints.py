"""Named points where a test can make a run die abruptly (kill -9 of itself).

``CLARION_FAILPOINTS=after-claim,after-send`` makes the process SIGKILL itself on reaching those
points, so crash-safety tests hit exact instants instead of racing a timer. Unset (always, outside
tests), :func:`hit` is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_ARMED = frozenset(filter(None, os.environ.get("CLARION_FAILPOINTS", "").split(",")))


def hit(name: str) -> None:
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
