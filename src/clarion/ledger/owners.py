"""Who holds a lease, and whether that run is provably gone.

A run leases the deliveries it claims under its name, ``run-due pid N on HOST``
(:func:`clarion.engine.worker_name`). A run killed with ``kill -9`` (or by a power cut, or the
out-of-memory killer) leaves its claims behind until the lease runs out, five minutes by default.
When the owner is a run on *this* machine whose process no longer exists, that wait is pointless:
the claims can be taken back at once, and ``status`` can say so at once.

The rule, chosen to be safe rather than clever:

* the owner's host must be this machine's host name, and
* no process with the owner's pid exists here (``kill(pid, 0)`` answers "no such process"), or it
  exists only as a zombie (dead, waiting for its parent to read its exit status).

A pid that was *reused* by another process looks alive: the claim then waits out its lease as it
always did (never a wrong "gone"; only, rarely, a wait). A process of another user answers
"permission denied", which means it exists: alive. Anything unreadable counts as alive. Machines
sharing a PostgreSQL ledger may share a host name (two fresh Raspberry Pis are both
``raspberrypi``): :func:`clarion.ledger.claims.recover_row` decides what a gone owner may be used
for there, and :func:`clarion.ledger.health.stranded` says when the next run will act.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from clarion.ledger.states import State

__all__ = ["Owner", "early", "gone", "parse", "pid_gone"]

_OWNER = re.compile(r"run-due pid (?P<pid>\d+) on (?P<host>\S+?)(?=$|[\s,;()])")


@dataclass(frozen=True, slots=True)
class Owner:
    """A lease owner's name read back: the process and the machine it ran on."""

    pid: int
    host: str


def parse(owner: str | None) -> Owner | None:
    """The pid and host in ``run-due pid N on HOST``; None for any other name."""
    m = _OWNER.search(owner or "")
    if m is None:
        return None
    return Owner(int(m["pid"]), m["host"])


def pid_gone(pid: int) -> bool:
    """True only when no live process has ``pid`` on this machine (none at all, or a zombie)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    except OSError as exc:
        return exc.errno == errno.ESRCH
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that has ended but not been reaped yet (Linux's /proc; elsewhere: no)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # "pid (comm) S ...": the state follows the last ')' (comm may itself hold parentheses).
    rest = stat.rpartition(")")[2].split()
    return bool(rest) and rest[0] in ("Z", "X")


def gone(owner: str | None, host: str | None = None) -> str | None:
    """Why the run named ``owner`` is provably gone, in words; None when it may be alive (or
    it is not a run on this machine, which this machine cannot know)."""
    found = parse(owner)
    if found is None:
        return None
    here = host if host is not None else socket.gethostname()
    if found.host != here:
        return None
    if found.pid == os.getpid():
        return None  # this very process: alive by definition
    if not pid_gone(found.pid):
        return None
    return f"process {found.pid} no longer exists on {here}"


def early(dialect: str, state: State) -> bool:
    """Whether a gone owner's delivery in ``state`` is taken back before its lease ends: a claim
    always (its owner could not start the send any more); a send only on SQLite (one machine)."""
    return state == State.CLAIMED or dialect == "sqlite"
