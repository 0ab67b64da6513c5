"""Sheets written and read by a real spreadsheet program: LibreOffice Calc, headless.

The tests' CSV is opened by LibreOffice and saved as .xlsx (its own date and time cells, not
openpyxl's), then imported; the plan exported as .xlsx is opened by LibreOffice and saved back
as CSV, which must say what the CSV export says.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from clarion.campaign import yamlsafe
from clarion.campaign.sheetfiles import xlsx_rows
from clarion.campaign.sheets import read
from tests.conftest import EXAMPLE
from tests.sheets.helpers import UK_CSV, clarion, convert

pytestmark = pytest.mark.slow

PLAN = (
    "Date,Time,Platforms,Post text,Link,Hashtags\n"
    '16/05/2024,09:00,"X, Mastodon","Carers Week starts today: say hello #1",https://example.org/,CarersWeek\n'
    '17/05/2024,2:30 PM,,"Two lines:\nthe second",,CarersWeek\n'
)


def test_xlsx_saved_by_libreoffice_imports_with_real_date_and_time_cells(tmp_path: Path) -> None:
    source = tmp_path / "plan.csv"
    source.write_text(PLAN, encoding="utf-8")
    xlsx = convert(source, "xlsx", tmp_path / "lo", tmp_path, UK_CSV)
    rows = xlsx_rows(xlsx)
    # LibreOffice recognised the dates and times: they are cells of those types, not text
    assert isinstance(rows[1][1][0], dt.datetime) and rows[1][1][0].date() == dt.date(2024, 5, 16)
    assert isinstance(rows[1][1][1], dt.time | dt.datetime)
    sheet = read(xlsx)
    assert sheet.problems == []
    assert [r.at for r in sheet.rows] == [
        dt.datetime(2024, 5, 16, 9, 0),
        dt.datetime(2024, 5, 17, 14, 30),
    ]
    out = tmp_path / "campaigns" / "carers-week-2024.yaml"
    result = clarion("import", str(xlsx), "-o", str(out))
    assert result.exit_code == 0, result.output
    raw, _ = yamlsafe.load(out.read_bytes())
    assert raw["posts"][0]["text"] == "Carers Week starts today: say hello #1"
    assert raw["posts"][1]["text"] == "Two lines:\nthe second"
    assert raw["posts"][0]["platforms"] == ["x", "mastodon"]
    assert clarion("validate", str(out)).exit_code == 0


def test_export_xlsx_opened_by_libreoffice_says_what_the_csv_says(tmp_path: Path) -> None:
    as_csv = tmp_path / "plan.csv"
    as_xlsx = tmp_path / "plan.xlsx"
    assert clarion("export", str(EXAMPLE), "-o", str(as_csv)).exit_code == 0
    done = clarion("export", str(EXAMPLE), "--format", "xlsx", "-o", str(as_xlsx))
    assert done.exit_code == 0, done.output
    back = convert(as_xlsx, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "lo", tmp_path)
    ours = list(csv.reader(as_csv.open(encoding="utf-8-sig", newline="")))
    theirs = list(csv.reader(back.open(encoding="utf-8-sig", newline="")))
    assert len(ours) == 45 and ours[0][0] == "Key"
    assert theirs == ours
