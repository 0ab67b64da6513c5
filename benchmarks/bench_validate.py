"""Validate + preview at scale, and start-up cost against its floor.

    .venv/bin/python benchmarks/bench_validate.py [--rounds 7] [--campaigns 200] [--startup-only]

Generates N campaigns × 50 posts × 4 platforms (200 × 50 × 4 = 40,000 deliveries), then reports:

* wall time and peak memory of `clarion validate` and of `clarion preview --format json`
  over all of them (each one process);
* the same for 2N campaigns, as a ratio (doubling the input should at most double the time);
* `clarion --help` against `python -c "import click"`, and `clarion validate` of the example
  against three floors made of the libraries it needs (see ``FLOORS``), each as a ratio of
  medians measured interleaved in the same run (``--startup-only``: just these).

Figures go in docs/performance.md. This is not a test: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
from pathlib import Path

from _measure import PYTHON, ROOT, median_pair, run

_SCRIPT = Path(PYTHON).parent / "clarion"
# The console script people run (falls back to python -m clarion outside a venv).
CLARION = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "clarion"]
EXAMPLE = ROOT / "campaigns" / "coproduction-week-2022.yaml"
WORDS = [
    "co-production",
    "means",
    "working",
    "together",
    "as",
    "equals",
    "with",
    "people",
    "who",
    "use",
    "services",
    "carers",
    "and",
    "staff",
    "sharing",
    "power",
    "from",
    "the",
    "start",
    "café",
    "naïve",
    "😀",
    "日本",
]


def campaign(n: int, posts: int) -> str:
    start = dt.date(2026, 1, 5) + dt.timedelta(days=n % 300)
    lines = [
        "version: 1",
        f"name: Benchmark week {n}",
        f"slug: bench-{n}",
        "timezone: Europe/London",
        f"dates: {{start: {start}, end: {start + dt.timedelta(days=6)}}}",
        "platforms: [x, facebook, mastodon, bluesky]",
        'hashtags: ["#BenchWeek", "#Clarion"]',
        "posts:",
    ]
    for p in range(posts):
        day = p % 7 + 1
        minute = (p * 7) % 60
        words = " ".join(WORDS[(p + k) % len(WORDS)] for k in range(18 + p % 12))
        lines += [
            f"  - id: post-{p}",
            f"    day: {day}",
            f'    time: "{8 + p % 12:02d}:{minute:02d}"',
            f'    text: "Post {p} of week {n}. {words}"',
        ]
        if p % 5 == 0:
            lines.append(f"    link: https://example.org/week/{n}/{p}")
    return "\n".join(lines) + "\n"


def generate(folder: Path, count: int, posts: int = 50) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"bench-{n}.yaml"
        path.write_text(campaign(n, posts), encoding="utf-8")
        paths.append(str(path))
    return paths


# Start-up floors for `clarion validate` of the example, each a `python -c` program.
# * The issue's: the libraries it names (twitter_text does X's counting there; Clarion ports its
#   URL rules instead, see src/clarion/platforms/_urls.py).
# * The strict floor: exactly what `clarion validate` imports from other people's code. `import
#   pydantic` alone loads nothing (pydantic imports lazily), so it imports BaseModel, which any
#   use of pydantic needs.
# * The usable floor: the strict floor plus one tiny model defined and validated once. pydantic
#   defers a good part of its own imports (schema generation, pydantic.fields and .types,
#   annotated_types, the plugin loader with importlib.metadata: 50-70 ms) until the first model
#   class is created, so every program that actually uses pydantic pays them; this is the floor
#   Clarion's own cost is measured against.
FLOORS = {
    "issue's floor": "import click, yaml, pydantic, twitter_text",
    "strict floor": "import click, yaml, regex; from pydantic import BaseModel",
    "usable floor": (
        "import click, yaml, regex; from pydantic import BaseModel\n"
        "class M(BaseModel):\n    a: int\n"
        "M.model_validate({'a': 1})"
    ),
}


def bytecode_cache(folder: str) -> None:
    """Let every child process below load and write compiled bytecode in ``folder``.

    The machines this project runs on may set PYTHONDONTWRITEBYTECODE. The floors' libraries were
    compiled by pip when installed, but Clarion (an editable install) would then be compiled from
    source at every start, some 100 ms that no installed Clarion pays. With PYTHONPYCACHEPREFIX
    every module, Clarion's and the libraries', is loaded from bytecode kept in ``folder``, which
    the first run of each command fills; neither side is compiled while measured.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = folder


def startup(rounds: int) -> None:
    """`clarion --help` and `clarion validate` of the example against their floors."""
    if "PYTHONPYCACHEPREFIX" in os.environ:
        print("# start-up: every module loaded from bytecode (a temporary PYTHONPYCACHEPREFIX)")
    elif os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("# start-up with PYTHONDONTWRITEBYTECODE: Clarion compiled from source at each start")
    for floor in ("import click", *FLOORS.values()):  # fill the bytecode cache
        run([PYTHON, "-c", floor])
    run([*CLARION, "--help"])
    help_t, click_t = median_pair([*CLARION, "--help"], [PYTHON, "-c", "import click"], rounds)
    print(
        f"clarion --help {help_t * 1000:.0f} ms vs import click {click_t * 1000:.0f} ms: "
        f"ratio {help_t / click_t:.2f} (target <= 1.2)"
    )
    validate = [*CLARION, "validate", str(EXAMPLE)]
    assert run(validate).code == 0, "clarion validate of the example failed"
    for label, floor in FLOORS.items():
        val_t, floor_t = median_pair(validate, [PYTHON, "-c", floor], rounds)
        first, *rest = floor.splitlines()
        shown = first + (" + one tiny model defined and validated once" if rest else "")
        print(
            f"clarion validate example {val_t * 1000:.0f} ms vs {label} `{shown}` "
            f"{floor_t * 1000:.0f} ms: ratio {val_t / floor_t:.2f} (target <= 1.2)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="only the start-up ratios (--help, validate of the example against its floors)",
    )
    parser.add_argument(
        "--source",
        action="store_true",
        help="start-up as the environment has it (with PYTHONDONTWRITEBYTECODE, Clarion is "
        "compiled from source at each start) instead of from bytecode on both sides",
    )
    args = parser.parse_args()
    pycache = tempfile.TemporaryDirectory(prefix="clarion-bench-pyc-")
    if not args.source:
        bytecode_cache(pycache.name)
    if args.startup_only:
        startup(args.rounds * 3)
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = generate(Path(tmp) / "n", args.campaigns)
        large = generate(Path(tmp) / "2n", args.campaigns * 2)
        deliveries = args.campaigns * 50 * 4
        print(f"# {args.campaigns} campaigns x 50 posts x 4 platforms = {deliveries:,} deliveries")
        results = {}
        for label, files in (("N", small), ("2N", large)):
            for name, cmd in (
                ("validate", [*CLARION, "validate", *files]),
                ("preview", [*CLARION, "preview", "--format", "json", *files]),
            ):
                runs = [run(cmd) for _ in range(args.rounds)]
                assert all(r.code == 0 for r in runs), f"{name} failed"
                wall = statistics.median(r.seconds for r in runs)
                peak = max(r.peak_mb for r in runs)
                results[(label, name)] = wall
                print(f"{name:9s} {label:2s}: median wall {wall:.2f} s, peak RSS {peak:.0f} MB")
        for name in ("validate", "preview"):
            ratio = results[("2N", name)] / results[("N", name)]
            print(f"{name:9s} 2N/N time ratio: {ratio:.2f} (target <= 2.2)")

    startup(args.rounds * 3)


if __name__ == "__main__":
    main()
