"""A real PostgreSQL server for tests, started on 127.0.0.1 in a temporary folder.

`.ci/run` makes sure the server binaries are installed (Debian's postgresql package). Under CI a
missing server is a failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.net import free_port


@dataclass
class PostgresServer:
    port: int
    bindir: Path
    datadir: Path

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://clarion:test-password@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgres_server(factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing: .ci/run should install them")
        pytest.skip("PostgreSQL server binaries are not installed here")
    # Not under pytest's own temporary folder: that one is private to root, and the server runs
    # as another user.
    base = Path(tempfile.mkdtemp(prefix="clarion-pg-"))
    datadir = base / "data"
    pwfile = base / "pw"
    pwfile.write_text("test-password\n")
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use the postgres account
        user = "postgres" if _has_user("postgres") else "nobody"
        info = pwd.getpwnam(user)
        for path in (base, pwfile):
            os.chown(path, info.pw_uid, info.pw_gid)
        as_user = ["runuser", "-u", user, "--"]
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "clarion",
            "-A",
            "md5",
            "--pwfile",
            str(pwfile),
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(port, bindir, datadir)
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
