"""A progress bar (rich) on stderr for commands that work through many files or deliveries.

Shown only when it helps a person watching: stderr is a terminal (so never when piped, redirected
or run by cron, which gives no terminal), ``TERM`` is not ``dumb``, the command prints for people
(not ``--format json`` or ``requests``) and there are at least :data:`MIN_ITEMS` things to do.
The bar disappears when the work is done, so the command's output reads as before.

rich is imported only when a bar is really shown (start-up time). rich honours ``NO_COLOR``
itself; with ``NO_COLOR`` set the bar is drawn with no styles at all (no colour, no bold), only
the cursor movements that redraw it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

#: Fewer things than this are done too fast for a bar to help.
MIN_ITEMS = 5
#: Formats that are read by programs: no bar beside them.
MACHINE_FORMATS = ("json", "requests")
#: At most this many redraws per second.
REFRESH_PER_SECOND = 10

Advance = Callable[[int], None]


def _nothing(n: int = 1) -> None:
    """The advance function when no bar is shown."""


def wanted(total: int) -> bool:
    """Whether a bar for ``total`` things would be shown now."""
    if total < MIN_ITEMS or os.environ.get("TERM") == "dumb":
        return False
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("fmt") in MACHINE_FORMATS:
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def progress(total: int, description: str) -> Iterator[Advance]:
    """``with progress(n, "Checking") as advance: ... advance(1)``: a bar while the block runs.

    ``advance`` does nothing when no bar is shown (see :func:`wanted`)."""
    if not wanted(total):
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    plain = bool(os.environ.get("NO_COLOR"))
    console = Console(stderr=True, color_system=None if plain else "auto")
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Redrawn as work is done, not by a thread: the work may fork worker processes.
        auto_refresh=False,
    )
    task = bar.add_task(description, total=total)
    last = 0.0

    def advance(n: int = 1) -> None:
        nonlocal last
        bar.advance(task, n)
        now = time.monotonic()
        if now - last >= 1 / REFRESH_PER_SECOND or bar.tasks[0].finished:
            last = now
            bar.refresh()

    with bar:
        yield advance
