from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from clarion.checking import check_files
from clarion.cli.schedule import to_ledger
from clarion.engine import Engine, RunOptions, RunReport
from clarion.ledger.rows import SyncReport, ms
from clarion.ledger.store import Ledger
from clarion.render.cards import prepare
from tests.fakes import factory

WEEK = """\
version: 1
name: Test Week
slug: week
timezone: Europe/London
dates: {start: 2022-07-04, end: 2022-07-09}
platforms: [mastodon]
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: Launch
    thread:
      - text: Launch part two
  - id: day2
    at: 2022-07-05 09:00
    text: Day two
  - id: day3
    at: 2022-07-06 09:00
    text: Day three
"""


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def schedule(
    ledger: Ledger, folder: Path, text: str = WEEK, name: str = "week.yaml"
) -> list[SyncReport]:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    result = check_files([path], [name], prepare=prepare)
    assert result.ok, result.problems
    reports = []
    for loaded in result.campaigns:
        mine = [d for d in result.deliveries if d.campaign == loaded.slug]
        reports.append(ledger.sync(to_ledger(loaded), mine, "test", ms(dt.datetime.now(dt.UTC))))
    return reports


def run(ledger: Ledger, now: str | dt.datetime, **options: object) -> RunReport:
    """A run that acts as if it were ``now`` (``run-due --pretend-now``); with
    ``dry_run=True``, a rehearsal of that instant (``run-due --now``)."""
    at = utc(now) if isinstance(now, str) else now
    opts = RunOptions(now=at, backoff_base_ms=1000, backoff_cap_ms=4000, **options)  # type: ignore[arg-type]
    return Engine(ledger, factory, actor="test-worker").run(opts)


def states(ledger: Ledger) -> dict[str, str]:
    return {r.key: r.state.value for r in ledger.rows()}
