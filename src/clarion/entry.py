"""The ``clarion`` console script: the idle cron tick answered before click is even imported.

``* * * * * clarion run-due`` starts Python every minute and nearly always finds nothing due. When
the command line is exactly ``run-due`` (optionally after ``--database URL``), :func:`main` asks
:func:`clarion.ledger.quick.nothing_to_do` first: one read-only look at a SQLite ledger with the
standard library's ``sqlite3``. "Surely nothing" ends the run there (quiet, exit 0, the cron
contract); any other answer, any other option and every other command go to the full command line
(:mod:`clarion.cli`), which asks the same question again before importing the engine.
"""

from __future__ import annotations

import sys


def idle_tick(argv: list[str]) -> bool:
    """Whether ``argv`` is a plain ``run-due`` that surely has nothing to do right now."""
    url: str | None = None
    if len(argv) == 3 and argv[0] == "--database":
        url, argv = argv[1], argv[2:]
    elif len(argv) == 2 and argv[0].startswith("--database="):
        url, argv = argv[0].partition("=")[2], argv[1:]
    if argv != ["run-due"]:
        return False
    import time

    from clarion.ledger.quick import nothing_to_do

    return nothing_to_do(url or None, time.time_ns() // 1_000_000)


def main() -> None:
    if idle_tick(sys.argv[1:]):
        from clarion.monitoring.idle import after_idle

        after_idle()  # an idle minute is a finished run too: the heartbeat, if one is set up
        return
    from clarion.cli import main as cli_main

    cli_main()
