from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from clarion.campaign.problems import Problem
from clarion.campaign.validate import Checked, check_files

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "campaigns" / "coproduction-week-2022.yaml"

# A small valid campaign; tests change one thing at a time.
HEAD = """\
version: 1
name: Test Week
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [mastodon]
"""


def png(width: int = 2, height: int = 2, pad: int = 0) -> bytes:
    """A real (tiny) PNG; ``pad`` adds bytes in an ancillary chunk to reach a size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if pad:
        body += chunk(b"tEXt", b"pad\x00" + b"x" * pad)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


Run = Callable[..., Checked]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Write a campaign (dedented) to tmp_path/week.yaml and check it."""

    def _run(text: str, name: str = "week.yaml", files: dict[str, bytes] | None = None) -> Checked:
        for rel, data in (files or {}).items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return check_files([path], [name])

    return _run


def only(result: Checked) -> Problem:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers' limits read by ``accounts check`` are cached per user: keep each test's apart."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    from clarion.platforms import limits

    limits.for_account.cache_clear()
