"""Running a command and measuring its wall time and peak memory (resident set)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    code: int


def run(cmd: Sequence[str], cwd: Path = ROOT) -> Run:
    """Run cmd to completion; wall time and the child's peak RSS (from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(elapsed, usage.ru_maxrss / 1024, proc.returncode)


def median_pair(a: Sequence[str], b: Sequence[str], rounds: int) -> tuple[float, float]:
    """Median wall time of a and of b, interleaved so both see the same machine load."""
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(rounds):
        ta.append(run(a).seconds)
        tb.append(run(b).seconds)
    return statistics.median(ta), statistics.median(tb)
