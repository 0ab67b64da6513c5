"""The posts read from a sheet, written as a commented campaign file.

Every text is written as a YAML literal block (``|-``), line breaks as in the cell, so colons and
``#`` in it are safe; a text a block cannot hold exactly (control characters, a line starting
with spaces first) is written double-quoted instead. Short values (links, paths, hashtags) are
always double-quoted. The file reads back through :mod:`clarion.campaign.yamlsafe` to exactly
the values of the sheet (tests/sheets checks this, also with random texts).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from clarion import platforms as registry
from clarion.campaign.model import MAX_DAYS
from clarion.campaign.sheets import Row

#: What YAML may hold as it is (its printable set); anything else is written as an escape.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

#: In double quotes, also YAML's other line breaks (they would be folded into spaces).
_ESCAPED = re.compile(_NOT_PRINTABLE.pattern + "|[\x85\u2028\u2029]")


def quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's, non-ASCII kept, characters
    YAML may not hold escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    return _ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def plain(value: str) -> str:
    """A name (id, slug) unquoted where YAML reads it back as that text, else quoted."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", value) and value.lower() not in _YAML_WORDS:
        return value
    return quoted(value)


def _blockable(text: str) -> bool:
    if not text or text != text.strip() or text.startswith(("\n",)):
        return False
    if _NOT_PRINTABLE.search(text) or any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c != "\n" for c in text
    ):
        return False
    return all(line == line.rstrip() for line in text.split("\n"))


def scalar(text: str, indent: int) -> str:
    """``text`` as the value after ``key:``, a block at ``indent`` spaces where it can be."""
    if _blockable(text):
        pad = " " * indent
        lines = [(pad + line) if line else "" for line in text.split("\n")]
        return "|-\n" + "\n".join(lines)
    return quoted(text)


def post_id(row: Row, used: set[str]) -> str:
    """The row's id, or one made from the first words of its text (stable when rows move)."""
    if row.id:
        return row.id  # the sheet's own (unique: checked when read)
    ascii_text = unicodedata.normalize("NFKD", row.text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)[:5]
    base = "-".join(words)[:40].strip("-") or f"row-{row.number}"
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}-{n}", n + 1
    used.add(ident)
    return ident


def campaign_text(rows: list[Row], *, name: str, slug: str, timezone: str, source: str) -> str:
    """The whole campaign file."""
    rows = sorted(rows, key=lambda r: (r.at, r.number))
    start = min(r.at.date() for r in rows)
    end = max(r.at.date() for r in rows)
    named = {p for r in rows for p in r.platforms}
    known = list(registry.NAMES)
    # an empty Platforms cell: every platform that takes any post (one that takes photos only,
    # as Instagram, is there only when some row names it)
    default = [p for p in known if not registry.get(p).needs_image]
    platforms = [p for p in known if p in named] or default
    if any(not r.platforms for r in rows):
        platforms = [p for p in known if p in named or p in default]
    tag_sets = {r.hashtags for r in rows}
    common = next(iter(tag_sets)) if len(tag_sets) == 1 else ()
    out = [
        "# yaml-language-server: $schema=../docs/clarion.schema.json",
        f"# Imported by `clarion import` from {source} on {_today()}.",
        "# Check it:    clarion validate THIS_FILE",
        "# Look at it:  clarion preview THIS_FILE",
        "# The format is described field by field in docs/campaign-format.md.",
        "version: 1",
        f"name: {quoted(name)}",
        "# Short name used in every delivery key: keep it once the week is scheduled.",
        f"slug: {plain(slug)}",
        "# Every time below is a wall-clock time in this zone.",
        f"timezone: {quoted(timezone)}",
        "# The first and last day of the posts in the sheet.",
        f"dates: {{start: {start.isoformat()}, end: {end.isoformat()}}}",
        "# Where every post goes unless it says otherwise.",
        f"platforms: [{', '.join(platforms)}]",
        "# Added to the end of every post, after a blank line.",
        f"hashtags: [{', '.join(quoted(t) for t in common)}]",
        "",
        "posts:",
    ]
    used: set[str] = {r.id for r in rows if r.id}
    for row in rows:
        out.append(f"  # sheet row {row.number}")
        out.append(f"  - id: {plain(post_id(row, used))}")
        out.append(f"    at: {row.at:%Y-%m-%d %H:%M}")
        out.append(f"    text: {scalar(row.text, 6)}")
        if row.link:
            out.append(f"    link: {quoted(row.link)}")
        if row.images:
            out.append("    images:")
            for path, alt in row.images:
                out.append(f"      - path: {quoted(path)}")
                out.append(f"        alt: {scalar(alt, 10)}")
        if row.platforms and list(row.platforms) != platforms:
            out.append(f"    platforms: [{', '.join(row.platforms)}]")
        if not common and row.hashtags:
            out.append(f"    hashtags: [{', '.join(quoted(t) for t in row.hashtags)}]")
        if row.thread:
            out.append("    thread:")
            for part in row.thread:
                out.append(f"      - text: {scalar(part, 10)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


class Imported(NamedTuple):
    """A sheet turned into a campaign: its text (None when any problem), problems, notes."""

    text: str | None
    problems: list[str]
    notes: list[str]
    posts: int


def convert(
    sheet_path: Path, *, slug: str, name: str | None, timezone: str, shown: str | None = None
) -> Imported:
    """Read a planning sheet and write its campaign text, or every problem found."""
    from zoneinfo import ZoneInfoNotFoundError

    from clarion.campaign import yamlsafe
    from clarion.campaign.model import Campaign
    from clarion.campaign.schedule import zone
    from clarion.campaign.sheets import read

    sheet = read(sheet_path, shown)
    problems = [str(p) for p in sheet.problems]
    try:
        zone(timezone)
    except ZoneInfoNotFoundError:
        problems.append(
            f'--timezone "{timezone}" is not a time zone name; give one such as Europe/London.'
        )
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        problems.append(
            f'"{slug}" cannot be a slug (the short name in delivery keys): use lower-case '
            "letters, digits and -, e.g. carers-week-2026. Name the output file so, or give --slug."
        )
    if problems or not sheet.rows:
        return Imported(None, problems, sheet.notes, 0)
    title = name or slug.replace("-", " ").title()
    text = campaign_text(
        sheet.rows, name=title, slug=slug, timezone=timezone, source=sheet_path.name
    )
    size = len(text.encode("utf-8"))
    if size > yamlsafe.MAX_FILE_BYTES:
        return Imported(
            None,
            [
                f"{shown or sheet_path}: its {len(sheet.rows):,} posts make a campaign file of "
                f"{size:,} bytes; a campaign file can be at most {yamlsafe.MAX_FILE_BYTES:,} "
                "bytes (1 MiB). Split the sheet into several campaigns."
            ],
            sheet.notes,
            0,
        )
    raw, _ = yamlsafe.load(text.encode("utf-8"))
    campaign = Campaign.model_validate(raw)  # a bug here, not the user's: let it show
    days = (campaign.dates.end - campaign.dates.start).days + 1
    if days > MAX_DAYS:
        return Imported(
            None,
            [
                f"{shown or sheet_path}: the posts run from {campaign.dates.start:%d %B %Y} to "
                f"{campaign.dates.end:%d %B %Y} ({days:,} days); a campaign spans at most "
                f"{MAX_DAYS} days. Check the years, or split the sheet."
            ],
            sheet.notes,
            0,
        )
    return Imported(text, [], sheet.notes, len(sheet.rows))


def _today() -> str:
    today = dt.date.today()
    return f"{today.day} {today:%B %Y}"
