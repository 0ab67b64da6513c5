"""Weeks with a daylight-saving change: every post goes out once, at its own UTC instant.

Each week is rehearsed as cron would run it (``run-due --now``, here ``Engine.run(now=...)``):
every minute across the change, and just before, at and just after each due instant. The fake
platform notes the rehearsal instant of each post it receives; the expected instants are worked
out here with :mod:`zoneinfo`, and spot-checked against offsets written out by hand.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clarion.checking import check_files
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Request
from tests.fakes import FakeAdapter, FakePlatform
from tests.ledger.helpers import run, schedule, states, utc

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)
DAILY = ("00:30", "09:00", "23:30")


@dataclass(frozen=True)
class Week:
    zone: str
    start: dt.date
    days: int
    #: The instant the clocks change (UTC).
    change: dt.datetime
    #: Extra posts on the day of the change (local times that exist exactly once).
    extra: tuple[str, ...]
    #: Local time -> its UTC instant, written out by hand.
    spot: dict[str, str]
    #: A local time that does not exist or happens twice, and what validation says about it.
    invalid: tuple[str, str]

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(self.days)]

    def local_times(self) -> list[dt.datetime]:
        times = [
            dt.datetime.combine(day, dt.time.fromisoformat(t)) for day in self.dates for t in DAILY
        ]
        times += [dt.datetime.fromisoformat(t) for t in self.extra]
        return sorted(times)

    def campaign(self, times: list[dt.datetime] | None = None) -> str:
        posts = "".join(
            f"  - id: at-{t:%m%d-%H%M}\n    at: {t:%Y-%m-%d %H:%M}\n    text: Post for {t:%c}\n"
            for t in (times if times is not None else self.local_times())
        )
        return (
            f"version: 1\nname: DST week\nslug: dst\ntimezone: {self.zone}\n"
            f"dates: {{start: {self.dates[0]}, end: {self.dates[-1]}}}\n"
            f"platforms: [mastodon]\nposts:\n{posts}"
        )


WEEKS = {
    # UK clocks go forward on Sunday 31 March 2024 at 01:00 GMT (01:00-01:59 does not exist).
    "london-spring": Week(
        "Europe/London",
        dt.date(2024, 3, 27),
        7,
        utc("2024-03-31T01:00:00Z"),
        ("2024-03-31 00:59", "2024-03-31 02:00", "2024-03-31 02:01", "2024-03-31 03:00"),
        {
            "2024-03-30 23:30": "2024-03-30T23:30:00Z",
            "2024-03-31 00:59": "2024-03-31T00:59:00Z",
            "2024-03-31 02:00": "2024-03-31T01:00:00Z",
            "2024-03-31 09:00": "2024-03-31T08:00:00Z",
            "2024-04-01 00:30": "2024-03-31T23:30:00Z",
        },
        ("2024-03-31 01:30", "does not exist"),
    ),
    # UK clocks go back on Sunday 27 October 2024 at 01:00 GMT (01:00-01:59 happens twice).
    "london-autumn": Week(
        "Europe/London",
        dt.date(2024, 10, 27),
        7,
        utc("2024-10-27T01:00:00Z"),
        ("2024-10-27 00:59", "2024-10-27 02:00", "2024-10-27 02:01", "2024-10-27 03:00"),
        {
            "2024-10-27 00:30": "2024-10-26T23:30:00Z",
            "2024-10-27 00:59": "2024-10-26T23:59:00Z",
            "2024-10-27 02:00": "2024-10-27T02:00:00Z",
            "2024-10-27 09:00": "2024-10-27T09:00:00Z",
        },
        ("2024-10-27 01:30", "happens twice"),
    ),
    # US clocks go forward on Sunday 10 March 2024 at 2:00 EST (02:00-02:59 does not exist).
    "new-york-spring": Week(
        "America/New_York",
        dt.date(2024, 3, 10),
        7,
        utc("2024-03-10T07:00:00Z"),
        ("2024-03-10 01:59", "2024-03-10 03:00", "2024-03-10 03:01"),
        {
            "2024-03-10 01:59": "2024-03-10T06:59:00Z",
            "2024-03-10 03:00": "2024-03-10T07:00:00Z",
            "2024-03-10 09:00": "2024-03-10T13:00:00Z",
            "2024-03-10 23:30": "2024-03-11T03:30:00Z",
        },
        ("2024-03-10 02:30", "does not exist"),
    ),
    # US clocks go back on Sunday 3 November 2024 at 2:00 EDT (01:00-01:59 happens twice).
    "new-york-autumn": Week(
        "America/New_York",
        dt.date(2024, 11, 3),
        7,
        utc("2024-11-03T06:00:00Z"),
        ("2024-11-03 00:59", "2024-11-03 02:00", "2024-11-03 02:01", "2024-11-03 03:00"),
        {
            "2024-11-03 00:30": "2024-11-03T04:30:00Z",
            "2024-11-03 00:59": "2024-11-03T04:59:00Z",
            "2024-11-03 02:00": "2024-11-03T07:00:00Z",
            "2024-11-04 00:30": "2024-11-04T05:30:00Z",
        },
        ("2024-11-03 01:30", "happens twice"),
    ),
}


def expected_instants(week: Week) -> dict[str, dt.datetime]:
    """Delivery key -> when it must go out, by zoneinfo (each local time exists exactly once)."""
    tz = ZoneInfo(week.zone)
    out = {}
    for t in week.local_times():
        early, late = t.replace(tzinfo=tz, fold=0), t.replace(tzinfo=tz, fold=1)
        assert early.utcoffset() == late.utcoffset(), f"{t} is not a single instant"
        out[f"dst:at-{t:%m%d-%H%M}:mastodon"] = early.astimezone(UTC)
    return out


def rehearsal(expected: dict[str, dt.datetime], change: dt.datetime) -> list[dt.datetime]:
    """Every minute for two hours either side of the change, and around every due instant."""
    instants = {change + n * MINUTE for n in range(-120, 121)}
    for due in expected.values():
        instants |= {due - MINUTE, due - SECOND, due, due + SECOND, due + MINUTE}
    return sorted(instants)


@pytest.mark.parametrize("name", list(WEEKS))
def test_a_dst_week_sends_every_post_once_at_its_utc_instant(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    week = WEEKS[name]
    expected = expected_instants(week)
    assert len(expected) == 3 * week.days + len(week.extra)
    for local, instant in week.spot.items():  # zoneinfo agrees with the offsets written by hand
        key = f"dst:at-{dt.datetime.fromisoformat(local):%m%d-%H%M}:mastodon"
        assert expected[key] == utc(instant), local
    schedule(ledger, tmp_path, week.campaign())
    planned = {r.key: r.due for r in ledger.rows()}
    assert planned == expected

    clock: list[dt.datetime] = []
    sent: list[tuple[str, dt.datetime]] = []

    def note(request: Request) -> None:
        sent.append((request.key, clock[-1]))

    monkeypatch.setattr(FakeAdapter, "on_publish", note)
    instants = rehearsal(expected, week.change)
    for now in instants:
        clock.append(now)
        run(ledger, now)
    # the whole week again, as if the clock had been set back: nothing goes out twice
    for now in instants:
        clock.append(now)
        run(ledger, now)

    received = Counter(p["key"] for p in FakeAdapter.platforms[("mastodon", "default")].received)
    assert received == Counter(expected.keys())  # each once, none dropped
    assert dict(sent) == expected  # each at its own instant, not a minute or an hour off
    assert set(states(ledger).values()) == {"published"}
    # in the order of the real (UTC) clock, whatever the wall clock showed
    assert [k for k, _ in sent] == sorted(expected, key=lambda k: (expected[k], k))


def test_the_changes_really_are_in_these_weeks() -> None:
    for name, week in WEEKS.items():
        tz = ZoneInfo(week.zone)
        before = (week.change - SECOND).astimezone(tz).utcoffset()
        after = week.change.astimezone(tz).utcoffset()
        assert before != after, name
        assert week.dates[0] <= week.change.astimezone(tz).date() <= week.dates[-1], name


@pytest.mark.parametrize("name", list(WEEKS))
def test_a_local_time_the_change_skips_or_repeats_is_refused(tmp_path: Path, name: str) -> None:
    week = WEEKS[name]
    local, why = week.invalid
    path = tmp_path / "week.yaml"
    path.write_text(week.campaign([dt.datetime.fromisoformat(local)]))
    result = check_files([path], ["week.yaml"])
    assert not result.ok and result.deliveries == []
    assert len(result.problems) == 1
    assert why in result.problems[0].message, result.problems[0].message


def test_lateness_across_the_gap_is_real_time_not_wall_time(ledger: Ledger, tmp_path: Path) -> None:
    """Runs stop at 00:57 GMT and resume at 02:14 BST: 17 minutes later, though the wall clock
    moved 77. Posts are judged by real lateness against the 15 minute grace window."""
    week = WEEKS["london-spring"]
    times = [dt.datetime(2024, 3, 31, 0, 58), dt.datetime(2024, 3, 31, 0, 59)]
    times.append(dt.datetime(2024, 3, 31, 2, 0))
    schedule(ledger, tmp_path, week.campaign(times))
    assert run(ledger, utc("2024-03-31T00:57:00Z")).results == []
    report = run(ledger, utc("2024-03-31T01:14:00Z"))
    assert {r.key: r.state.value for r in report.results} == {
        "dst:at-0331-0058:mastodon": "missed",  # 16 minutes late
        "dst:at-0331-0059:mastodon": "published",  # 15 minutes late: just within grace
        "dst:at-0331-0200:mastodon": "published",  # 14 minutes late (01:00 UTC)
    }
    assert run(ledger, utc("2024-03-31T01:15:00Z")).results == []
    fake: FakePlatform = FakeAdapter.platforms[("mastodon", "default")]
    assert Counter(p["key"] for p in fake.received) == {
        "dst:at-0331-0059:mastodon": 1,
        "dst:at-0331-0200:mastodon": 1,
    }
