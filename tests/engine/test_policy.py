"""The engine's outcome policy on its own: outcome + attempts + times -> next state, when, why."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clarion.engine import policy
from clarion.engine.policy import Backoff, decide
from clarion.ledger.states import State
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown

NOW = 1_656_921_600_000  # 2022-07-04T08:00:00Z
HOUR = 3_600_000


def no_jitter(low: float, high: float) -> float:
    return high


def test_published_keeps_its_id_and_link() -> None:
    d = decide(Published("77", "https://x.example/77"), attempts=1, now_ms=NOW, deadline_ms=NOW)
    assert (d.state, d.post_id, d.url, d.last_error) == (
        State.PUBLISHED,
        "77",
        "https://x.example/77",
        None,
    )
    probable = decide(Published("1", probable=True), attempts=1, now_ms=NOW, deadline_ms=NOW)
    assert "taken as already published" in probable.why


def test_refused_fails_in_the_platforms_words_and_auth_pauses_the_account() -> None:
    d = decide(Failed("422 too long"), attempts=1, now_ms=NOW, deadline_ms=NOW)
    assert (d.state, d.why, d.last_error, d.pause_account) == (
        State.FAILED,
        "422 too long",
        "422 too long",
        False,
    )
    auth = decide(
        Failed("401 token abc", auth=True),
        attempts=1,
        now_ms=NOW,
        deadline_ms=NOW,
        clean=lambda t: t.replace("abc", "***"),
    )
    assert auth.pause_account and auth.why == "401 token ***"


def test_a_duplicate_after_an_unknown_outcome_is_probably_published() -> None:
    dup = Failed("duplicate", duplicate=True)
    first = decide(dup, attempts=1, now_ms=NOW, deadline_ms=NOW)
    assert first.state == State.FAILED
    after = decide(dup, attempts=2, now_ms=NOW, deadline_ms=NOW, had_unknown=True)
    assert after.state == State.PUBLISHED and after.look_up and "probably published" in after.why


def test_unknown_is_unconfirmed() -> None:
    d = decide(Unknown("read timeout"), attempts=1, now_ms=NOW, deadline_ms=NOW)
    assert (d.state, d.why) == (State.UNCONFIRMED, "outcome unknown: read timeout")


def test_retry_waits_for_the_platforms_reset_and_says_so_in_human_words() -> None:
    reset = dt.datetime.fromtimestamp((NOW + 180_000) / 1000, dt.UTC)
    d = decide(
        RetryLater("429", not_before=reset),
        attempts=1,
        now_ms=NOW,
        deadline_ms=NOW + HOUR,
        jitter=no_jitter,
    )
    assert d.state == State.RETRY and d.not_before_ms == NOW + 180_000
    assert d.why == "will retry in 3 minutes: 429"
    absent = decide(Absent(), attempts=1, now_ms=NOW, deadline_ms=NOW + HOUR, jitter=no_jitter)
    assert absent.state == State.RETRY


def test_retry_gives_up_after_max_attempts_or_past_the_grace_window() -> None:
    spent = decide(RetryLater("500"), attempts=5, now_ms=NOW, deadline_ms=NOW + HOUR)
    assert spent.state == State.FAILED and spent.why == "gave up after 5 attempts: 500"
    late = decide(RetryLater("500"), attempts=1, now_ms=NOW, deadline_ms=NOW, jitter=no_jitter)
    assert late.state == State.FAILED and "past the grace window" in late.why
    caught = decide(
        RetryLater("500"), attempts=1, now_ms=NOW, deadline_ms=NOW, catch_up=True, jitter=no_jitter
    )
    assert caught.state == State.RETRY


@given(
    attempts=st.integers(1, 20),
    jitter=st.floats(0, 1),
    base=st.integers(1, 60_000),
    cap=st.integers(1, 3_600_000),
    reset=st.integers(0, 2 * HOUR),
)
def test_retry_times_stay_within_backoff_and_never_before_the_reset(
    attempts: int, jitter: float, base: int, cap: int, reset: int
) -> None:
    backoff = Backoff(max_attempts=10, base_ms=base, cap_ms=cap)
    not_before = dt.datetime.fromtimestamp((NOW + reset) / 1000, dt.UTC)
    d = decide(
        RetryLater("x", not_before=not_before),
        attempts=attempts,
        now_ms=NOW,
        deadline_ms=NOW + 3 * HOUR,
        backoff=backoff,
        jitter=lambda low, high: low + (high - low) * jitter,
    )
    if attempts >= 10:
        assert d.state == State.FAILED
        return
    assert d.state == State.RETRY and d.not_before_ms is not None
    assert d.not_before_ms >= NOW + reset
    bound = min(cap, base * 2 ** (attempts - 1))
    assert d.not_before_ms <= max(NOW + bound, NOW + reset)


def test_missed_says_how_late_in_human_durations() -> None:
    two_days = NOW + 2 * 24 * HOUR
    why = policy.missed(NOW, two_days, 15 * 60_000, "500 boom")
    assert why.startswith("due at 2022-07-04 08:00 UTC and still not sent 2 days later")
    assert "past the 15 min grace window" in why and "--catch-up" in why
    assert why.endswith("; last error: 500 boom")
    assert "min later" not in policy.missed(NOW, NOW + 1_344_072 * 60_000, 900_000)
    assert policy.late(NOW, NOW + 3 * HOUR) == "3 hours late"
    assert policy.late(NOW, NOW) == "on time"
    assert policy.grace_words(90_000) == "1m30s"


def test_a_sends_lease_outlasts_the_adapters_timeout() -> None:
    assert policy.send_lease_ms(300_000, 30) == 300_000
    assert policy.send_lease_ms(1_000, 30) == 40_000
    assert policy.send_lease_ms(1_000, 0.5) == 1_000
