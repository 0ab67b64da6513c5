"""SIGTERM and Ctrl-C during ``run-due``: finish the sends in flight, hand back the rest, exit
with 128 + the signal's number; a second signal stops at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Stopping:
    """SIGTERM or SIGINT (Ctrl-C) during a run: the first lets the sends in flight finish and
    hands back every claim not started (:attr:`requested` is asked between sends); a second stops
    at once, leaving the sends in flight to the next run (after their lease it asks the platform
    whether each arrived: the ledger stays consistent, as after a crash)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as shells report a command a signal stopped; 0 if none."""
        return 0 if self.signum is None else 128 + self.signum

    @contextmanager
    def handling(self, active: bool) -> Iterator[None]:
        import signal

        if not active:
            yield
            return
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {s: signal.signal(s, self._on_signal) for s in signals}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        import logging
        import os
        import signal

        name = signal.Signals(signum).name
        if self.signum is not None:  # the second: at once
            os.write(
                2,
                f"{name} again: stopping at once; posts being sent now are checked "
                "with their platform by the next run.\n".encode(),
            )
            os._exit(128 + signum)
        self.signum = signum
        logging.getLogger("clarion.engine").info(
            "received %s; finishing the sends in flight and stopping", name
        )
        os.write(
            2,
            f"{name}: finishing the posts being sent now, handing the rest back to the "
            "next run (send it again to stop at once).\n".encode(),
        )
