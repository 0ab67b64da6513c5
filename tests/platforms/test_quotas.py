"""Quotas and cost before the week (:mod:`clarion.platforms.quotas`): the sliding-window count
against a brute force, what each platform's posts use of its limits, and X's prices."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.delivery import Content, Delivery, Media
from clarion.platforms import get, limits, quotas
from clarion.platforms.base import MEDIA_UPLOADS, POINTS, POSTS, REQUESTS

T0 = dt.datetime(2030, 7, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 in London (BST)


def brute(events: list[tuple[int, int]], start: int, window: int) -> int:
    return sum(n for t, n in events if start <= t < start + window)


events_st = st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 5)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    events=events_st,
    window=st.integers(1, 1_000),
    most=st.integers(0, 30),
    probes=st.lists(st.integers(-1_000, 3_000), max_size=20),
)
def test_windows_over_agrees_with_a_brute_force(
    events: list[tuple[int, int]], window: int, most: int, probes: list[int]
) -> None:
    found = quotas.windows_over(events, window, most)
    # every window reported is a real one: what the events in it add up to, over the limit
    for w in found:
        assert w.end_ms - w.start_ms == window
        assert w.total == brute(events, w.start_ms, window) > most
        assert any(t == w.start_ms and n for t, n in events)  # it starts at a post
    # in order and never overlapping
    for a, b in itertools.pairwise(found):
        assert a.end_ms <= b.start_ms
    # a window over the limit wherever it starts (at a post, or at any instant) starts inside a
    # reported window or less than one window before it: no stretch of trouble goes unreported
    starts = [t for t, _ in events] + probes
    for x in starts:
        if brute(events, x, window) > most:
            assert any(w.start_ms - window < x < w.end_ms for w in found), x
    # and nothing is reported when no window is over
    if not any(brute(events, t, window) > most for t, _ in events):
        assert found == []


def test_windows_over_counts_amounts_at_one_instant_and_the_edge_of_the_window() -> None:
    # 100 at 0 and 1 more exactly when the 15 minutes end: not over; 1 more inside: over
    window = 15 * 60_000
    assert quotas.windows_over([(0, 100), (window, 1)], window, 100) == []
    assert quotas.windows_over([(0, 100), (window - 1, 1)], window, 100) == [
        quotas.Window(0, window, 101)
    ]


def delivery(
    n: int,
    platform: str = "x",
    account: str = "default",
    *,
    minutes: float = 0,
    images: int = 0,
    text: str = "Hello",
    campaign: str = "week",
) -> Delivery:
    media = tuple(Media(f"{i}.png", "alt", f"/m/{i}.png", "0" * 64) for i in range(images))
    return Delivery(
        key=f"{campaign}:p{n}:{platform}",
        campaign=campaign,
        post=f"p{n}",
        platform=platform,
        account=account,
        at_utc=T0 + dt.timedelta(minutes=minutes),
        zone="Europe/London",
        thread_index=0,
        reply_to=None,
        content=Content(text, media),
    )


def test_every_builtin_platform_declares_its_write_limits() -> None:
    for name in ("x", "facebook", "mastodon", "bluesky"):
        assert get(name).write_limits, name
    assert get("x").prices is not None
    assert all(get(n).prices is None for n in ("facebook", "mastodon", "bluesky"))


def test_what_one_post_uses_of_each_platform_s_limits() -> None:
    # Mastodon: an upload per image, then the status
    assert get("mastodon").write_cost(3) == {POSTS: 1, REQUESTS: 4, MEDIA_UPLOADS: 3}
    # Bluesky: a record (3 points); uploads write no record
    assert get("bluesky").write_cost(2)[POINTS] == 3
    assert get("bluesky").write_cost(2)[REQUESTS] == 3
    # Facebook: one photo is one request, several are uploaded first
    assert get("facebook").write_cost(1)[REQUESTS] == 1
    assert get("facebook").write_cost(3)[REQUESTS] == 4


def test_x_over_100_posts_in_15_minutes_is_one_warning_with_its_window() -> None:
    plan = [delivery(n, minutes=n % 10) for n in range(101)]
    [w] = quotas.check(plan, limits.for_account)
    assert (w.platform, w.account, w.used, w.limit.most, w.limit.unit) == (
        "x",
        "default",
        101,
        100,
        POSTS,
    )
    assert w.where() == "between 09:00 and 09:15 (+01:00) on Tue 2 July 2030"
    message = w.message()
    assert "X account 'default' would go over X's limit" in message
    assert "101 posts, and X allows 100 posts per 15 minutes" in message
    assert "Spread these posts over more time" in message
    assert "`accounts: {x: NAME}`" in message


def test_accounts_count_apart_and_past_posts_not_at_all() -> None:
    plan = [delivery(n, account="a" if n % 2 else "b") for n in range(150)]
    assert quotas.check(plan, limits.for_account) == []
    late = [delivery(n, minutes=-30) for n in range(150)]
    assert quotas.check(late, limits.for_account, now=T0) == []
    assert quotas.check(late, limits.for_account)  # without a clock: counted


def test_mastodon_media_uploads_and_requests() -> None:
    plan = [delivery(n, "mastodon", minutes=n, images=4) for n in range(8)]  # 32 uploads
    [w] = quotas.check(plan, limits.for_account)
    assert (w.limit.unit, w.used, w.limit.most) == (MEDIA_UPLOADS, 32, 30)
    assert "your server may set another" in w.message()
    busy = [delivery(n, "mastodon", images=1) for n in range(151)]  # 302 requests at once
    units = {w.limit.unit: w.used for w in quotas.check(busy, limits.for_account)}
    assert units[REQUESTS] == 302


def test_a_shared_limit_counts_every_account_together() -> None:
    # 3,000 requests per 5 minutes from one IP address, whatever the account
    plan = [delivery(n, "bluesky", account=f"a{n % 7}") for n in range(3001)]
    [w] = quotas.check(plan, limits.for_account)
    assert w.account == "" and w.used == 3001
    assert "Bluesky accounts together (they share this machine's IP address)" in w.message()


def test_a_24_hour_window_names_both_days() -> None:
    plan = [delivery(n, "facebook", minutes=n * 0.2) for n in range(4801)]
    [w] = quotas.check(plan, limits.for_account)
    assert w.where() == "between 09:00 on Tue 2 July 2030 and 09:00 on Wed 3 July 2030 (+01:00)"


def test_x_cost_counts_links_and_alt_texts() -> None:
    plan = [
        delivery(n, text="Read more at https://example.org/a" if n < 3 else "Hi") for n in range(12)
    ]
    plan.append(delivery(99, "mastodon", text="https://example.org"))
    [cost] = quotas.costs(plan, limits.for_account)
    assert (cost.platform, cost.posts, cost.with_links, cost.total_mills) == ("x", 12, 3, 735)
    line = cost.line()
    assert line.startswith("X: 12 posts, est. $0.74 (3 with links at $0.20 instead of $0.015:")
    assert "$0.56 of it" in line and "2026-12-03" in line
    bare = [delivery(1, text="See example.org for more")]  # a bare domain is a link on X too
    assert quotas.costs(bare, limits.for_account)[0].with_links == 1


def test_dollars_round_half_up_and_prices_show_exactly() -> None:
    assert quotas.dollars(735) == "$0.74"
    assert quotas.dollars(554) == "$0.55"
    assert quotas.dollars(123_456) == "$123.46"
    assert quotas.price(15) == "$0.015" and quotas.price(200) == "$0.20"
