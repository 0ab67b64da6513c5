"""``clarion report --refresh``: the counts of 1,000 published posts over four platforms.

    .venv/bin/python benchmarks/bench_report.py [--posts 250] [--latency 0.1] [--rounds 3]

One account per platform (X, Facebook, Mastodon, Bluesky) publishes ``--posts`` posts through the
real ``clarion run-due`` to the tests' stubs (tests/servers/x_stub.py, graph_stub.py,
mastodon_stub.py; for Bluesky the PDS stand-in of this folder, and tests/servers/appview_stub.py
as the AppView counts are read from). Then every stub answers each request after ``--latency``
seconds, and for ``--rounds`` rounds, interleaved so both see the same machine:

* the baseline: ``clarion report --format json`` without reading (start-up, the ledger, the
  page: everything but the platforms), and
* ``clarion report --refresh --yes --format json``: every post read again.

Reported: the calls each platform received against the batching minimum (posts / the platform's
``metrics_batch``, rounded up); the median wall time of each; the reading's own time (refresh -
baseline) against the physical floor (the slowest platform's calls, ``metrics_parallel`` at a time,
each ``latency`` long) as a ratio. This is not a test: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import ROOT
from bench_rush import CLARION, PLATFORMS, Stubs, campaign, environment

sys.path.insert(0, str(ROOT))  # the tests' stubs

from clarion import platforms
from tests.servers.appview_stub import AppviewStub


def clarion(env: dict[str, str], folder: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [*CLARION, *args], env=env, cwd=folder, capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"clarion {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return seconds, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=250, help="posts per platform")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    posts, latency = args.posts, args.latency
    with (
        tempfile.TemporaryDirectory(prefix="clarion-report-") as tmp,
        Stubs(0.0, 0) as stubs,
        AppviewStub(default={"likes": 3, "reposts": 1, "replies": 0, "quotes": 0}) as appview,
    ):
        folder = Path(tmp)
        env = environment(folder)
        env["CLARION_BLUESKY_APPVIEW"] = appview.url
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        files, slugs = [], []
        for platform in PLATFORMS:
            env.update(stubs.env(platform, "team"))
            path = folder / f"{platform}.yaml"
            path.write_text(campaign(platform, "team", posts, now))
            files.append(str(path))
            slugs.append(f"rush-{platform}-team")
        clarion(env, folder, "schedule", *files)
        sent, _ = clarion(env, folder, "run-due", "--workers", "8", "--grace", "1h")
        print(f"# published {posts * len(PLATFORMS)} posts in {sent:.1f} s (stubs without latency)")

        stubs.x.latency = latency
        stubs.graph.latency = latency
        stubs.mastodon.latency = latency
        appview.latency = latency

        def reads() -> dict[str, int]:
            return {
                "x": len(stubs.x.requests("GET /2/tweets")),
                "facebook": len(stubs.graph.requests("ids")),
                "mastodon": stubs.mastodon.count_reads(),
                "bluesky": len(appview.calls),
            }

        # the first report reads every post (never read); the baselines then read nothing
        first, _ = clarion(env, folder, "report", *slugs, "--yes", "--format", "json")
        print(f"# first report (reads every post): {first:.2f} s")
        base: list[float] = []
        full: list[float] = []
        calls: list[dict[str, int]] = []
        said = ""
        for _ in range(args.rounds):
            base.append(clarion(env, folder, "report", *slugs, "--format", "json")[0])
            before = reads()
            seconds, said = clarion(
                env, folder, "report", *slugs, "--refresh", "--yes", "--format", "json"
            )
            full.append(seconds)
            after = reads()
            calls.append({p: after[p] - before[p] for p in PLATFORMS})

    minimum = {p: math.ceil(posts / platforms.get(p).metrics_batch) for p in PLATFORMS}
    floor = max(
        math.ceil(minimum[p] / platforms.get(p).metrics_parallel) * latency for p in PLATFORMS
    )
    print(f"# {posts} posts on each of {', '.join(PLATFORMS)}; every answer after {latency} s")
    for p in PLATFORMS:
        made = sorted({c[p] for c in calls})
        facts = platforms.get(p)
        print(
            f"{p:<9} calls {made} (batching minimum {minimum[p]}: {facts.metrics_batch} a call, "
            f"{facts.metrics_parallel} at a time)"
        )
    b, f = statistics.median(base), statistics.median(full)
    print(f"report without reading (baseline): median {b:.2f} s")
    print(f"report --refresh:                  median {f:.2f} s (target <= 10 s)")
    print(
        f"reading alone: {f - b:.2f} s; physical floor {floor:.2f} s; ratio {(f - b) / floor:.2f}"
    )
    print("clarion said: " + json.dumps(said.strip().splitlines()[-1:]))


if __name__ == "__main__":
    main()
