"""A rate limit's "not before": Retry-After (seconds or an HTTP date) and the reset headers."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from clarion.platforms.transport import reset_time

NOW = dt.datetime(2027, 7, 4, 8, 0, tzinfo=dt.UTC)


def test_retry_after_in_seconds_counts_from_now() -> None:
    assert reset_time({"retry-after": "120"}, NOW) == NOW + dt.timedelta(seconds=120)


def test_retry_after_as_an_http_date() -> None:
    when = NOW + dt.timedelta(minutes=5)
    headers = CaseInsensitiveDict({"Retry-After": format_datetime(when, usegmt=True)})
    assert reset_time(headers, NOW) == when


def test_the_latest_not_before_wins() -> None:
    reset = int((NOW + dt.timedelta(seconds=30)).timestamp())
    headers = {"x-rate-limit-reset": str(reset), "retry-after": "120"}
    assert reset_time(headers, NOW) == NOW + dt.timedelta(seconds=120)
    headers = {"ratelimit-reset": str(reset + 600), "retry-after": "120"}
    assert reset_time(headers, NOW) == NOW + dt.timedelta(seconds=630)


def test_nothing_readable_is_none() -> None:
    huge = "9" * 40  # beyond any date: unreadable, never a traceback
    for headers in (
        {},
        {"retry-after": "soon"},
        {"retry-after": "-5"},
        {"retry-after": huge},
        {"x-rate-limit-reset": huge},
        None,
        "x",
    ):
        assert reset_time(headers, NOW) is None


@given(st.text(max_size=40))
def test_any_retry_after_value_gives_a_time_or_none(value: str) -> None:
    when = reset_time({"retry-after": value}, NOW)
    assert when is None or when.tzinfo is not None


@given(st.integers(min_value=0, max_value=86_400 * 365))
def test_seconds_round_trip(seconds: int) -> None:
    assert reset_time({"retry-after": str(seconds)}, NOW) == NOW + dt.timedelta(seconds=seconds)


def test_xs_429_with_only_retry_after_is_read() -> None:
    """X's answer as tweepy raises it (a real requests.Response, not a stand-in)."""
    from tweepy.errors import TooManyRequests

    from clarion.platforms.x._client import reset_time as x_reset

    response = requests.Response()
    response.status_code = 429
    response.headers = CaseInsensitiveDict({"Retry-After": "120"})
    response._content = b'{"title": "Too Many Requests", "status": 429}'
    before = dt.datetime.now(dt.UTC)
    when = x_reset(TooManyRequests(response))
    assert when is not None
    assert (
        before + dt.timedelta(seconds=119)
        <= when
        <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=121)
    )


def test_digits_that_are_not_ascii_are_unreadable_not_a_crash() -> None:
    """'²' and Arabic-Indic digits pass str.isdigit() but are no number of seconds (found by
    hypothesis on a fresh clone)."""
    now = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert reset_time({"Retry-After": "²"}, now) is None
    assert reset_time({"x-rate-limit-reset": "\u0661\u0662"}, now) is None
