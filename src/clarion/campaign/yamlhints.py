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

from clarion.campaign.filekinds import looks_like_markdown, markdown

#: Line breaks as libyaml counts them (its marks' lines).
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_KEY_LINE = re.compile(r"^(\s*)((?:-\s+)*)([A-Za-z_][\w-]{0,40}):(?:\s+(.*))?$")
_NO_SPACE = re.compile(r"^(\s*(?:-\s+)*)([A-Za-z_][\w-]{0,40}):([^\s/:].*)$")
#: Fields whose value is free text (curly quotes around it may be meant).
FREE_TEXT = {"text", "alt", "quote", "template", "name", "role", "note"}


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


def content(row: str) -> bool:
    s = row.strip()
    return bool(s) and not s.startswith("#")


def _key_col(row: str) -> int:
    """Where the first key (or value) of ``row`` starts, past any `- ` list markers."""
    m = _KEY_LINE.match(row)
    if m:
        return len(m.group(1)) + len(m.group(2))
    return _indent(row)


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
            return hint._replace(line=max(1, hint.line), column=max(1, hint.column))
    if looks_like_markdown(text, name):
        return Hint(markdown(name), 1, 1)
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
    opening = re.search(r"[\[{]", row)
    cl, cc = found, opening.start() if opening else _indent(row)
    m = _KEY_LINE.match(row)
    key = m.group(3) if m else "hashtags"
    tags = re.findall(r"#\w+", row[cc:])
    what = "list" if row[cc : cc + 1] != "{" else "block"
    said = f"YAML reads `#` as the start of a comment, so this {what} is never closed."
    if tags and row[cc : cc + 1] == "[":
        fixed = ", ".join(f'"{t}"' for t in tags)
        said += f" Put each hashtag in double quotes: `{key}: [{fixed}]`."
    else:
        said += " Put any value that starts with # in double quotes."
    return Hint(said, cl + 1, cc + 1)


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
        if not content(row):
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
    what = "This text" if key in FREE_TEXT else f"This value of `{key}`"
    fix = "write it on the next lines after `" + key + ": >-`"
    if k == l0 and value and '"' not in value:
        quoted = value.replace("\\", "\\\\")
        fix = f'put the whole text in double quotes: `{key}: "{quoted}"`, or ' + fix
    else:
        fix = "put the whole text in double quotes, or " + fix
    return Hint(
        f"{what} contains `: `{f' (after “{before}”)' if before else ''}, which YAML reads as "
        "the start of a new field. "
        f"To keep it as text, {fix}.",
        l0 + 1,
        c0 + 1,
    )


def _deeper(rows: Sequence[str], n: int, k: int, m: re.Match[str]) -> Hint:
    key = _KEY_LINE.match(_at(rows, n))
    name = key.group(3) if key else "this field"
    col = _key_col(_at(rows, k))
    moved = _moved_item(rows, n, k)
    if moved is not None:
        return moved
    return Hint(
        f"`{name}:` is indented more than `{m.group(3)}:` on line {k + 1}, so YAML reads it as "
        f"part of `{m.group(3)}`'s value. Fields of the same block start in the same column: "
        f"move `{name}:` to column {col + 1}.",
        n + 1,
        _indent(_at(rows, n)) + 1,
    )


def _moved_item(rows: Sequence[str], n: int, k: int) -> Hint | None:
    """When line ``k`` is a list item moved left of the items before it and line ``n`` stayed
    where their fields are, the item is what moved."""
    item = _at(rows, k)
    if not item.lstrip().startswith("- "):
        return None
    for j in range(k - 1, -1, -1):
        other = _at(rows, j)
        if other.lstrip().startswith("- "):
            if _indent(other) > _indent(item) and _key_col(other) == _indent(_at(rows, n)):
                return Hint(
                    f"This list item starts at column {_indent(item) + 1}, but the item before "
                    f"it (line {j + 1}) starts at column {_indent(other) + 1}. Items of one list "
                    f"start in the same column: move the `-` to column {_indent(other) + 1}.",
                    k + 1,
                    _indent(item) + 1,
                )
            return None
    return None


def _previous(rows: Sequence[str], n: int) -> int:
    for k in range(n - 1, -1, -1):
        if content(_at(rows, k)):
            return k
    return -1


def _indentation(
    rows: Sequence[str], problem: str, l0: int, c0: int, context: str, cl: int, cc: int
) -> Hint | None:
    n = l0
    while n < len(rows) and not content(_at(rows, n)):
        n += 1
    row = _at(rows, n)
    p = _previous(rows, n)
    if not content(row) or p < 0:
        return None
    prow = _at(rows, p)
    cur, pcol = _indent(row), _key_col(prow)
    if row.lstrip().startswith("- ") and not prow.rstrip().endswith(":"):
        items = [k for k in range(p, -1, -1) if _at(rows, k).lstrip().startswith("- ")]
        inner = [k for k in items if _indent(rows[k]) < cur][:1]
        # Moved left: the list is the outermost one to its right (not an item's `images:`).
        outer = sorted((k for k in items if _indent(rows[k]) > cur), key=lambda k: _indent(rows[k]))
        for k in inner or outer[:1]:
            return Hint(
                f"This list item starts at column {cur + 1}, but the item before it (line "
                f"{k + 1}) starts at column {_indent(rows[k]) + 1}. Items of one list start in "
                f"the same column: move the `-` to column {_indent(rows[k]) + 1}.",
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
        dashes = [k for k in range(p, -1, -1) if _indent(_at(rows, k)) == cur and content(rows[k])]
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
