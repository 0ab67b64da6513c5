"""The ledger at scale: the cron fast path, claim cost, and many workers on PostgreSQL.

    .venv/bin/python benchmarks/bench_ledger.py [--rows 1000000] [--rounds 15] [--claims 200]

Reports, each figure on one line:

1. `clarion run-due` (the real console script) with nothing due, on a SQLite ledger of --rows past
   deliveries (all published, spread over ten past years, one event each), against
   `python -c "import tweepy"`, as a ratio of medians measured interleaved; then the same with a
   few pending deliveries due in the future (still nothing due now).
2. The cost of one `Ledger.claim()` of 5 due deliveries (put back to pending with a
   direct UPDATE after each), in-process, on a ledger of 1,000 rows against one of --rows rows
   with the same due ones: medians and their ratio; on SQLite, and on PostgreSQL when a server
   can be started here (as in tests/pg.py).
3. Throughput on PostgreSQL against the fake platform of tests/fake_http.py (run in this process)
   with 100 ms per post: `clarion run-due --allow-overlap` as 1 worker (200 deliveries) and as 20
   concurrent workers (2,000 deliveries), each run with the CPU time it took (workers, fake
   platform, PostgreSQL); --throughput-rounds runs of each, interleaved; the ratio of the median
   rates in deliveries per second; and, for every 20-worker run, a check that the platform
   received every delivery exactly once (counted by idempotency key) and the ledger says so too.

Ledgers are built with direct SQL (executemany on SQLite, COPY on PostgreSQL) after opening them
once with `open_ledger`, so the schema is Clarion's own. This is not a test: these machines are
shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from _measure import PYTHON, ROOT, median_pair

from clarion.delivery import idempotency_key
from clarion.ledger import open_ledger
from clarion.ledger.store import Ledger

_SCRIPT = Path(PYTHON).parent / "clarion"
# The console script people run (falls back to python -m clarion outside a venv).
CLARION = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "clarion"]

SMALL = 1_000  # rows of the small ledger in the claim comparison
FUTURE = 10  # pending deliveries due in the future
DUE = 5  # due deliveries in the claim comparison (one claim's batch)
DAY_MS = 86_400_000
GRACE_MS = 15 * 60_000
PLATFORMS = ("x", "facebook", "mastodon", "bluesky")

DELIVERY_COLUMNS = (
    "id",
    "key",
    "campaign",
    "post",
    "platform",
    "account",
    "due_ms",
    "grace_ms",
    "thread_index",
    "payload",
    "payload_hash",
    "content",
    "content_hash",
    "zone",
    "state",
    "attempts",
    "idempotency_key",
    "platform_id",
    "platform_url",
    "created_ms",
    "updated_ms",
)
EVENT_COLUMNS = ("id", "delivery_id", "at_ms", "actor", "from_state", "to_state", "reason")


# --- building ledgers with direct SQL -----------------------------------------------------------


def _insert(ledger: Ledger, table: str, columns: tuple[str, ...], rows: Iterable[Any]) -> None:
    db = ledger.db
    names = ", ".join(columns)
    with db.transaction():
        if db.dialect == "postgresql":
            conn: Any = db.conn
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            db.conn.executemany(sql, rows)


def populate(
    ledger: Ledger,
    first: int,
    count: int,
    state: str,
    due_of: Callable[[int], int],
    campaign_of: Callable[[int], str],
    now_ms: int,
) -> None:
    """Add deliveries with ids first .. first+count-1 (and one event each), in two statements."""
    ids = range(first, first + count)
    slugs = sorted({campaign_of(i) for i in ids})
    with ledger.db.transaction():
        for slug in slugs:
            ledger.db.execute(
                "INSERT INTO campaigns (slug, name, file, timezone, grace_ms, paused, synced_ms) "
                "VALUES (?, ?, ?, 'Europe/London', ?, 0, ?) ON CONFLICT DO NOTHING",
                (slug, f"Benchmark {slug}", f"campaigns/{slug}.yaml", GRACE_MS, now_ms),
            )
    done = state == "published"

    def deliveries() -> Iterator[tuple[Any, ...]]:
        for i in ids:
            slug = campaign_of(i)
            platform = PLATFORMS[i % len(PLATFORMS)]
            key = f"{slug}:post-{i}:{platform}"
            due = due_of(i)
            payload = json.dumps({"text": f"Post {i} of {slug}: co-production week #Clarion"})
            digest = f"{i:064x}"
            yield (
                i,
                key,
                slug,
                f"post-{i}",
                platform,
                "default",
                due,
                GRACE_MS,
                0,
                payload,
                digest,
                payload,
                digest,
                "Europe/London",
                state,
                1 if done else 0,
                f"{i:032x}" if done else None,
                str(i) if done else None,
                f"https://example.org/{platform}/{i}" if done else None,
                due - 7 * DAY_MS,
                due + 1000 if done else now_ms,
            )

    def events() -> Iterator[tuple[Any, ...]]:
        for i in ids:
            if done:
                yield (i, i, due_of(i) + 1000, "bench", "sending", "published", "published")
            else:
                yield (i, i, now_ms, "bench", None, state, "scheduled from the campaign file")

    _insert(ledger, "deliveries", DELIVERY_COLUMNS, deliveries())
    _insert(ledger, "events", EVENT_COLUMNS, events())
    if ledger.db.dialect == "postgresql":  # ids were given: move the sequences past them
        for table in ("deliveries", "events"):
            ledger.db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )


def add_past(ledger: Ledger, rows: int, now_ms: int) -> None:
    """``rows`` published deliveries spread evenly over the ten years before yesterday."""
    span = 10 * 365 * DAY_MS
    start = now_ms - DAY_MS - span
    step = max(1, span // max(1, rows))
    populate(
        ledger,
        1,
        rows,
        "published",
        lambda i: start + i * step,
        lambda i: f"week-{i // 2000:04d}",
        now_ms,
    )


def add_future(ledger: Ledger, first: int, now_ms: int) -> None:
    populate(
        ledger,
        first,
        FUTURE,
        "pending",
        lambda i: now_ms + (i - first + 1) * DAY_MS,
        lambda i: "next-week",
        now_ms,
    )


def add_due(ledger: Ledger, first: int, count: int, now_ms: int, slug: str = "this-week") -> None:
    """``count`` pending deliveries due in the last few minutes before now_ms."""
    populate(
        ledger,
        first,
        count,
        "pending",
        lambda i: now_ms - 5 * 60_000 + (i - first),
        lambda i: slug,
        now_ms,
    )


def build(url: str, rows: int, now_ms: int) -> float:
    """Create the ledger at url with ``rows`` past deliveries; the seconds it took."""
    start = time.perf_counter()
    ledger = open_ledger(url)
    try:
        add_past(ledger, rows, now_ms)
        if ledger.db.dialect == "postgresql":
            ledger.db.execute("ANALYZE")  # what autovacuum does soon after a load
    finally:
        ledger.close()
    return time.perf_counter() - start


def extend(url: str, rows: int, what: Callable[[Ledger, int], None]) -> None:
    ledger = open_ledger(url)
    try:
        (last,) = ledger.db.query("SELECT MAX(id) FROM deliveries")[0]
        what(ledger, int(last or rows) + 1)
        if ledger.db.dialect == "postgresql":
            ledger.db.execute("ANALYZE deliveries")
    finally:
        ledger.close()


# --- 1. run-due with nothing due ---------------------------------------------------------------


def nothing_due(label: str, url: str, rounds: int, state_home: Path) -> None:
    cmd = [*CLARION, "--database", url, "run-due"]
    check = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if check.returncode != 0 or check.stdout or check.stderr:
        raise SystemExit(f"run-due failed on {label}: {check.returncode} {check.stderr}")
    # The full path logs to the default log file (under XDG_STATE_HOME); the fast path does not.
    fast = not any(state_home.rglob("clarion.log"))
    due_t, tweepy_t = median_pair(cmd, [PYTHON, "-c", "import tweepy"], rounds)
    print(
        f"run-due nothing due, {label}: {due_t * 1000:.0f} ms vs import tweepy "
        f"{tweepy_t * 1000:.0f} ms: ratio {due_t / tweepy_t:.2f} (target <= 0.4, aim 0.25)"
        f"{'' if fast else ' [fast path NOT taken]'}"
    )


# --- 2. claim cost against ledger size ----------------------------------------------------------


def claim_cost(dialect: str, urls: dict[int, str], now_ms: int, claims: int) -> None:
    ledgers = {rows: open_ledger(url) for rows, url in urls.items()}
    times: dict[int, list[float]] = {rows: [] for rows in ledgers}
    try:
        for n in range(10 + claims):  # 10 warm-up rounds, not counted
            order = list(ledgers.items())
            if n % 2:
                order.reverse()  # neither ledger always goes first
            for rows, ledger in order:
                start = time.perf_counter()
                got = ledger.claim(now_ms, "bench", now_ms + 300_000, DUE)
                elapsed = time.perf_counter() - start
                if len(got) != DUE:
                    raise SystemExit(f"claim on {rows} rows returned {len(got)}, not {DUE}")
                marks = ", ".join("?" for _ in got)
                ledger.db.execute(
                    "UPDATE deliveries SET state = 'pending', lease_owner = NULL, "
                    f"lease_until_ms = NULL WHERE id IN ({marks})",
                    tuple(r.id for r in got),
                )
                if n >= 10:
                    times[rows].append(elapsed)
    finally:
        for ledger in ledgers.values():
            ledger.close()
    (small, large) = sorted(times)
    s, b = statistics.median(times[small]), statistics.median(times[large])
    print(
        f"claim {DUE} due, {dialect:10s}: {small:,} rows {s * 1000:.2f} ms, {large:,} rows "
        f"{b * 1000:.2f} ms (medians of {claims}): ratio {b / s:.2f} (target <= 1.2)"
    )


# --- 3. throughput on PostgreSQL ----------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    """User + system time of a process and of its reaped children, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime


def _postgres_cpu(pg: Any) -> float:
    """CPU seconds so far of the PostgreSQL server (its backends count once they have exited)."""
    try:
        pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        return _cpu_ticks(pid) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def throughput(
    pg: Any, folder: Path, workers: int, count: int, latency_ms: float, run: int
) -> tuple[float, bool]:
    """Deliveries per second of ``workers`` concurrent run-due processes over ``count`` due ones,
    and whether the platform received each exactly once (printed for more than one worker)."""
    from tests.fake_http import TOKEN, FakePlatformServer

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    now_ms = int(now.timestamp() * 1000)
    url = pg.new_database(f"throughput_{workers}_{run}")
    ledger = open_ledger(url)
    try:
        add_due(ledger, 1, count, now_ms, slug=f"throughput-{workers}")
        ledger.db.execute("ANALYZE")
        keys = [r[0] for r in ledger.db.query("SELECT key FROM deliveries")]
    finally:
        ledger.close()
    home = folder / f"workers-{workers}-{run}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    with FakePlatformServer(token=TOKEN, latency_ms=latency_ms) as fake:
        env.update(
            PYTHONPATH=str(ROOT),
            CLARION_ADAPTERS="*=tests.fake_http:HttpFakeAdapter",
            CLARION_FAKE_URL=fake.url,
            CLARION_FAKE_TOKEN=TOKEN,
            CLARION_FAKE_TIMEOUT="60",
            XDG_DATA_HOME=str(home / "data"),
            XDG_STATE_HOME=str(home / "state"),
            NO_COLOR="1",
        )
        cmd = [
            *CLARION,
            "--database",
            url,
            "run-due",
            "--allow-overlap",
            "--pretend-now",
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "--grace",
            "1h",
            "--log-file",
            "-",
        ]
        procs: list[subprocess.Popen[bytes]] = []
        codes: list[int] = []
        worker_cpu = 0.0
        self_cpu, pg_cpu = time.process_time(), _postgres_cpu(pg)
        try:
            start = time.perf_counter()
            for n in range(workers):
                with (home / f"{n}.err").open("wb") as err:
                    procs.append(
                        subprocess.Popen(
                            cmd, cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=err
                        )
                    )
            for p in procs:
                _, status, usage = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                codes.append(p.returncode)
                worker_cpu += usage.ru_utime + usage.ru_stime
            elapsed = time.perf_counter() - start
        finally:
            for p in procs:
                if p.returncode is None and p.poll() is None:
                    p.kill()
                    p.wait()
        self_cpu, pg_cpu = time.process_time() - self_cpu, _postgres_cpu(pg) - pg_cpu
        received = fake.counts()
    for n, code in enumerate(codes):
        if code != 0:
            tail = (home / f"{n}.err").read_text(errors="replace")[-800:]
            print(f"  ! worker {n} exited {code}: {tail}")
    rate = count / elapsed
    busy = (worker_cpu + self_cpu + pg_cpu) / elapsed
    print(
        f"run-due postgresql, {workers:2d} worker{'s' if workers > 1 else ' '} (run {run}): "
        f"{count:,} deliveries at {latency_ms:.0f} ms per post in {elapsed:.1f} s = "
        f"{rate:.1f} deliveries/s; CPU s: workers {worker_cpu:.1f}, fake platform "
        f"{self_cpu:.1f}, postgres {pg_cpu:.1f} = {busy:.1f} of {os.cpu_count()} cores"
    )
    ledger = open_ledger(url)
    try:
        sql = "SELECT COUNT(*) FROM deliveries WHERE state = 'published'"
        published = int(ledger.db.query(sql)[0][0])
    finally:
        ledger.close()
    expected = {idempotency_key(k) for k in keys}
    once = sum(1 for k in expected if received[k] == 1)
    missing = sum(1 for k in expected if received[k] == 0)
    extra = sum(c - 1 for c in received.values() if c > 1) + sum(
        c for k, c in received.items() if k not in expected
    )
    ok = once == count and not extra and published == count
    if workers > 1 or not ok:
        print(
            f"exactly once, {workers} workers (run {run}): {once:,} of {count:,} deliveries "
            f"received once, {missing} missing, {extra} extra posts; ledger says {published:,} "
            f"published: {'OK' if ok else 'FAILED'}"
        )
    return rate, ok


# --- main -----------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[Any]:
    """A PostgreSQL server on 127.0.0.1 (tests/pg.py's), or None when none can be started."""
    sys.path.insert(0, str(ROOT))
    from tests import pg

    if pg._bindir() is None:
        print("# PostgreSQL: server binaries not installed; PostgreSQL figures skipped")
        yield None
        return
    server = contextlib.contextmanager(pg.postgres_server)(None)
    try:
        started = server.__enter__()
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"# PostgreSQL: could not start a server ({exc}); PostgreSQL figures skipped")
        yield None
        return
    print(
        f"# PostgreSQL server (tests/pg.py's: fsync=off) at 127.0.0.1:{started.port}, "
        f"data in {started.datadir}"
    )
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: workers killed, servers stopped, folders removed


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command in part 1")
    parser.add_argument("--claims", type=int, default=200, help="claims timed per ledger")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--deliveries", type=int, default=2_000, help="for the concurrent run")
    parser.add_argument("--single", type=int, default=200, help="deliveries for the 1-worker run")
    parser.add_argument("--throughput-rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=100, help="ms per post on the fake")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    now_ms = int(time.time() * 1000)

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ledger-")))
        # Nothing of the runs below lands in this user's real folders.
        os.environ["XDG_DATA_HOME"] = str(tmp / "xdg-data")
        os.environ["XDG_STATE_HOME"] = str(tmp / "xdg-state")
        os.environ.pop("CLARION_DATABASE_URL", None)

        # 1. and 2. on SQLite
        urls = {n: f"sqlite:///{tmp / f'ledger-{n}.sqlite3'}" for n in (SMALL, args.rows)}
        for rows, url in urls.items():
            took = build(url, rows, now_ms)
            size = Path(url[len("sqlite:///") :]).stat().st_size / 2**20
            print(
                f"# SQLite ledger of {rows:,} published deliveries (+ one event each): "
                f"built in {took:.1f} s, {size:.0f} MB"
            )
        big = urls[args.rows]
        nothing_due(f"{args.rows:,} past", big, args.rounds, tmp / "xdg-state")
        for rows, url in urls.items():
            extend(url, rows, lambda ledger, first: add_future(ledger, first, now_ms))
        nothing_due(f"{args.rows:,} past + {FUTURE} future", big, args.rounds, tmp / "xdg-state")
        for rows, url in urls.items():
            extend(url, rows, lambda ledger, first: add_due(ledger, first, DUE, now_ms))
        claim_cost("sqlite", urls, now_ms, args.claims)

        if args.no_postgres:
            return
        pg = stack.enter_context(postgres())
        if pg is None:
            return
        # 2. on PostgreSQL
        pg_urls = {n: pg.new_database(f"claims_{n}") for n in (SMALL, args.rows)}
        for rows, url in pg_urls.items():
            took = build(url, rows, now_ms)
            extend(url, rows, lambda ledger, first: add_future(ledger, first, now_ms))
            extend(url, rows, lambda ledger, first: add_due(ledger, first, DUE, now_ms))
            print(f"# PostgreSQL ledger of {rows:,} published deliveries: built in {took:.1f} s")
        claim_cost("postgresql", pg_urls, now_ms, args.claims)

        # 3. throughput on PostgreSQL: 1 worker and many, interleaved
        rates: dict[int, list[float]] = {1: [], args.workers: []}
        all_ok = True
        for run in range(1, args.throughput_rounds + 1):
            for workers, count in ((1, args.single), (args.workers, args.deliveries)):
                rate, ok = throughput(pg, tmp, workers, count, args.latency, run)
                rates[workers].append(rate)
                all_ok = all_ok and ok
        one, many = (statistics.median(rates[w]) for w in (1, args.workers))
        print(
            f"throughput {args.workers} workers / 1 worker: median {many:.1f} / {one:.1f} "
            f"deliveries/s over {args.throughput_rounds} runs each = ratio {many / one:.1f} "
            "(target >= 10)"
        )
        print(f"exactly once, all {args.workers}-worker runs: {'OK' if all_ok else 'FAILED'}")


if __name__ == "__main__":
    main()
