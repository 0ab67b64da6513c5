"""Every option that takes a date reads 2024-05-16 and 16/05/2024, and says what to write else."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from clarion.cli import cli
from clarion.cli.options import parse_day
from tests.conftest import EXAMPLE


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2024-05-16", dt.date(2024, 5, 16)),
        ("16/05/2024", dt.date(2024, 5, 16)),
        ("5/6/2024", dt.date(2024, 6, 5)),  # day first, as in the UK
        ("16.05.2024", dt.date(2024, 5, 16)),
        (" 2024-5-6 ", dt.date(2024, 5, 6)),
    ],
)
def test_dates_read(written: str, day: dt.date) -> None:
    assert parse_day(written) == day


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("05/16/2024", "has no month 16: Clarion reads dates written with / day first"),
        ("31/02/2024", "is not a real date (there is no day 31 in month 2 of 2024)"),
        ("16/05/24", "Write the date as 2024-05-16 (year-month-day)"),
        ("next Monday", "is not a date Clarion can read"),
        ("9999-01-01", "give a date from"),
    ],
)
def test_dates_refused_in_words(written: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_day(written)
    assert words in str(caught.value)


@given(st.text(max_size=40))
def test_any_text_is_a_date_or_words(written: str) -> None:
    try:
        assert isinstance(parse_day(written), dt.date)
    except ValueError as exc:
        assert "date" in str(exc)


def test_preview_from_takes_a_day_first_date() -> None:
    iso = CliRunner().invoke(
        cli, ["preview", str(EXAMPLE), "--format", "json", "--from", "2022-07-06"]
    )
    uk = CliRunner().invoke(
        cli, ["preview", str(EXAMPLE), "--format", "json", "--from", "06/07/2022"]
    )
    assert iso.exit_code == 0 and uk.exit_code == 0
    assert iso.stdout == uk.stdout and "2022-07-05" not in iso.stdout


def test_preview_from_refuses_in_plain_words() -> None:
    result = CliRunner().invoke(cli, ["preview", str(EXAMPLE), "--to", "07/13/2022"])
    assert result.exit_code == 2
    assert "Write the date as 2022-07-13 (year-month-day)" in result.output
    assert "%Y" not in result.output
