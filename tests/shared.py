"""Third-party material beside the checkout, in ``../shared``: recorded answers and X's suite.

A stranger's clone has no ``../shared``: a test that needs a file from it skips, with a one-line
reason. With ``CLARION_REQUIRE_SHARED=1`` (``.ci/run`` sets it) a missing file fails the test
instead, so CI, where ``../shared`` is there, always runs them.

Read it only from inside a test or a fixture (never at import): :func:`shared_path` skips or fails
the test that asked. Parametrized tests whose cases come from ``../shared`` use :func:`params`
in ``pytest_generate_tests``; without the file they get one case that skips (or fails).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REQUIRE = "CLARION_REQUIRE_SHARED"


def required() -> bool:
    """Whether a missing file is a failure (CI) rather than a skip."""
    return os.environ.get(REQUIRE, "").strip() == "1"


def exists(rel: str) -> bool:
    return (SHARED / rel).exists()


def missing(rel: str) -> None:
    """Skip the running test, or fail it when ``CLARION_REQUIRE_SHARED=1``."""
    reason = f"needs ../shared/{rel} (third-party material beside the checkout), not there"
    if required():
        pytest.fail(f"{reason}; {REQUIRE}=1 makes that a failure", pytrace=False)
    pytest.skip(reason)


def shared_path(rel: str) -> Path:
    """``../shared/<rel>`` (relative to the project root); skips or fails the test without it."""
    path = SHARED / rel
    if not path.exists():
        missing(rel)
    return path


def read_text(rel: str) -> str:
    return shared_path(rel).read_text(encoding="utf-8")


#: The id of the one case a parametrized test gets when its cases' file is missing.
MISSING_ID = "needs-shared"


def params(rel: str, make: Callable[[Path], Sequence[Any]]) -> Sequence[Any]:
    """``make(path)`` when ``../shared/<rel>`` exists; else one case marked ``needs_shared``,
    which ``tests/conftest.py`` skips (or fails) when the test is set up."""
    path = SHARED / rel
    if path.exists():
        return make(path)
    return [pytest.param(None, id=MISSING_ID, marks=pytest.mark.needs_shared(rel))]
