"""`clarion export`: the plan as CSV or .xlsx, one row a delivery, with its ledger state."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from tests.fakes import ledger_env
from tests.ledger.helpers import WEEK
from tests.sheets.helpers import clarion

FUTURE = WEEK.replace("2022-07-0", "2036-07-0")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from ledger_env(tmp_path)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig", newline="")))


def test_csv_has_one_row_a_delivery_with_its_final_text(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "plan.csv"
    result = clarion("export", str(EXAMPLE), "-o", str(out), env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 right with a BOM
    rows = read_csv(out)
    assert len(rows) == 44 and "Wrote" in result.output and "44 deliveries" in result.output
    launch_x = next(r for r in rows if r["Key"] == "coproduction-week-2022:launch:x")
    assert launch_x["Platform"] == "X" and launch_x["Account"] == "default"
    assert launch_x["Date"] == "2022-07-04" and launch_x["Time"] == "09:00 +01:00"
    assert launch_x["Text"].startswith(
        "National Co-production Week starts today! All week we celebrate"
    )
    assert launch_x["Text"].endswith("#CoProductionWeek #CoProduction")
    assert int(launch_x["Length"]) <= int(launch_x["Limit"]) == 280
    assert launch_x["Link"] == "https://www.scie.org.uk/co-production/week"
    assert launch_x["Images"].startswith("media/launch.png — Banner in teal and yellow")
    assert launch_x["State"] == ""  # not scheduled: no state, not "pending"
    assert any(r["Key"] == "coproduction-week-2022:how-we-work:x#2" for r in rows)


def test_state_in_the_ledger_once_scheduled(tmp_path: Path, env: dict[str, str]) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(FUTURE)
    assert clarion("schedule", str(week), env=env).exit_code == 0
    out = tmp_path / "plan.csv"
    assert clarion("export", str(week), "-o", str(out), env=env).exit_code == 0
    rows = read_csv(out)
    assert rows and {r["State"] for r in rows} == {"Scheduled"}
    key = rows[0]["Key"]
    assert clarion("cancel", key, env=env).exit_code == 0
    assert clarion("export", str(week), "-o", str(out), env=env).exit_code == 0
    assert {r["Key"]: r["State"] for r in read_csv(out)}[key] == "Cancelled"


def test_xlsx_bold_frozen_header_wrapped_text_and_date_cells(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "plan.xlsx"
    result = clarion("export", str(EXAMPLE), "-o", str(out), env=env)  # format from the name
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:8] == ["Key", "Campaign", "Post", "Platform", "Account", "Date", "Time", "Text"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 45
    date = ws.cell(row=2, column=6)
    assert isinstance(date.value, dt.datetime) and date.value.date() == dt.date(2022, 7, 4)
    assert date.is_date
    assert ws.cell(row=2, column=8).alignment.wrap_text
    assert ws.column_dimensions["H"].width == 60


def test_an_invalid_campaign_writes_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    week = tmp_path / "week.yaml"
    week.write_text(FUTURE.replace("Europe/London", "Nowhere/Town"))
    out = tmp_path / "plan.csv"
    result = clarion("export", str(week), "-o", str(out), env=env)
    assert result.exit_code == 1 and not out.exists()
    assert "Nowhere/Town" in result.output and "Nothing was exported." in result.output


def test_a_folder_that_cannot_be_written_is_said(tmp_path: Path, env: dict[str, str]) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    for args in (
        ("export", str(EXAMPLE), "-o", str(blocked / "plan.csv")),
        ("init", "--from", str(EXAMPLE), "--start", "2023-07-03", "-o", str(blocked / "w.yaml")),
    ):
        result = clarion(*args, env=env)
        assert result.exit_code == 1, result.output
        assert f"Clarion could not write {blocked}" in result.output


def test_a_file_name_that_is_not_csv_or_xlsx_is_refused_and_nothing_written(
    tmp_path: Path, env: dict[str, str]
) -> None:
    for args in (("-o", "week.pdf"), ("-o", "week.csv", "--format", "xlsx")):
        out = tmp_path / args[1]
        result = clarion("export", str(EXAMPLE), *args[:1], str(out), *args[2:], env=env)
        assert result.exit_code == 2, result.output
        assert "name the file .csv or .xlsx" in result.output
        assert not out.exists()


def test_importing_an_exported_sheet_says_what_each_is_for(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "review.xlsx"
    assert clarion("export", str(EXAMPLE), "-o", str(out), env=env).exit_code == 0
    back = clarion("import", str(out), "-o", str(tmp_path / "again.yaml"), env=env)
    assert back.exit_code == 1
    assert "This sheet was written by `clarion export`" in back.output
    assert "edit the campaign file" in back.output
    assert not (tmp_path / "again.yaml").exists()
