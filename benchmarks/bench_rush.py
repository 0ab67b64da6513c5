"""The 09:00 rush: 1,000 deliveries due at one minute over 50 accounts on four platforms.

    .venv/bin/python benchmarks/bench_rush.py [--accounts 50] [--posts 20] [--latency 0.2]
                                              [--workers 64,32,1]

Each account has ``--posts`` posts due at the same minute; the accounts are spread over X,
Facebook, Mastodon and Bluesky. Every platform answers each post after ``--latency`` seconds:
the project's real adapters talk over HTTP to the stubs of the tests (tests/servers/x_stub.py,
graph_stub.py, mastodon_stub.py, with their ``slow`` fault on the post endpoint) and, for
Bluesky, to a small PDS stand-in of this folder (_bluesky_stub.py: the test PDS needs Node and
cannot add latency). One ``clarion run-due`` (the real command, SQLite ledger, one machine) is
timed for each ``--workers`` value, on a fresh ledger and fresh stubs each time:

* the time from starting run-due to the last post published (the ledger's published events are
  on the real clock), as a multiple of the physical limit: an account's posts go one after
  another, so ``posts x latency`` (20 x 200 ms = 4 s) is the least possible;
* p50 and p99 of every post's lateness (published instant - run-due's start);
* a check that each stub received every post exactly once.

``--workers 1`` is the sequential baseline (today's one-after-another), measured in the same run.
This is not a test: the machine is shared and noisy; compare the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _bluesky_stub import PASSWORD, BlueskyStub
from _measure import PYTHON, ROOT

sys.path.insert(0, str(ROOT))  # the tests' stubs

from clarion.credentials import env_name
from clarion.ledger import open_ledger
from clarion.ledger.states import State
from tests.servers import graph_stub, mastodon_stub, x_stub

_SCRIPT = Path(PYTHON).parent / "clarion"
CLARION = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "clarion"]
PLATFORMS = ("x", "facebook", "mastodon", "bluesky")
GRAPH_TOKEN = "EAAGm0PX4ZCpsBRushPageTok3n"


class Stubs:
    """The four platforms, each answering a post after ``latency`` seconds."""

    def __init__(self, latency: float, posts: int) -> None:
        for server in (x_stub._Server, graph_stub._HTTPServer, mastodon_stub._Server):
            server.request_queue_size = 256  # many sends connect at once
        self.x = x_stub.XStub()
        self.graph = graph_stub.GraphStub(GRAPH_TOKEN)
        self.mastodon = mastodon_stub.MastodonStub()
        self.bluesky = BlueskyStub(latency)
        self.x.fault("POST /2/tweets", "slow", times=posts, delay=latency)
        self.graph.slow_s = latency
        self.graph.fail("feed", *["slow"] * posts)
        self.mastodon.fault("POST /api/v1/statuses", "slow", times=posts, delay=latency)

    def __enter__(self) -> Stubs:
        for stub in (self.x, self.graph, self.mastodon, self.bluesky):
            stub.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in (self.x, self.graph, self.mastodon, self.bluesky):
            stub.__exit__(None, None, None)

    def received(self) -> dict[str, list[str]]:
        """Platform -> the texts of the posts it made."""
        return {
            "x": [t["text"] for t in self.x.posts()],
            "facebook": [str(p.get("message")) for p in self.graph.posts()],
            "mastodon": self.mastodon.texts(),
            "bluesky": [str(r["value"]["text"]) for r in self.bluesky.records.values()],
        }

    def env(self, platform: str, account: str) -> dict[str, str]:
        values: dict[str, str]
        if platform == "x":
            values = {
                "api_key": self.x.keys[0],
                "api_secret": self.x.keys[1],
                "access_token": self.x.keys[2],
                "access_token_secret": self.x.keys[3],
                "api_base": self.x.url,
            }
        elif platform == "facebook":
            values = {
                "page_id": self.graph.page_id,
                "page_token": GRAPH_TOKEN,
                "graph_url": self.graph.url,
            }
        elif platform == "mastodon":
            values = {"base_url": self.mastodon.url, "access_token": mastodon_stub.TOKEN}
        else:
            values = {
                "service": self.bluesky.url,
                "handle": f"{account}.stub",
                "app_password": PASSWORD,
            }
        return {env_name(platform, account, name): v for name, v in values.items()}


def campaign(platform: str, account: str, posts: int, at: dt.datetime) -> str:
    day = at.date()
    body = "".join(
        f"  - id: p{i:02d}\n    at: {at:%Y-%m-%d %H:%M}\n"
        f"    text: Launch day for {account} on {platform}, post {i} of {posts}\n"
        for i in range(posts)
    )
    return (
        f"version: 1\nname: Rush {platform} {account}\nslug: rush-{platform}-{account}\n"
        f"timezone: Etc/UTC\ndates: {{start: {day}, end: {day + dt.timedelta(days=1)}}}\n"
        f"platforms: [{platform}]\naccounts: {{{platform}: {account}}}\nposts:\n{body}"
    )


def environment(folder: Path) -> dict[str, str]:
    """A ``clarion`` process's environment: a ledger, folders and tokens of its own in
    ``folder``, no ``CLARION_*`` variable of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env.update(
        CLARION_DATABASE_URL=f"sqlite:///{folder / 'ledger.sqlite3'}",
        CLARION_ENV_FILE=str(folder / "none.env"),
        CLARION_TOKEN_STORE="file",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        XDG_DATA_HOME=str(folder / "data"),
        XDG_STATE_HOME=str(folder / "state"),
        XDG_CONFIG_HOME=str(folder / "config"),
        XDG_CACHE_HOME=str(folder / "cache"),
        NO_COLOR="1",
    )
    return env


def one_rush(
    workers: int, accounts: int, posts: int, latency: float, platforms: tuple[str, ...] = PLATFORMS
) -> dict[str, Any]:
    total = accounts * posts
    with tempfile.TemporaryDirectory(prefix="clarion-rush-") as tmp, Stubs(latency, total) as stubs:
        folder = Path(tmp)
        env = environment(folder)
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        files = []
        for n in range(accounts):
            platform, account = platforms[n % len(platforms)], f"acct{n:02d}"
            env.update(stubs.env(platform, account))
            path = folder / f"{platform}-{account}.yaml"
            path.write_text(campaign(platform, account, posts, now))
            files.append(str(path))
        done = subprocess.run(
            [*CLARION, "schedule", *files], env=env, cwd=folder, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"schedule failed:\n{done.stdout}\n{done.stderr}")
        cmd = [*CLARION, "run-due", "--workers", str(workers), "--grace", "1h", "--log-file", "-"]
        started = time.time()
        stubs_cpu = time.process_time()
        with open(folder / "out", "w+") as out, open(folder / "err", "w+") as err:
            proc = subprocess.Popen(cmd, env=env, cwd=folder, stdout=out, stderr=err, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.time() - started
            stubs_cpu = time.process_time() - stubs_cpu
            out.seek(0)
            err.seek(0)
            run = subprocess.CompletedProcess(
                cmd, os.waitstatus_to_exitcode(status), out.read(), err.read()
            )
        if run.returncode != 0:
            raise SystemExit(f"run-due exited {run.returncode}:\n{run.stderr[-2000:]}")
        ledger = open_ledger(env["CLARION_DATABASE_URL"])
        try:
            rows = ledger.rows()
            late = []
            for row in rows:
                [published] = [e for e in ledger.events(row.key) if e.to_state == State.PUBLISHED]
                late.append(published.at_ms / 1000 - started)
        finally:
            ledger.close()
        received = stubs.received()
        counts = Counter(t for texts in received.values() for t in texts)
        assert len(rows) == total and {r.state for r in rows} == {State.PUBLISHED}
        assert len(counts) == total and set(counts.values()) == {1}, "not each post exactly once"
        late.sort()
        return {
            "workers": workers,
            "wall": wall,
            "last": late[-1],
            "p50": statistics.median(late),
            "p99": late[int(0.99 * (len(late) - 1))],
            "per_platform": {p: len(t) for p, t in received.items()},
            "sessions": stubs.bluesky.sessions,
            "cpu": usage.ru_utime + usage.ru_stime,
            "stubs_cpu": stubs_cpu,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--posts", type=int, default=20, help="posts per account")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per post")
    parser.add_argument("--workers", default="64,32,1", help="run-due --workers, one run each")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="(to look at one)")
    args = parser.parse_args()
    platforms = tuple(args.platforms.split(","))
    limit = args.posts * args.latency
    total = args.accounts * args.posts
    print(
        f"# {total} deliveries due at one minute, {args.accounts} accounts on "
        f"{len(platforms)} platforms, {args.latency * 1000:.0f} ms per post; physical limit "
        f"{args.posts} x {args.latency * 1000:.0f} ms = {limit:.1f} s; target <= {2 * limit:.1f} s"
    )
    results = [
        one_rush(int(w), args.accounts, args.posts, args.latency, platforms)
        for w in args.workers.split(",")
    ]
    for r in results:
        print(
            f"workers {r['workers']:>3}: last send {r['last']:6.2f} s ({r['last'] / limit:5.2f} x "
            f"the limit), lateness p50 {r['p50']:6.2f} s, p99 {r['p99']:6.2f} s, run-due wall "
            f"{r['wall']:6.2f} s, its CPU {r['cpu']:5.1f} s (the stubs' {r['stubs_cpu']:5.1f} s); "
            f"each post once ({r['per_platform']})"
        )
    base = next((r for r in results if r["workers"] == 1), None)
    if base is not None:
        for r in results:
            if r is not base:
                print(
                    f"workers {r['workers']} vs 1: last send {r['last'] / base['last']:.3f} of "
                    f"the sequential time"
                )


if __name__ == "__main__":
    main()
