"""Turning a campaign file into a :class:`~clarion.campaign.model.Campaign`, or problems."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import UnionType
from typing import Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from clarion.campaign import filekinds, yamlsafe, yamlvalues
from clarion.campaign.model import Campaign
from clarion.campaign.problems import Problem
from clarion.campaign.yamlsafe import Mark, SourceMap


class Source(NamedTuple):
    """A campaign file: where it is, how it is named in messages, where its values stand."""

    path: Path
    display: str
    smap: SourceMap

    @property
    def folder(self) -> Path:
        return self.path.parent

    def at(self, path: yamlsafe.Path_, message: str, *, key: bool = False) -> Problem:
        mark = self.smap.key(path) if key else self.smap.value(path)
        if not key and self.smap.text:  # a value YAML read differently from what was typed
            message = yamlvalues.refine(self.smap.text, mark.line, mark.column, message)
        return Problem(self.display, mark.line, mark.column, message)


class Loaded(NamedTuple):
    """A campaign that passed the field-level checks."""

    source: Source
    campaign: Campaign
    slug: str


def load(path: Path, display: str | None = None) -> tuple[Loaded | None, list[Problem]]:
    """Read and check the fields of one campaign file."""
    shown = display if display is not None else str(path)
    try:
        data = read(path)
    except FileNotFoundError:
        return None, [Problem(shown, 1, 1, "This file does not exist. Check the name and folder.")]
    except IsADirectoryError:
        return None, [Problem(shown, 1, 1, "This is a folder, not a campaign file.")]
    except Unreadable as exc:
        return None, [Problem(shown, 1, 1, str(exc))]
    except OSError as exc:
        return None, [Problem(shown, 1, 1, f"Clarion could not read this file: {exc.strerror}.")]
    try:
        raw, smap = yamlsafe.load(data, path.name)
    except yamlsafe.YamlError as exc:
        return None, [Problem(shown, exc.mark.line, exc.mark.column, exc.message)]
    source = Source(path, shown, smap)
    foreign = filekinds.not_a_campaign(raw, smap.text, path.name)
    if foreign is not None:
        return None, [Problem(shown, 1, 1, foreign)]  # about the whole file
    try:
        campaign = Campaign.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        return None, sorted(_problem(source, raw, e) for e in errors if not _knock_on(e, errors))
    slug = campaign.slug or _default_slug(path)
    return Loaded(source, campaign, slug), []


class Unreadable(Exception):
    """A campaign path that is not a file Clarion may read (a device, a pipe, too big, growing)."""


_KINDS = (
    (stat.S_ISCHR, "a device (like /dev/zero), not a campaign file"),
    (stat.S_ISBLK, "a disk device, not a campaign file"),
    (stat.S_ISFIFO, "a pipe (FIFO), not a campaign file"),
    (stat.S_ISSOCK, "a socket, not a campaign file"),
)


def read(path: Path) -> bytes:
    """The bytes of a campaign file, reading at most :data:`yamlsafe.MAX_FILE_BYTES` (+1).

    Opened without blocking (a pipe with no writer would wait forever), and refused unless it is a
    regular file: devices, pipes and sockets never end. A file over the limit, or one that grows
    while it is read (something is still writing it), is refused before anything is parsed.
    :class:`Unreadable` says why in plain words; ``OSError`` for the rest."""
    limit = yamlsafe.MAX_FILE_BYTES
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise Unreadable(f"This is {kind}. Give the path of a .yaml file.")
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("This is not a regular file. Give the path of a .yaml file.")
        if st.st_size > limit:
            raise Unreadable(_too_big(st.st_size))
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, limit + 1 - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit or got != os.fstat(fd).st_size:
            raise Unreadable(
                "This file changed while Clarion was reading it (something is still writing "
                "it). Wait until it is saved, then try again."
            )
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(size: int) -> str:
    limit = yamlsafe.MAX_FILE_BYTES
    return (
        f"This file is {size:,} bytes; campaign files can be at most {limit:,} bytes (1 MiB). "
        "Split the campaign into several files."
    )


def _default_slug(path: Path) -> str:
    stem = path.name
    for suffix in (".yaml", ".yml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem


# --- pydantic errors in plain words -------------------------------------------------------------

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "list_type": "a list (one `- item` per line, or [a, b])",
    "dict_type": "a block of fields (`name: value` lines)",
    "model_type": "a block of fields (`name: value` lines)",
    "model_attributes_type": "a block of fields (`name: value` lines)",
    "bool_type": "true or false",
}


def _problem(source: Source, raw: Any, err: ErrorDetails) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
    kind = err["type"]
    if kind == "extra_forbidden":
        return source.at(loc, _unknown_field(raw, loc), key=True)
    if kind == "missing":
        return source.at(
            loc[:-1], f"`{field}` is missing here. {_MISSING_HINTS.get(field, '')}".strip()
        )
    if kind == "list_type" and isinstance(err.get("input"), str):
        return source.at(loc, yamlvalues.as_list(field, err["input"]))
    if kind in _TYPE_WORDS:
        return source.at(loc, f"`{field}` must be {_TYPE_WORDS[kind]}.")
    if kind in (
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
    ):
        iso = yamlvalues.iso_date(str(err.get("input", "")))
        example = f": `{field}: {iso}`" if iso else ", e.g. 2022-07-04"
        return source.at(loc, f"`{field}` must be a date written as YYYY-MM-DD{example}.")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return source.at(loc, f"`{field}` must be {expected}.")
    if kind == "string_too_short":
        return source.at(loc, f"`{field}` is empty; write something or remove the line.")
    if kind == "too_short":
        return source.at(loc, f"`{field}` needs at least one entry.")
    if kind == "string_pattern_mismatch":
        return source.at(
            loc, _PATTERN_WORDS.get(field, f"`{field}` has characters that are not allowed.")
        )
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        return source.at(loc, f"`{field}` is too long; keep it to {limit} characters.")
    if kind == "value_error":
        message = str(err.get("ctx", {}).get("error", err["msg"]))
        return source.at(loc, message)
    return source.at(loc, f"`{field}`: {err['msg']}.")


_MISSING_HINTS = {
    "version": "Add `version: 1` at the top of the file.",
    "name": "Add a `name:` line with the campaign's title.",
    "timezone": "Add e.g. `timezone: Europe/London`.",
    "dates": "Add e.g. `dates: {start: 2022-07-04, end: 2022-07-09}`.",
    "platforms": "Add e.g. `platforms: [x, facebook, mastodon, bluesky]`.",
    "text": "Every post needs the words it will say.",
    "path": "Give the image file, relative to the campaign file.",
    "quote": "Give the person's words.",
    "template": 'Add e.g. `template: "“{quote}” — {name}, {role}"`.',
    "times": 'Add e.g. `times: ["12:00", "16:00"]`.',
}

_PATTERN_WORDS = {
    "id": "An id may use only letters, digits, `-`, `_` and `.`, and must start with a letter "
    "or digit.",
    "slug": "A slug may use only lower-case letters, digits and `-`, e.g. carers-week-2026.",
}


def _knock_on(err: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A post missing `text` when a `text:` stands at the start of a line below it (not indented,
    so a field of the campaign): one problem, the misplaced line, not two."""
    return err["type"] == "missing" and any(
        e["type"] == "extra_forbidden" and len(e["loc"]) == 1 and e["loc"][0] == err["loc"][-1]
        for e in errors
    )


def _unknown_field(raw: Any, loc: tuple[str | int, ...]) -> str:
    name = str(loc[-1])
    parent: Any = raw
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            parent = None
            break
    import difflib

    message = f"Clarion doesn't know the field `{name}` here."
    known = _known_fields(loc[:-1])
    if len(loc) == 1 and name in _known_fields(("posts",)) and name not in known:
        return (
            f"`{name}:` starts at the beginning of its line, so YAML reads it as a field of the "
            "campaign, not of the post above it. Indent it to line up with the post's other "
            "fields."
        )
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        message += f" Did you mean `{close[0]}`?"
    elif known:
        message += " Fields allowed here: " + ", ".join(known) + "."
    return message


def _is_model(model: Any) -> bool:
    return isinstance(model, type) and get_origin(model) is None and issubclass(model, BaseModel)


def _known_fields(loc: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at a location, walking the model classes along ``loc``."""
    model: Any = Campaign
    for part in loc:
        if isinstance(part, int):
            continue
        if get_origin(model) is dict:
            model = _unwrap(get_args(model)[1])
            continue
        if not _is_model(model):
            return []
        info = model.model_fields.get(part)
        if info is None:
            return []
        model = _unwrap(info.annotation)
    return list(model.model_fields) if _is_model(model) else []


def _unwrap(annotation: Any) -> Any:
    """list[X] -> X, X | None -> X; dict[str, X] is kept so the walk can step through keys."""
    while True:
        origin = get_origin(annotation)
        if origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return annotation


__all__ = ["Loaded", "Mark", "Source", "load"]
