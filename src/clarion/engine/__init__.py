"""The engine behind ``run-due`` and the daemon: one run over the ledger.

:mod:`.loop` is the run (claim, send, record; no SQL, no file checks), :mod:`.policy` the pure
decisions (outcome + attempts + times -> next state), :mod:`.checks` what is checked again
before sending, :mod:`.rehearse` the dry run that predicts a run without acting.
"""

from __future__ import annotations

from clarion.delivery import idempotency_key
from clarion.engine.loop import Engine, worker_name
from clarion.engine.report import Result, RunOptions, RunReport

__all__ = ["Engine", "Result", "RunOptions", "RunReport", "idempotency_key", "worker_name"]
