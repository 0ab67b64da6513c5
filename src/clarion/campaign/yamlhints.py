"""The YAML mistakes people make typing a campaign, explained in the campaign's own terms.

PyYAML says *what* it could not read ("mapping values are not allowed in this context") and
*where* it noticed, which is often the line after the cause. These functions look at the text
itself to name the real cause (a `: ` inside unquoted text, a tab, a quote never closed, a missing
space after a colon, a line indented wrongly, a `#` read as a comment, curly quotes) with its line
and column and the fix. Every function here takes any text and returns a hint or None; none
raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

#: Line breaks as libyaml counts them (its marks' lines).
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_KEY_LINE = re.compile(r"^(\s*)((?:-\s+)*)([A-Za-z_][\w-]{0,40}):(?:\s+(.*))?$")
_NO_SPACE = re.compile(r"^(\s*(?:-\s+)*)([A-Za-z_][\w-]{0,40}):([^\s/:].*)$")
_CURLY_OPEN = "“‘„«”’"
_CURLY_CLOSE = "”’“»‘"
#: Fields whose value is free text: curly quotes around it may be meant.
_FREE_TEXT = {"text", "alt", "quote", "template", "name", "role", "note"}


class Hint(NamedTuple):
    message: str
    line: int  # 1-based
    column: int  # 1-based


@lru_cache(maxsize=2)  # refine() is asked once per problem of the same file
def lines(text: str) -> tuple[str, ...]:
    return tuple(_BREAKS.split(text))


def _at(rows: Sequence[str], n: int) -> str:
    return rows[n] if 0 <= n < len(rows) else ""


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _content(row: str) -> bool:
    s = row.strip()
    return bool(s) and not s.startswith("#")


def _key_col(row: str) -> int:
    """Where the first key (or value) of ``row`` starts, past any `- ` list markers."""
    m = _KEY_LINE.match(row)
    if m:
        return len(m.group(1)) + len(m.group(2))
    return _indent(row)


# --- files that are not campaigns ----------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or an office document (Word, Excel, LibreOffice)"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel document"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)


def sniff(data: bytes) -> str | None:
    """What a file that is plainly not a campaign is ("This is a JPEG image, …"), or None."""
    head = data[:16]
    kind = next((k for magic, k in _MAGIC if head.startswith(magic)), None)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = "a WebP image"
    if kind is None and head[4:8] == b"ftyp":
        kind = "a HEIC photo or a video" if head[8:12] in (b"heic", b"heix", b"mif1") else "a video"
    if kind is None and head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return (
            "This file is saved as UTF-16 text. Save it as UTF-8 in your editor (the usual "
            "choice) and try again."
        )
    if kind is None and b"\x00" in data[:4096]:
        kind = "a binary file"
    if kind is None:
        return None
    extra = ""
    if "office" in kind or "Excel" in kind:
        extra = " If it is a spreadsheet of posts, `clarion import` turns it into a campaign file."
    return (
        f"This is {kind}, not a campaign file. Campaign files are YAML text (a .yaml file): "
        f"start from `clarion init`.{extra}"
    )


_MD = re.compile(r"^(#{1,6} \S|```|\s*[*+] \S)|\[[^\]\n]+\]\([^)\n]+\)|\*\*\w", re.MULTILINE)


def looks_like_markdown(text: str, name: str = "") -> bool:
    if name.lower().endswith((".md", ".markdown")):
        return True
    return len(_MD.findall(text[:20_000])) >= 2


def not_a_campaign(raw: Any, text: str, name: str = "") -> str | None:
    """Why a document that read as YAML is no campaign (empty, Markdown, a list, something else's
    settings), or None when it looks like a campaign."""
    if raw is None and not any(_content(r) for r in lines(text)):
        return (
            "This file is empty (or has only comments). Write the campaign's fields in it: "
            "`clarion init` writes a starter campaign to begin from."
        )
    if not isinstance(raw, dict):
        if looks_like_markdown(text, name):
            return _markdown(name)
        if isinstance(raw, list):
            return (
                "This file is a list (its first line starts with `- `), but a campaign file is a "
                "block of fields (`version:`, `name:`, `timezone:`, `posts:` …) with the list of "
                "posts under `posts:`. See `clarion init` for a starter."
            )
        return (
            "This file is plain text, not a campaign: a campaign file is a block of fields "
            "(`version:`, `name:`, `timezone:`, `posts:` …). See `clarion init` for a starter."
        )
    if not {"version", "name", "dates", "posts", "timezone", "quotes"} & {str(k) for k in raw}:
        what = "it does not look like a Clarion campaign"
        keys = {str(k) for k in raw}
        if "services" in keys:
            what = "it looks like a docker-compose file, not a Clarion campaign"
        elif "jobs" in keys or "True" in keys:  # YAML 1.1 reads `on:` as true
            what = "it looks like a CI workflow (GitHub Actions), not a Clarion campaign"
        return (
            f"This YAML file has no `version:`, `name:` or `dates:`; {what}. "
            "Check the file name, or start a campaign with `clarion init`."
        )
    return None


def _markdown(name: str) -> str:
    called = f" ({name.rsplit('/', 1)[-1]})" if name else ""
    return (
        f"This looks like a Markdown document{called}, not a campaign file. Campaign files are "
        "YAML: start from `clarion init`."
    )


# --- parser errors -------------------------------------------------------------------------------


def explain(
    text: str,
    problem: str,
    line0: int,
    col0: int,
    context: str = "",
    cline0: int = -1,
    ccol0: int = -1,
    name: str = "",
) -> Hint | None:
    """The real cause of a PyYAML error (``problem`` at 0-based ``line0``:``col0``, with its
    ``context`` and context mark), in plain words, or None when it is not a known mistake."""
    rows = lines(text)
    line0 = max(0, min(line0, len(rows) - 1))
    for finder in (_tab, _flow_comment, _unclosed, _no_space, _colon, _indentation):
        hint = finder(rows, problem, line0, col0, context, cline0, ccol0)
        if hint is not None:
            return hint
    if looks_like_markdown(text, name):
        return Hint(_markdown(name), 1, 1)
    return None


def _tab(rows: Sequence[str], problem: str, l0: int, c0: int, *_: Any) -> Hint | None:
    for n in range(l0, -1, -1):
        row = _at(rows, n)
        lead = row[: len(row) - len(row.lstrip(" \t"))]
        if "\t" in lead and (n == l0 or "tab" in problem):
            return Hint(
                f"Line {n + 1} starts with a tab. YAML needs spaces for indentation: replace the "
                "tab with spaces (2 per level).",
                n + 1,
                lead.index("\t") + 1,
            )
        if "tab" not in problem:
            return None
    return None


_FLOW_HASH = re.compile(r"[\[{,]\s*#")


def _flow_comment(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    if "flow" not in context and "flow" not in problem and "']'" not in problem:
        return None
    found = next(
        (n for n in range(l0, max(-1, l0 - 200), -1) if _FLOW_HASH.search(_at(rows, n))), None
    )
    if found is None:
        return None
    row = _at(rows, found)
    cl, cc = found, row.find("[") if "[" in row else row.find("{")
    m = _KEY_LINE.match(row)
    key = m.group(3) if m else "hashtags"
    tags = re.findall(r"#\w+", row[cc:])
    fixed = ", ".join(f'"{t}"' for t in tags) or '"#Tag"'
    return Hint(
        f"YAML reads `#` as the start of a comment, so this list is never closed. Put each "
        f"hashtag in double quotes: `{key}: [{fixed}]`.",
        cl + 1,
        cc + 1,
    )


def _closing(rows: Sequence[str], n: int, start: int, quote: str) -> tuple[int, int] | None:
    """Where the quoted text opened at ``rows[n][start]`` closes (line, column), or None."""
    col = start + 1
    for k in range(n, min(len(rows), n + 200)):
        row = rows[k]
        while col < len(row):
            ch = row[col]
            if quote == '"' and ch == "\\":
                col += 2
                continue
            if ch == quote:
                if quote == "'" and row[col + 1 : col + 2] == "'":
                    col += 2
                    continue
                return k, col
            col += 1
        col = 0
    return None


_VALUE_QUOTE = re.compile(r"^(\s*(?:-\s+)*(?:[A-Za-z_][\w-]{0,40}:\s+)?)([\"'])")


def _unclosed(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    candidates: list[tuple[int, int]] = []
    if "quoted scalar" in context and cl >= 0:
        candidates.append((cl, cc))
    for n in range(0, l0 + 1):
        m = _VALUE_QUOTE.match(_at(rows, n))
        if m:
            candidates.append((n, len(m.group(1))))
    for n, start in candidates:
        row = _at(rows, n)
        quote = row[start : start + 1]
        if quote not in ("'", '"'):
            continue
        end = _closing(rows, n, start, quote)
        if end is not None:
            if end[0] == n:
                continue
            after = _at(rows, end[0])[end[1] + 1 :].strip()
            if not after or after.startswith("#") or after[0] in ",]}":
                continue  # a quoted text over several lines, closed cleanly
        until = f" up to line {end[0] + 1}" if end else " to the end of the file"
        fixed = row.rstrip() + quote
        return Hint(
            f"This {quote} quote is never closed on its line, so YAML reads everything after it"
            f"{until} as one text. Close it at the end of the value: `{fixed.strip()}`.",
            n + 1,
            start + 1,
        )
    return None


def _no_space(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    first = cl if "simple key" in context and cl >= 0 else l0
    for n in range(first, max(-1, min(first, l0) - 4), -1):
        row = _at(rows, n)
        m = _NO_SPACE.match(row)
        if m is None or '"' in m.group(1) or "'" in m.group(1):
            continue
        key, rest = m.group(2), m.group(3).rstrip()
        value = f'"{rest}"' if re.fullmatch(r"\d{1,2}:\d{2}", rest) else rest
        return Hint(
            f"There is no space after `{key}:`, so YAML reads `{key}:{rest}` as one piece of "
            f"text, not a field. Put a space after the colon: `{key}: {value}`.",
            n + 1,
            len(m.group(1)) + len(key) + 2,
        )
    return None


def _key_above(rows: Sequence[str], n: int) -> tuple[int, re.Match[str]] | None:
    """The line above ``n`` (or ``n`` itself) where the value continued on ``n`` starts."""
    indent = _indent(_at(rows, n))
    for k in range(n, -1, -1):
        row = _at(rows, k)
        if not _content(row):
            continue
        m = _KEY_LINE.match(row)
        if m and (k == n or _key_col(row) < indent):
            return k, m
        if k != n and _indent(row) < indent:
            return None
    return None


def _colon(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    if "mapping values are not allowed" not in problem:
        return None
    row = _at(rows, l0)
    own = _KEY_LINE.match(row)
    if own and row[:c0].strip().lstrip("- ").strip() == own.group(3):  # the line's own key
        p = _previous(rows, l0)
        pm = _KEY_LINE.match(_at(rows, p)) if p >= 0 else None
        return _deeper(rows, l0, p, pm) if pm else None
    found = _key_above(rows, l0)
    if found is None:
        return None
    k, m = found
    key = m.group(3)
    value = (m.group(4) or "").strip()
    before = row[:c0]
    if k == l0 and m.group(4):
        before = before[len(row) - len(m.group(4)) :]
    before = before.strip()[-30:]
    what = "This text" if key in _FREE_TEXT else f"This value of `{key}`"
    fix = "write it on the next lines after `" + key + ": >-`"
    if k == l0 and value and '"' not in value:
        quoted = value.replace("\\", "\\\\")
        fix = f'put the whole text in double quotes: `{key}: "{quoted}"`, or ' + fix
    else:
        fix = "put the whole text in double quotes, or " + fix
    return Hint(
        f"{what} contains `: ` (after “{before}”), which YAML reads as the start of a new field. "
        f"To keep it as text, {fix}.",
        l0 + 1,
        c0 + 1,
    )


def _deeper(rows: Sequence[str], n: int, k: int, m: re.Match[str]) -> Hint:
    key = _KEY_LINE.match(_at(rows, n))
    name = key.group(3) if key else "this field"
    col = _key_col(_at(rows, k))
    return Hint(
        f"`{name}:` is indented more than `{m.group(3)}:` on line {k + 1}, so YAML reads it as "
        f"part of `{m.group(3)}`'s value. Fields of the same block start in the same column: "
        f"move `{name}:` to column {col + 1}.",
        n + 1,
        _indent(_at(rows, n)) + 1,
    )


def _previous(rows: Sequence[str], n: int) -> int:
    for k in range(n - 1, -1, -1):
        if _content(_at(rows, k)):
            return k
    return -1


def _indentation(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    n = l0
    while n < len(rows) and not _content(_at(rows, n)):
        n += 1
    row = _at(rows, n)
    p = _previous(rows, n)
    if not _content(row) or p < 0:
        return None
    prow = _at(rows, p)
    cur, pcol = _indent(row), _key_col(prow)
    if row.lstrip().startswith("- ") and not prow.rstrip().endswith(":"):
        for k in range(p, -1, -1):
            other = _at(rows, k)
            if other.lstrip().startswith("- ") and _indent(other) < cur:
                return Hint(
                    f"This list item starts at column {cur + 1}, but the item before it (line "
                    f"{k + 1}) starts at column {_indent(other) + 1}. Items of one list start in "
                    f"the same column: move the `-` to column {_indent(other) + 1}.",
                    n + 1,
                    cur + 1,
                )
    m = _KEY_LINE.match(row)
    pm = _KEY_LINE.match(prow)
    if m is None or pm is None:
        return None
    name, pname = m.group(3), pm.group(3)
    if cur > pcol and (pm.group(4) or "").strip():
        return _deeper(rows, n, p, pm)
    if cur < pcol:
        dashes = [k for k in range(p, -1, -1) if _indent(_at(rows, k)) == cur and _content(rows[k])]
        if dashes and _at(rows, dashes[0]).lstrip().startswith("-"):
            return Hint(
                f"`{name}:` starts at column {cur + 1}, where the list's `-` is (line "
                f"{dashes[0] + 1}), so it belongs to neither the item above nor a new one. "
                f"Indent it to column {pcol + 1}, like `{pname}:` on line {p + 1}.",
                n + 1,
                cur + 1,
            )
        if not dashes:
            return Hint(
                f"`{name}:` starts at column {cur + 1}, which lines up with no block above it. "
                f"Move it to column {pcol + 1}, like `{pname}:` on line {p + 1}.",
                n + 1,
                cur + 1,
            )
    return None


_PLAIN = {
    "did not find expected key": "Clarion expected a new field (`name: value`) here",
    "could not find expected ':'": "Clarion expected `name: value` here",
    "did not find expected '-' indicator": "Clarion expected the next list item (`- `) here",
    "found unexpected end of stream": "the file ends in the middle of a value",
    "found character that cannot start any token": "this character cannot start a value",
}


def plain(problem: str) -> str:
    """PyYAML's words for a problem it met, with the usual causes added."""
    said = _PLAIN.get(problem)
    if said is None:
        return f"The file is not valid YAML here: {problem}."
    return (
        f"The file is not valid YAML here: {said}. Check that this line and the one above it are "
        "indented with spaces like the lines around them, and that every quote is closed."
    )


# --- values YAML read differently from what was meant --------------------------------------------


def refine(text: str, line: int, column: int, message: str) -> str:
    """``message`` about the value at ``line``:``column`` (1-based), replaced with the real cause
    when YAML read that value differently from what was typed (a `#` read as a comment, curly
    quotes kept as part of the value)."""
    row = _at(lines(text), line - 1)
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
    if (
        len(value) >= 2
        and value[0] in _CURLY_OPEN
        and value[-1] in _CURLY_CLOSE
        and key not in _FREE_TEXT
    ):
        inner = value[1:-1]
        return (
            f"This value is between curly quotes ({value[0]}…{value[-1]}), which YAML keeps as "
            "part of the value: they are characters, not quotes (word processors and phones type "
            f'them). Use straight quotes or none: `{key + ": " if key else ""}"{inner}"`.'
        )
    return message
