"""Shared by the spreadsheet tests: running commands, and LibreOffice (headless) when it is there.

LibreOffice Calc is Debian's ``libreoffice-calc-nogui`` (``scripts/ensure-libreoffice``, called
by ``scripts/test``, installs it). Without it the tests that need it skip with one line; on CI
(``CLARION_REQUIRE_SHARED=1``, set by ``.ci/run``) its absence fails them instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clarion.cli import cli

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def clarion(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def need_soffice() -> str:
    if Path(SOFFICE).exists():
        return SOFFICE
    reason = "needs LibreOffice (soffice; scripts/ensure-libreoffice installs it), not there"
    if os.environ.get("CLARION_REQUIRE_SHARED", "").strip() == "1":
        pytest.fail(f"{reason}; CI requires it", pytrace=False)
    pytest.skip(reason)


#: LibreOffice's CSV import as a UK user has it: comma, double quotes, UTF-8, from line 1,
#: English (UK) so 16/05/2024 is 16 May, and "detect special numbers" on (dates and times).
UK_CSV = "Text - txt - csv (StarCalc):44,34,76,1,,2057,false,true"


def convert(
    source: Path, to: str, outdir: Path, tmp_path: Path, infilter: str | None = None
) -> Path:
    """``soffice --headless --convert-to TO`` with its own profile under ``tmp_path``."""
    soffice = need_soffice()
    profile = tmp_path / "lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path / "lo-home")},
    )
    target = outdir / (source.stem + "." + to.split(":")[0])
    assert done.returncode == 0 and target.exists(), done.stdout + done.stderr
    return target
