"""Reading YAML safely, remembering where every value came from.

Only PyYAML's safe loader (the C one where available) is used, and only to *compose* nodes; this
module turns nodes into plain Python values itself so that it can

* record the line and column of every key and value (for ``FILE:LINE:COL`` messages),
* refuse any tag outside the safe core schema (``!!python/...`` and friends) without building it,
* refuse alias bombs and recursive aliases instead of expanding them,
* keep times like ``12:00`` as text (YAML 1.1 would read them as the number 720).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import yaml

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

#: Largest campaign file read, in bytes.
MAX_FILE_BYTES = 1024 * 1024
#: Most values one file may expand to (aliases included): a guard against alias bombs.
MAX_NODES = 200_000

Path_ = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_SAFE_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


class Mark(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based


class SourceMap:
    """Where each value (and each mapping key) of a document stands in its file.

    Holds PyYAML's own marks (0-based) and turns them into 1-based :class:`Mark` on request:
    most files have no problem, so most positions are never asked for.
    """

    __slots__ = ("keys", "text", "values")

    def __init__(self, text: str = "") -> None:
        self.values: dict[Path_, Any] = {}
        self.keys: dict[Path_, Any] = {}
        #: The file's text, for messages that quote a line (:mod:`clarion.campaign.yamlhints`).
        self.text = text

    def value(self, path: Path_) -> Mark:
        """The mark of the value at ``path``, or of the nearest enclosing value that exists."""
        for p in _prefixes(path):
            if p in self.values:
                return _to_mark(self.values[p])
        return Mark(1, 1)

    def key(self, path: Path_) -> Mark:
        """The mark of the mapping key at ``path`` (falls back to its value, then its parent)."""
        if path in self.keys:
            return _to_mark(self.keys[path])
        return self.value(path)


def _to_mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def _prefixes(path: Path_) -> Iterator[Path_]:
    for n in range(len(path), -1, -1):
        yield path[:n]


class YamlError(Exception):
    """The file could not be read as a safe campaign document."""

    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _mark(node: yaml.Node) -> Mark:
    m = node.start_mark
    return Mark(m.line + 1, m.column + 1)


def load(data: bytes, name: str = "") -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain values and a :class:`SourceMap` (``name``: the file's
    name, to tell a Markdown document from a campaign)."""
    from clarion.campaign import filekinds, yamlhints

    if len(data) > MAX_FILE_BYTES:
        raise YamlError(
            f"This file is {len(data):,} bytes; campaign files can be at most "
            f"{MAX_FILE_BYTES:,} bytes (1 MiB). Split the campaign into several files.",
            Mark(1, 1),
        )
    kind = filekinds.sniff(data)
    if kind is not None:
        raise YamlError(kind, Mark(1, 1))
    try:
        # As data.decode("utf-8-sig") (a leading byte order mark dropped, error offsets counted
        # after it), without importing that codec at each start.
        text = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(
            "This file is not UTF-8 text. Save it as UTF-8 in your editor and try again.",
            Mark(line, 1),
        ) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        what = exc.problem or "this is not valid YAML"
        cm = exc.context_mark
        hint = yamlhints.explain(
            text,
            what,
            where.line - 1,
            where.column - 1,
            exc.context or "",
            cm.line if cm else -1,
            cm.column if cm else -1,
            name,
        )
        if hint is not None:
            raise YamlError(hint.message, Mark(hint.line, hint.column)) from None
        raise YamlError(yamlhints.plain(what), where) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"The file is not valid YAML: {exc}.", Mark(1, 1)) from None
    finally:
        loader.dispose()
    smap = SourceMap(text)
    if node is None:
        return None, smap
    builder = _Builder(loader, smap)
    return builder.build(node, ()), smap


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, smap: SourceMap) -> None:
        self.loader = loader
        self.smap = smap
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(
                f"This file has more than {MAX_NODES:,} values (each use of an alias `*name` "
                "counts as a copy of what it names). A campaign never needs that many: split it "
                "into several files, or write repeated parts out instead of using aliases.",
                _mark(node),
            )
        self.smap.values[path] = node.start_mark
        if type(node) is yaml.ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        if id(node) in self.active:
            raise YamlError(
                "This alias refers to the value that contains it, which would never end. "
                "Remove the `*name` alias.",
                _mark(node),
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, _CORE + "seq")
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                self._check_tag(node, _CORE + "map")
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise YamlError(
            "Clarion cannot read this kind of YAML value.", _mark(node)
        )  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                raise YamlError(
                    "Merge keys (`<<:`) are not supported in campaign files; write the fields out.",
                    _mark(key_node),
                )
            if type(key_node) is not yaml.ScalarNode:
                raise YamlError("A field name must be plain text.", _mark(key_node))
            key = key_node.value if key_node.tag == _STR else str(self._scalar(key_node))
            if key in result:
                raise YamlError(
                    f"`{key}` is written twice in the same block; keep only one.", _mark(key_node)
                )
            sub = (*path, key)
            self.smap.keys[sub] = key_node.start_mark
            result[key] = self.build(value_node, sub)
        return result

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise YamlError(_bad_tag(node.tag), _mark(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:  # most values: no need for the constructor's machinery
            return node.value
        if node.tag not in _SAFE_SCALAR_TAGS:
            raise YamlError(_bad_tag(node.tag), _mark(node))
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # year 0, a 5,000-digit number
            raise YamlError(_unreadable(node, exc), _mark(node)) from None
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise YamlError(_unreadable(node, None), _mark(node))
        # YAML 1.1 reads 12:00 as the base-60 number 720: keep what the person wrote.
        if not node.style and isinstance(value, int | float) and ":" in node.value:
            return node.value
        return value


#: No number in a campaign needs more than 64 bits; larger ones are refused before anything
#: (pydantic, messages) turns them into text of thousands of digits.
_MAX_INT_BITS = 64


def _unreadable(node: yaml.ScalarNode, exc: Exception | None) -> str:
    """What to say of a number or date YAML cannot turn into a value Clarion can use."""
    written = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    if node.tag == _CORE + "timestamp":
        return (
            f"`{written}` is not a real date or time ({exc}). Write a date as YYYY-MM-DD, "
            'e.g. 2022-07-04, and a time in quotes, e.g. "09:00".'
        )
    return (
        f"`{written}` ({len(node.value):,} characters) is too large a number for a campaign. "
        "Write a smaller number, or put it in double quotes if it is meant as text."
    )


def _bad_tag(tag: str) -> str:
    shown = tag.replace(_CORE, "!!")
    return (
        f"The YAML tag `{shown}` is not allowed in campaign files (only plain text, numbers, "
        "dates, lists and mappings are). Remove the tag; Clarion never runs code from a file."
    )
