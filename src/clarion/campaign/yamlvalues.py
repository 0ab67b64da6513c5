"""Values YAML read differently from what was typed: a `#` taken as a comment, curly quotes."""

from __future__ import annotations

import re

from clarion.campaign.yamlhints import FREE_TEXT, lines

_CURLY_OPEN = "“‘„«”’"
_CURLY_CLOSE = "”’“»‘"


def refine(text: str, line: int, column: int, message: str) -> str:
    """``message`` about the value at ``line``:``column`` (1-based), replaced with the real cause
    when YAML read that value differently from what was typed (a `#` read as a comment, curly
    quotes kept as part of the value)."""
    rows = lines(text)
    row = rows[line - 1] if 0 < line <= len(rows) else ""
    c0 = column - 1
    if c0 < 0 or c0 > len(row):
        return message
    before, rest = row[:c0], row[c0:]
    m = re.search(r"([A-Za-z_][\w-]{0,40}):\s*$", before)
    key = m.group(1) if m else ""
    if rest[:1] == "-" and rest[1:2] in ("", " "):
        rest, before = rest[1:], before + "-"
    if not key and before.rstrip().endswith("-"):
        key = "item"
    if rest.lstrip().startswith("#") and before.rstrip().endswith((":", "-")):
        tags = re.findall(r"#\w+", rest)
        if key == "hashtags" or (key == "item" and len(tags) == 1 and rest.strip() == tags[0]):
            listed = ", ".join(f'"{t}"' for t in tags)
            shown = f"hashtags: [{listed}]" if key == "hashtags" else f'- "{tags[0]}"'
            return (
                "YAML reads `#` as the start of a comment, so this line has no hashtags. Put "
                f"each hashtag in double quotes: `{shown}`."
            )
        what = f"`{key}`" if key and key != "item" else "this value"
        said = rest.strip().replace('"', '\\"')
        return (
            f"YAML reads `#` as the start of a comment, so {what} is empty here. Put the whole "
            f'value in double quotes: `{key + ": " if key != "item" else "- "}"{said}"`.'
        )
    value = rest.strip()
    flow = re.search(r"[\[{,]\s*$", before)
    if flow:  # an item of a [list]: up to the next , or ]
        value = re.split(r"[,\]}]", rest, maxsplit=1)[0].strip()
        m = re.search(r"([A-Za-z_][\w-]{0,40}):\s*[\[{]", before)
        key = m.group(1) if m else ""
    if (
        len(value) >= 2
        and value[0] in _CURLY_OPEN
        and value[-1] in _CURLY_CLOSE
        and key not in FREE_TEXT
    ):
        inner = value[1:-1]
        return (
            f"This value is between curly quotes ({value[0]}…{value[-1]}), which YAML keeps as "
            "part of the value: they are characters, not quotes (word processors and phones type "
            "them). Use straight quotes or none: "
            f'`{key + ": " if key and not flow else ""}"{inner}"`.'
        )
    return message


def as_list(field: str, written: str) -> str:
    """What to say of a list field written as one piece of text (`hashtags: "#A #B"`)."""
    parts = [p for p in re.split(r"[,\s]+", written.strip()) if p][:10]
    if field == "hashtags":
        shown = ", ".join(f'"{p if p.startswith("#") else "#" + p}"' for p in parts)
    else:
        shown = ", ".join(p.strip("\"'“”‘’") for p in parts)
    return (
        f"`{field}` must be a list, written in square brackets: `{field}: [{shown}]` "
        "(or one `- item` per line)."
    )


def iso_date(written: str) -> str | None:
    """``written`` as YYYY-MM-DD when it is a day-first date (04/07/2030), else None."""
    m = re.fullmatch(r"\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s*", written)
    if m is None:
        return None
    day, month, year = (int(g) for g in m.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if month <= 12 and day <= 31 else None
