"""The planner: properties (hypothesis) and the exact shape of what it produces."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clarion.campaign.load import Loaded, Source
from clarion.campaign.model import Campaign
from clarion.campaign.schedule import LocalTimeError, to_utc
from clarion.campaign.yamlsafe import SourceMap
from clarion.checking import check, context
from clarion.cli.preview import as_json
from clarion.planner import plan, sort_key
from tests.conftest import HEAD, Run

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
PLATFORMS = ["x", "facebook", "mastodon", "bluesky"]
# Start dates near DST changes in several zones, and ordinary ones.
STARTS = [
    dt.date(2022, 3, 25),
    dt.date(2022, 10, 28),
    dt.date(2022, 3, 11),
    dt.date(2022, 11, 4),
    dt.date(2022, 4, 1),
    dt.date(2022, 7, 4),
    dt.date(2024, 2, 28),
]

words = st.text(alphabet="abcdefghij klmnop", min_size=1, max_size=40).filter(str.strip)


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.sampled_from(STARTS))
    days = draw(st.integers(1, 7))
    end = start + dt.timedelta(days=days - 1)
    tz = ZoneInfo(zone)
    targets = draw(st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=4, unique=True))
    posts = []
    for n in range(draw(st.integers(0, 8))):
        day = draw(st.integers(0, days - 1))
        minutes = draw(st.integers(0, 24 * 60 - 1))
        local = dt.datetime.combine(start + dt.timedelta(days=day), dt.time()) + dt.timedelta(
            minutes=minutes
        )
        try:
            to_utc(local, tz)
        except LocalTimeError:
            continue
        post: dict[str, object] = {"id": f"p{n}", "at": local.strftime("%Y-%m-%d %H:%M")}
        post["text"] = draw(words)
        if draw(st.booleans()):
            post["thread"] = [{"text": draw(words)} for _ in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            post["platforms"] = draw(
                st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=4, unique=True)
            )
        posts.append(post)
    quotes = None
    if draw(st.booleans()):
        times = draw(
            st.lists(
                st.sampled_from(["00:30", "01:30", "02:30", "12:00", "23:45"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        slots = days * len(times)
        items = [{"quote": draw(words), "name": "N"} for _ in range(draw(st.integers(0, slots)))]
        quotes = {"template": "{quote} — {name}", "times": times, "items": items}
    data = {
        "version": 1,
        "name": "T",
        "slug": "t",
        "timezone": zone,
        "dates": {"start": start, "end": end},
        "platforms": targets,
        "hashtags": ["#Tag"],
        "posts": posts,
        "quotes": quotes,
    }
    return Campaign.model_validate(data)


def loaded(campaign: Campaign) -> Loaded:
    return Loaded(Source(Path("/nonexistent/t.yaml"), "t.yaml", SourceMap()), campaign, "t")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(campaigns())
def test_plan_properties(campaign: Campaign) -> None:
    camp = loaded(campaign)
    deliveries, _, problems = check(camp)
    # Quote slots may land in a DST gap; those campaigns must be refused, not guessed.
    assume(not problems)
    tz = ZoneInfo(campaign.timezone)
    # every delivery inside the window
    for d in deliveries:
        assert campaign.dates.start <= d.at.date() <= campaign.dates.end
        assert d.at_utc.tzinfo is dt.UTC
        assert d.at == d.at_utc.astimezone(tz)
    # keys unique
    keys = [d.key for d in deliveries]
    assert len(keys) == len(set(keys))
    # order stable: sorted, and the same every time
    assert deliveries == sorted(deliveries, key=sort_key)
    assert plan(camp, context(camp)).deliveries == deliveries
    # thread parts reply to the part before them, on the same platform
    by_key = {d.key: d for d in deliveries}
    for d in deliveries:
        if d.thread_index == 0:
            assert d.reply_to is None
        else:
            parent = by_key[d.reply_to]  # type: ignore[index]
            assert parent.platform == d.platform and parent.thread_index == d.thread_index - 1
    # one first part per (item, platform)
    firsts = {(d.post, d.platform) for d in deliveries if d.thread_index == 0}
    assert len(firsts) == sum(1 for d in deliveries if d.thread_index == 0)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2037, 12, 31)),
)
def test_local_times_map_to_one_instant_or_are_refused(zone: str, local: dt.datetime) -> None:
    tz = ZoneInfo(zone)
    local = local.replace(second=0, microsecond=0)
    try:
        instant = to_utc(local, tz)
    except LocalTimeError as exc:
        # refused only when the wall time really is missing or doubled
        a, b = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
        assert a.utcoffset() != b.utcoffset()
        assert tz.key in str(exc)
        return
    assert instant.astimezone(tz).replace(tzinfo=None) == local


PLAN = """\
hashtags: ["#Week"]
posts:
  - id: launch
    at: 2022-07-04 09:00
    text: Hello
    link: https://example.org/a
    platforms: [mastodon, facebook]
    variants:
      facebook: {hashtags: []}
    thread:
      - text: Second
      - text: Third
"""


def test_exact_deliveries_of_a_post_with_a_thread(run: Run) -> None:
    result = run(HEAD + PLAN)
    assert result.problems == []
    got = [(d.key, d.text, d.thread_index, d.reply_to) for d in result.deliveries]
    assert got == [
        ("week:launch:facebook", "Hello\nhttps://example.org/a\n\nSecond\n\nThird", 0, None),
        ("week:launch:mastodon", "Hello\nhttps://example.org/a\n\n#Week", 0, None),
        ("week:launch:mastodon#2", "Second", 1, "week:launch:mastodon"),
        ("week:launch:mastodon#3", "Third", 2, "week:launch:mastodon#2"),
    ]
    first = as_json(result.deliveries[0], result.fits[result.deliveries[0].key], None)
    assert first["at"] == "2022-07-04T09:00:00+01:00"
    assert first["at_utc"] == "2022-07-04T08:00:00Z"
    assert list(first) == [
        "key",
        "campaign",
        "post",
        "platform",
        "at",
        "at_utc",
        "text",
        "length",
        "limit",
        "images",
        "thread_index",
        "reply_to",
        "state",
    ]


def test_quotes_fill_day_by_day_then_slot_by_slot(run: Run) -> None:
    text = HEAD + (
        'quotes:\n  template: "“{quote}” — {name}, {role}"\n  times: ["16:00", "12:00"]\n'
        "  days: [3, 2]\n  items:\n"
        + "".join(f"    - {{quote: Q{n}, name: N{n}, role: R}}\n" for n in range(1, 5))
    )
    result = run(text)
    assert result.problems == []
    got = [(d.post, d.at.strftime("%d %H:%M"), d.text) for d in result.deliveries]
    assert got == [
        ("quote-1", "05 12:00", "“Q1” — N1, R"),
        ("quote-2", "05 16:00", "“Q2” — N2, R"),
        ("quote-3", "06 12:00", "“Q3” — N3, R"),
        ("quote-4", "06 16:00", "“Q4” — N4, R"),
    ]


def test_overflow_thread_numbers_parts_and_keeps_hashtags_on_the_first(run: Run) -> None:
    body = " ".join(f"w{n:03d}" for n in range(200))  # 999 characters
    text = (
        HEAD
        + 'overflow: thread\nhashtags: ["#Week"]\n'
        + f"posts:\n  - at: 2022-07-04 09:00\n    text: {body}\n"
    )
    result = run(text)
    assert result.problems == []
    parts = [d.text for d in result.deliveries]
    total = len(parts)
    assert total == 3
    for n, part in enumerate(parts, 1):
        assert f"({n}/{total})" in part
    assert parts[0].endswith("\n\n#Week") and "#Week" not in parts[1]
    # nothing lost, nothing added but the numbering and the hashtags
    rebuilt = " ".join(p.split(" (")[0] for p in parts)
    assert rebuilt == body
