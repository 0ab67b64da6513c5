"""Reading a planning sheet's file: the rows of a CSV (its encoding and separator found) or of
the first sheet of an .xlsx workbook, each with the number the spreadsheet shows it under."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

#: The most rows read (a week's plan has dozens).
MAX_ROWS = 5_000


class Unreadable(Exception):
    """The file cannot be read as a sheet; the message says why and what to do."""


def csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    """Rows of a CSV with their spreadsheet numbers: UTF-8 (with Excel's byte order mark) or,
    failing that, Windows' cp1252; comma, semicolon or tab separated (sniffed)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise Unreadable("This is not a text CSV file (it holds binary data).")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(n, row) for n, row in enumerate(reader, start=1) if n <= MAX_ROWS + 1]
    except csv.Error as exc:
        raise Unreadable(
            f"This CSV file cannot be read (row {reader.line_num}: {exc}). Save it again from "
            "your spreadsheet program as CSV."
        ) from None


def xlsx_rows(path: Path) -> list[tuple[int, list[Any]]]:
    """Rows of the first sheet of a workbook, as cell values (dates and times as such)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            out: list[tuple[int, list[Any]]] = []
            for n, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                if n > MAX_ROWS + 1:
                    break
                out.append((n, list(values)))
            return out
        finally:
            book.close()
    # A damaged workbook fails deep inside zipfile, XML parsing or openpyxl, each with its own
    # exception type: whatever it is, the person is told the file cannot be read.
    except Exception as exc:
        raise Unreadable(
            "This is not an Excel workbook Clarion can read (it may be damaged, or another kind "
            "of file named .xlsx). Open it in your spreadsheet program and save it again as "
            f"Excel (.xlsx) or CSV. ({type(exc).__name__})"
        ) from None
