"""Importing a platform module stays cheap: no reference library, no `regex` until needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clarion.platforms import REGISTRY

HEAVY = ("regex", "twitter_text", "mastodon", "grapheme")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REGISTRY))
def test_importing_a_platform_loads_no_heavy_module(name: str) -> None:
    module = REGISTRY[name].partition(":")[0]
    code = f"import sys, {module}; print(sorted(set({HEAVY!r}) & sys.modules.keys()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
