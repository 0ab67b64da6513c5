"""The plan as a spreadsheet (CSV or .xlsx), one row a delivery, for people who review in one.

Each row: its key, campaign, post, platform, account, the local date and time (with the UTC
offset), the final text exactly as it is sent, its length against the platform's limit, the
link, the images (path and alt text) and, when the campaign is scheduled, its state in the
ledger. In .xlsx the header is bold and frozen, texts wrap, dates are real date cells.
openpyxl is imported only here, only for .xlsx.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from clarion.delivery import Delivery
from clarion.planner import Fit, sort_key
from clarion.render.seen import WORDS, Seen

HEADERS = (
    "Key",
    "Campaign",
    "Post",
    "Platform",
    "Account",
    "Date",
    "Time",
    "Text",
    "Length",
    "Limit",
    "Link",
    "Images",
    "State",
)
#: Column widths in the .xlsx, in characters.
_WIDTHS = (34, 22, 18, 10, 12, 12, 13, 60, 8, 8, 30, 40, 14)


def _platform_name(name: str) -> str:
    """How people know a platform ("Facebook"), from its descriptor."""
    from clarion import platforms

    try:
        cls = platforms.get(name)
    except platforms.UnknownPlatformError:
        return name
    return cls.short_label or cls.label


def rows(
    deliveries: Sequence[Delivery],
    fits: Mapping[str, Fit],
    seen: Callable[[Delivery], Seen | None],
) -> list[list[Any]]:
    """One row a delivery, in the order they go out; the date as a :class:`datetime.date`."""
    out: list[list[Any]] = []
    for d in sorted(deliveries, key=sort_key):
        local = d.at
        fit = fits.get(d.key)
        state = seen(d)
        offset = local.strftime("%z")
        out.append(
            [
                d.key,
                d.campaign,
                d.post,
                _platform_name(d.platform),
                d.account,
                local.date(),
                f"{local:%H:%M} {offset[:3]}:{offset[3:]}",
                d.text,
                fit.length if fit else "",
                fit.limit if fit else "",
                d.content.link or "",
                "\n".join(f"{m.path} — {m.alt}" for m in d.media),
                WORDS.get(state.state, state.state) if state else "",
            ]
        )
    return out


def write(
    path: Path,
    fmt: str,
    deliveries: Sequence[Delivery],
    fits: Mapping[str, Fit],
    seen: Callable[[Delivery], Seen | None],
) -> int:
    """Write the plan to ``path`` as ``fmt`` ("csv" or "xlsx"); the number of rows written."""
    table = rows(deliveries, fits, seen)
    if fmt == "xlsx":
        _xlsx(path, table)
    else:
        # UTF-8 with a byte order mark: Excel opens it with the right characters.
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADERS)
            for row in table:
                writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])
    return len(table)


def _xlsx(path: Path, table: list[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Plan"
    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for row in table:
        ws.append(row)
        for i, cell in enumerate(ws[ws.max_row]):
            cell.alignment = wrap if HEADERS[i] in ("Text", "Images") else top
            if HEADERS[i] == "Date":
                cell.number_format = "yyyy-mm-dd"
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(1, ws.max_row)}"
    book.save(path)
