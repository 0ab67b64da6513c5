"""The HTML preview at scale: 200 campaigns x 50 posts x 4 platforms = 40,000 deliveries.

    .venv/bin/python benchmarks/bench_html.py [--rounds 3] [--campaigns 200] [--no-browser]

Reports, for the campaigns of ``bench_validate`` (same generator):

* `clarion preview --format html -o FILE` against `clarion preview --format json` of the same
  files (each one process, medians of interleaved runs): the ratio, and both wall times;
* `clarion.render.html.render` alone (checking done beforehand, in this process): wall and CPU
  time, with weeks built in parallel (the default) and in one process; target <= 5 s;
* the page's size, and (with Debian's Chromium) how long it takes to open, to switch to another
  week and to filter it: "the page stays usable".

Figures go in docs/performance.md. This is not a test: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import ROOT, median_pair, run
from bench_validate import CLARION, bytecode_cache, generate

sys.path.insert(0, str(ROOT / "src"))

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def commands(files: list[str], out: Path, rounds: int) -> None:
    html_cmd = [*CLARION, "preview", "--format", "html", "-o", str(out), *files]
    json_cmd = [*CLARION, "preview", "--format", "json", *files]
    # exit status 0 expected from both (the generated campaigns are valid)
    assert run(html_cmd).code == 0, "clarion preview --format html failed"
    html_t, json_t = median_pair(html_cmd, json_cmd, rounds)
    print(
        f"preview --format html {html_t:.2f} s vs --format json {json_t:.2f} s "
        f"(same files, whole command): ratio {html_t / json_t:.2f}"
    )
    print(f"page size {out.stat().st_size / 1e6:.1f} MB")


def render_only(files: list[str], rounds: int) -> None:
    from clarion.checking import check_files
    from clarion.render import html

    result = check_files([Path(f) for f in files])
    assert result.ok, result.problems[:3]
    html.render(result, result.deliveries[:50])  # template compiled, modules imported
    for label, workers in (("parallel (default)", None), ("one process", 1)):
        walls, cpus = [], []
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            html.render(result, result.deliveries, workers=workers)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_t = statistics.median(walls)
        print(
            f"render() of {len(result.deliveries):,} deliveries, {label}: median wall "
            f"{wall_t:.2f} s (this process's CPU {statistics.median(cpus):.2f} s); "
            f"target <= 5 s: {'met' if wall_t <= 5 else 'NOT met'}"
        )


def browser(page_file: Path) -> None:
    if not CHROMIUM.exists():
        print("browser: skipped (no /usr/bin/chromium; scripts/ensure-chromium installs it)")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            start = time.perf_counter()
            page.goto(page_file.as_uri())
            opened = time.perf_counter() - start
            cards = page.locator("article.card").count()
            start = time.perf_counter()
            page.select_option("#week", index=page.locator("#week option").count() // 2)
            switched = time.perf_counter() - start
            start = time.perf_counter()
            page.click('button[data-value="mastodon"]')
            filtered = time.perf_counter() - start
            print(
                f"browser: page open {opened:.2f} s with {cards:,} cards in the DOM (one week); "
                f"switch week {switched:.2f} s; filter by platform {filtered:.2f} s; "
                f"status: {page.inner_text('#status')}"
            )
        finally:
            chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    pycache = tempfile.TemporaryDirectory(prefix="clarion-bench-pyc-")
    bytecode_cache(pycache.name)
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp) / "n", args.campaigns)
        deliveries = args.campaigns * 50 * 4
        print(f"# {args.campaigns} campaigns x 50 posts x 4 platforms = {deliveries:,} deliveries")
        out = Path(tmp) / "week.html"
        commands(files, out, args.rounds)
        render_only(files, args.rounds)
        if not args.no_browser:
            browser(out)


if __name__ == "__main__":
    main()
