"""`clarion import`: a planning sheet (CSV here; .xlsx in test_libreoffice.py) to a campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.campaign import yamlsafe
from clarion.campaign.sheetcells import column_letter, parse_date, parse_time
from clarion.campaign.sheets import read
from clarion.campaign.sheetyaml import quoted, scalar
from tests.sheets.helpers import clarion

PLAN = (
    "Day,Post time,Channels,Copy,URL,Image,Image description,Tags,Notes\n"
    '16/05/2024,9am,"X, Facebook","Carers Week starts today: #1 thing to know",'
    "https://example.org/cw,,,CarersWeek,first\n"
    '17 May 2024,09:30,all,"Line one\nline two # not a comment",,media/a.png,'
    '"A carer, smiling",#CarersWeek,\n'
    ",,,,,,,,\n"
    "2024-05-18,14:15,Twitter & bsky,Hi there,,,,#CarersWeek,\n"
)


def write_plan(tmp_path: Path, text: str = PLAN, name: str = "plan.csv", **enc: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(enc.get("encoding", "utf-8")))
    return path


def test_a_sheet_becomes_a_campaign_that_validates(tmp_path: Path) -> None:
    sheet = write_plan(tmp_path)
    out = tmp_path / "campaigns" / "carers-week-2024.yaml"
    (out.parent / "media").mkdir(parents=True)
    (out.parent / "media" / "a.png").write_bytes(
        (Path(__file__).parents[2] / "campaigns" / "media" / "launch.png").read_bytes()
    )
    result = clarion("import", str(sheet), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "column I (Notes) is not a column Clarion uses" in result.output
    assert "3 posts" in result.output
    raw, _ = yamlsafe.load(out.read_bytes())
    assert raw["name"] == "Carers Week 2024" and raw["slug"] == "carers-week-2024"
    assert raw["timezone"] == "Europe/London"
    assert raw["dates"] == {"start": dt.date(2024, 5, 16), "end": dt.date(2024, 5, 18)}
    assert raw["hashtags"] == ["#CarersWeek"]  # the same on every row: the campaign's
    posts = raw["posts"]
    assert [str(p["at"]) for p in posts] == [
        "2024-05-16 09:00",
        "2024-05-17 09:30",
        "2024-05-18 14:15",
    ]
    assert posts[0]["text"] == "Carers Week starts today: #1 thing to know"
    assert (
        posts[0]["platforms"] == ["x", "facebook"] and posts[0]["link"] == "https://example.org/cw"
    )
    assert posts[1]["text"] == "Line one\nline two # not a comment"
    assert posts[1]["images"] == [{"path": "media/a.png", "alt": "A carer, smiling"}]
    assert "platforms" not in posts[1]
    assert posts[2]["platforms"] == ["x", "bluesky"]
    assert [p["id"] for p in posts] == [
        "carers-week-starts-today-1",
        "line-one-line-two-not",
        "hi-there",
    ]
    assert "# sheet row 5" in out.read_text()  # the empty row 4 is skipped, rows keep numbers
    checked = clarion("validate", str(out))
    assert checked.exit_code == 0, checked.output


def test_every_problem_names_row_and_column_and_nothing_is_written(tmp_path: Path) -> None:
    bad = PLAN + "2024-05-19,25:00,Myspace,Hello,,,,,\n05/16/2024,10:00,,Hi,,pic.png,,,\n"
    sheet = write_plan(tmp_path, bad)
    out = tmp_path / "week.yaml"
    result = clarion("import", str(sheet), "-o", str(out))
    assert result.exit_code == 1
    assert not out.exists()
    text = result.output
    assert f'{sheet}: row 6, column B (Post time): "25:00" is not a time. Write it as 09:30' in text
    assert 'row 6, column C (Channels): "Myspace" is not a platform Clarion posts to' in text
    assert 'row 7, column A (Day): "05/16/2024" reads as month first' in text
    assert "write it as 16/05/2024 or 2024-05-16" in text
    assert "row 7, column G (Image description): 1 image(s) but 0 alt text(s)" in text
    assert "4 problems; nothing was written." in text
    assert "Traceback" not in text


def test_missing_columns_and_empty_sheets_are_said(tmp_path: Path) -> None:
    result = clarion(
        "import", str(write_plan(tmp_path, "Subject,Notes\nx,y\n")), "-o", str(tmp_path / "a.yaml")
    )
    assert result.exit_code == 1
    assert "no date column found" in result.output and "no text column found" in result.output
    empty = clarion("import", str(write_plan(tmp_path, "\n,,\n")), "-o", str(tmp_path / "a.yaml"))
    assert "This sheet is empty" in empty.output
    other = clarion(
        "import", str(write_plan(tmp_path, "x", name="plan.ods")), "-o", str(tmp_path / "a.yaml")
    )
    assert "imports .csv and .xlsx" in other.output
    gone = clarion("import", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "a.yaml"))
    assert "does not exist" in gone.output and gone.exit_code == 1


def test_a_damaged_or_renamed_workbook_is_said_in_words(tmp_path: Path) -> None:
    import random
    import zipfile

    rng = random.Random(11)
    renamed = write_plan(tmp_path, PLAN, name="renamed.xlsx")
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(bytes(rng.randrange(256) for _ in range(3000)))
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")
    for path in (renamed, noise, broken):
        result = clarion("import", str(path), "-o", str(tmp_path / "out.yaml"))
        assert result.exit_code == 1, path
        assert "not an Excel workbook Clarion can read" in result.output
        assert not (tmp_path / "out.yaml").exists()


def test_excel_encodings_and_semicolons(tmp_path: Path) -> None:
    text = "Date;Time;Message\n16/05/2024;9:00;Café crème – 50p\n"
    for name, data in (
        ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("win.csv", text.encode("cp1252")),
        ("u16.csv", text.encode("utf-16")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        sheet = read(path)
        assert sheet.problems == [], name
        assert sheet.rows[0].text == "Café crème – 50p", name
        assert sheet.rows[0].at == dt.datetime(2024, 5, 16, 9, 0)


def test_existing_file_is_kept_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "week.yaml"
    out.write_text("keep")
    sheet = write_plan(tmp_path)
    assert "already exists" in clarion("import", str(sheet), "-o", str(out)).output
    assert out.read_text() == "keep"
    assert (
        clarion(
            "import",
            str(sheet),
            "-o",
            str(out),
            "--force",
            "--name",
            "CW",
            "--timezone",
            "Europe/Dublin",
        ).exit_code
        == 0
    )
    raw, _ = yamlsafe.load(out.read_bytes())
    assert raw["name"] == "CW" and raw["timezone"] == "Europe/Dublin"
    bad = clarion("import", str(sheet), "-o", str(out), "--force", "--timezone", "BST")
    assert bad.exit_code == 1 and '"BST" is not a time zone name' in bad.output


def test_dates_and_times_as_people_write_them() -> None:
    may16 = dt.date(2024, 5, 16)
    for written in (
        "16/05/2024",
        "16/5/24",
        "16.05.2024",
        "2024-05-16",
        "16 May 2024",
        "Thursday 16th May 2024",
        "May 16, 2024",
        "16-May-2024".replace("-", " "),
    ):
        assert parse_date(written) == (may16, None), written
    assert parse_date("16/05/2024 09:30") == (may16, dt.time(9, 30))
    assert "not a real date" in str(parse_date("31/02/2024"))
    assert "with the year" in str(parse_date("16 May"))
    for written, want in (
        ("9:00", (9, 0)),
        ("09:00", (9, 0)),
        ("9am", (9, 0)),
        ("9.30pm", (21, 30)),
        ("12pm", (12, 0)),
        ("12am", (0, 0)),
        ("21:15", (21, 15)),
        ("9:30 AM", (9, 30)),
    ):
        assert parse_time(written) == dt.time(*want), written
    for bad in ("25:00", "9", "13pm", "noon", "9:75"):
        assert isinstance(parse_time(bad), str), bad
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_text_round_trips_through_the_safe_loader(text: str) -> None:
    """What import writes reads back as the very same text (block or quoted)."""
    for value in (scalar(text, 6), quoted(text)):
        document = f"posts:\n  - text: {value}\n"
        raw, _ = yamlsafe.load(document.encode("utf-8"))
        assert raw["posts"][0]["text"] == text, document


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120))
def test_any_cell_text_imports_without_a_traceback(tmp_path_factory: object, text: str) -> None:
    import csv
    import io
    import tempfile

    buf = io.StringIO()
    csv.writer(buf).writerows([["Date", "Time", "Text"], ["16/05/2024", "09:00", text]])
    with tempfile.TemporaryDirectory() as folder:
        sheet = Path(folder) / "plan.csv"
        sheet.write_text(buf.getvalue(), encoding="utf-8")
        out = Path(folder) / "week.yaml"
        result = clarion("import", str(sheet), "-o", str(out))
        if result.exit_code == 0:
            raw, _ = yamlsafe.load(out.read_bytes())
            cell = read(sheet).rows[0].text
            assert raw["posts"][0]["text"] == cell
        else:
            assert "problem" in result.output


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["plan.csv", "plan.xlsx"]))
def test_random_bytes_are_problems_never_tracebacks(data: bytes, name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        sheet = read(path)
        assert sheet.problems or sheet.rows
        for p in sheet.problems:
            assert str(p).startswith(str(path))


def test_a_sheet_too_big_for_one_campaign_file_is_refused(tmp_path: Path) -> None:
    lines = ["Date,Time,Text"] + [f"16/05/2024,09:00,Post {i}: {'word ' * 60}" for i in range(4000)]
    sheet = write_plan(tmp_path, "\n".join(lines) + "\n")
    out = tmp_path / "week.yaml"
    result = clarion("import", str(sheet), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert "a campaign file can be at most 1,048,576 bytes (1 MiB)" in result.output


def test_an_id_given_twice_is_a_problem(tmp_path: Path) -> None:
    sheet = write_plan(
        tmp_path, "Id,Date,Time,Text\nlaunch,16/05/2024,9am,A\nlaunch,17/05/2024,9am,B\n"
    )
    result = clarion("import", str(sheet), "-o", str(tmp_path / "week.yaml"))
    assert result.exit_code == 1
    assert 'row 3, column A (Id): the id "launch" is already the id of row 2' in result.output


def test_made_up_ids_never_take_a_given_one(tmp_path: Path) -> None:
    sheet = write_plan(
        tmp_path, "Id,Date,Time,Text\n,16/05/2024,9am,Hi there\nhi-there,17/05/2024,9am,B\n"
    )
    out = tmp_path / "week.yaml"
    assert clarion("import", str(sheet), "-o", str(out)).exit_code == 0
    raw, _ = yamlsafe.load(out.read_bytes())
    assert [p["id"] for p in raw["posts"]] == ["hi-there-2", "hi-there"]


def test_a_csv_import_never_loads_openpyxl(tmp_path: Path) -> None:
    """Start-up time: openpyxl is imported only for .xlsx."""
    import subprocess
    import sys

    sheet = write_plan(tmp_path)
    code = (
        "import sys; from clarion.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "assert 'openpyxl' not in sys.modules, 'openpyxl was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "import", str(sheet), "-o", str(tmp_path / "w.yaml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "w.yaml").exists()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_written_date_or_time_is_read_or_refused_in_words(written: str) -> None:
    day = parse_date(written)
    assert isinstance(day, str) or isinstance(day[0], dt.date)
    t = parse_time(written)
    assert isinstance(t, dt.time | str)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_way_of_writing_a_date_reads_back_the_same_day(day: dt.date) -> None:
    for written in (
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day:%Y}",
        day.isoformat(),
        f"{day.day} {day:%B %Y}",
        f"{day:%A} {day.day} {day:%b %Y}",
        f"{day:%B} {day.day}, {day:%Y}",
    ):
        assert parse_date(written) == (day, None), written


def test_xlsx_date_time_and_number_cells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Date", "Time", "Text", "Hashtags"])
    ws.append([dt.datetime(2024, 5, 16), dt.time(9, 30), "A", "CarersWeek"])
    ws.append([dt.datetime(2024, 5, 17, 14, 15), None, "B: with a colon", None])  # time in date
    ws.append([dt.date(2024, 5, 18), 0.75, 42, None])  # 0.75 of a day: 18:00; a number as text
    ws.append([45431, "10:00", "C", None])  # a date typed as a number
    path = tmp_path / "plan.xlsx"
    book.save(path)
    sheet = read(path)
    assert [str(p) for p in sheet.problems] == [
        f'{path}: row 5, column A (Date): "45431" is a number, not a date. Write it as 16/05/2024.'
    ]
    assert [(r.at, r.text) for r in sheet.rows] == [
        (dt.datetime(2024, 5, 16, 9, 30), "A"),
        (dt.datetime(2024, 5, 17, 14, 15), "B: with a colon"),
        (dt.datetime(2024, 5, 18, 18, 0), "42"),
    ]


def test_two_columns_for_one_field_name_both(tmp_path: Path) -> None:
    sheet = tmp_path / "plan.csv"
    sheet.write_text("Date,Time,Post,Text\n07/06/2027,09:00,Hello,Hello again\n")
    found = read(sheet, "plan.csv")
    [problem] = found.problems
    assert "column D (Text)" in str(problem) and "column C (Post) is read as the text" in str(
        problem
    )
