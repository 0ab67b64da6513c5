"""`clarion validate` never crashes and never dawdles, whatever the file holds (issue 11).

Three kinds of input, each fed to the command itself (click's runner, exceptions not caught, so
a traceback fails the test): random bytes; random YAML-like text built from the campaign's own
keys, indentation, colons, dashes, quotes, numbers (5,000 digits too), dates (year 0 and 9999
too), times, tabs, unicode, anchors and aliases; and the example campaign with random mutations.
Each example must exit 0 (valid) or 1 (problems) within a second.

Examples are derandomized (the same ones every run, so a failure is reproducible) and not stored.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.cli import cli
from tests.conftest import EXAMPLE

#: The longest one example may take, in seconds (the issue's bound).
WITHIN_S = 1.0

FUZZ = settings(
    max_examples=300,
    deadline=None,  # timed by Folder.validate itself, asking again when the machine is busy
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Folder:
    """A campaign folder (the example's media copied in) where each example is written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(EXAMPLE.parent / "media", root / "media")
        self.file = root / "campaign.yaml"

    def validate(self, data: bytes) -> None:
        self.file.write_bytes(data)
        result, took = self._timed()
        if took >= WITHIN_S:  # a machine busy with other work, or the input: ask again
            result, again = self._timed()
            took = min(took, again)
        assert result.exit_code in (0, 1), result.output
        assert took < WITHIN_S, f"validate took {took:.2f} s"
        if result.exit_code == 1:  # problems are said in words, FILE:LINE:COL first
            assert f"{self.file}:" in result.output

    def _timed(self) -> tuple[Result, float]:
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["validate", str(self.file)], catch_exceptions=False)
        return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def folder() -> Iterator[Folder]:
    with tempfile.TemporaryDirectory() as root:
        yield Folder(Path(root))


# --- random YAML-like text ------------------------------------------------------------------

KEYS = [
    "version", "name", "slug", "timezone", "dates", "start", "end", "platforms", "hashtags",
    "overflow", "grace", "accounts", "language", "visibility", "posts", "quotes", "id", "at",
    "day", "time", "text", "link", "images", "path", "alt", "variants", "thread", "quote_of",
    "template", "times", "days", "items", "quote", "role", "short", "card", "background",
    "text_colour", "logo", "size", "font", "x", "mastodon", "bluesky", "facebook", "approval",
]  # fmt: skip
WORDS = [
    "1", "0", "-1", "366", "367", "1.5", ".inf", "-.inf", ".nan", "0x" + "f" * 40,
    "0b" + "1" * 80, "9" * 5000, "-" + "9" * 5000, "1e999", "2022-07-04", "9999-12-31",
    "0000-01-01", "2022-02-30", "2000-01-01", "2100-12-31", "2022-07-04 09:00",
    "9999-12-31 23:59", "2022-07-04T09:00:00Z", '"09:00"', "09:00", "24:00", "12:60",
    "15m", "0s", "9" * 400 + "h", "1h30m", "Europe/London", "America/Los_Angeles",
    "Pacific/Kiritimati", "Etc/GMT+12", "BST", "../etc/passwd", "media/launch.png",
    "media/logo.png", "/dev/zero", "https://example.org/a", "#Tag", '"#Tag"', "true",
    "null", "~", "[]", "{}", "[x, mastodon]", "{start: 2022-07-04, end: 2022-07-09}",
    "{start: 2000-01-01, end: 2100-12-31}", "{start: 9999-12-31, end: 9999-12-31}",
    "thread", "error", "required", '"#1d3557"',
    "1080x1080", "999999x1", "“smart quotes”", "café", "😀", "\u202e", "\x00", "{quote}",
    "{name} {role}", "{0}", "{", "}}", '"{quote:>99999999999999999999}"', '"{quote!z}"',
    '"{quote:{name}}"', '"{quote.__class__}"', '"media/a\\0b.png"', "Europe/London" * 2000,
    "media/", "media", ".", "~/x.ttf", "!!python/object:os.system", "!!binary aGk=",
    "!custom", "&a", "*a", "&b [*b]", "<<: *a", ">-", "|", "'", '"', "# comment",
]  # fmt: skip
PUNCT = [": ", ":", "- ", "-", " ", "  ", "\t", "\n", "\n  ", "\n    ", "\n      ", ", ", "[", "]"]

token = st.one_of(
    st.sampled_from(KEYS).map(lambda k: k + ": "),
    st.sampled_from(WORDS),
    st.sampled_from(PUNCT),
    st.text(max_size=8),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@st.composite
def yaml_like(draw: st.DrawFn) -> str:
    """Mostly line-shaped: an indentation, maybe a dash, a key, a value; sometimes raw tokens."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 4)) == 0:
            lines.append("".join(draw(st.lists(token, max_size=6))))
            continue
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 6, 1, 3])) + draw(
            st.sampled_from(["", "", "- ", "\t", "-"])
        )
        key = draw(st.sampled_from(KEYS))
        value = "".join(draw(st.lists(st.one_of(st.sampled_from(WORDS), token), max_size=3)))
        lines.append(f"{indent}{key}:{draw(st.sampled_from([' ', '', '  ']))}{value}")
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


# --- campaign-shaped documents with random values ------------------------------------------

#: A value as written in the file: a raw scalar (written as is, unquoted), a list or a mapping.
Node = str | list["Node"] | dict[str, "Node"]

SKELETON: dict[str, Node] = {
    "version": "1",
    "name": "Fuzz Week",
    "timezone": "America/New_York",  # west of UTC: late in year 9999 overflows
    "dates": {"start": "2022-07-04", "end": "2022-07-09"},
    "platforms": ["x", "mastodon", "bluesky", "facebook"],
    "posts": [
        {"day": "1", "time": '"09:00"', "text": "Hello"},
        {"at": "2022-07-05 10:00", "text": "Again", "thread": [{"text": "More"}]},
    ],
    "quotes": {
        "template": '"{quote} {name}"',
        "times": ['"12:00"'],
        "items": [{"quote": "Words", "name": "Ann"}],
    },
}


def scalar() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(WORDS), st.integers(-(10**20), 10**20).map(str))


def node(depth: int = 2) -> st.SearchStrategy[Node]:
    if depth == 0:
        return scalar()
    inner = node(depth - 1)
    return st.one_of(
        scalar(),
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    )


def leaves(value: Node, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))


def replaced(value: Node, path: tuple[str | int, ...], new: Node) -> Node:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(head, str):
        return {**value, head: replaced(value[head], rest, new)}
    if isinstance(value, list) and isinstance(head, int):
        return [*value[:head], replaced(value[head], rest, new), *value[head + 1 :]]
    return value  # pragma: no cover - paths come from leaves()


def render(value: Node, indent: int = 0) -> str:
    """Block-style YAML with every scalar written as is (so `9999...` stays a number)."""
    pad = " " * indent
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            return "[]"
        return "".join(f"\n{pad}- " + render(v, indent + 2).lstrip("\n").lstrip() for v in value)
    if not value:
        return "{}"
    return "".join(f"\n{pad}{k}: " + render(v, indent + 2) for k, v in value.items())


@st.composite
def campaign_like(draw: st.DrawFn) -> str:
    doc: Node = SKELETON
    for _ in range(draw(st.integers(1, 4))):
        places = list(leaves(doc))[1:]
        where = draw(st.sampled_from(places))
        doc = replaced(doc, where, draw(node()))
    if draw(st.booleans()):  # a field added somewhere
        assert isinstance(doc, dict)
        doc = {**doc, draw(st.sampled_from(KEYS)): draw(node())}
    return render(doc).lstrip("\n") + "\n"


# --- the example, mutated -------------------------------------------------------------------

EXAMPLE_LINES = EXAMPLE.read_text(encoding="utf-8").splitlines()


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, len(lines) - 1)) if lines else 0
        kind = draw(st.integers(0, 6))
        if not lines:
            lines.append(draw(st.sampled_from(WORDS)))
        elif kind == 0:  # drop a line
            del lines[n]
        elif kind == 1:  # repeat a line
            lines.insert(n, lines[n])
        elif kind == 2:  # another value after a key
            key, sep, _ = lines[n].partition(":")
            lines[n] = f"{key}{sep or ':'} {draw(st.sampled_from(WORDS))}"
        elif kind == 3:  # something typed into the middle of a line
            at = draw(st.integers(0, len(lines[n])))
            lines[n] = lines[n][:at] + draw(token) + lines[n][at:]
        elif kind == 4:  # indentation changed
            lines[n] = " " * draw(st.integers(0, 8)) + lines[n].lstrip()
        elif kind == 5:  # cut short
            del lines[n:]
        else:  # two lines swapped
            m = draw(st.integers(0, len(lines) - 1))
            lines[n], lines[m] = lines[m], lines[n]
    return "\n".join(lines) + "\n"


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_never_crash_validate(folder: Folder, data: bytes) -> None:
    folder.validate(data)


@FUZZ
@given(text=yaml_like())
def test_random_yaml_like_text_never_crashes_validate(folder: Folder, text: str) -> None:
    folder.validate(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=campaign_like())
def test_campaign_shaped_text_never_crashes_validate(folder: Folder, text: str) -> None:
    folder.validate(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=mutated_example())
def test_a_mutated_example_never_crashes_validate(folder: Folder, text: str) -> None:
    folder.validate(text.encode("utf-8", "surrogatepass"))


def test_the_example_itself_is_valid(folder: Folder) -> None:
    folder.validate(EXAMPLE.read_bytes())
    result = CliRunner().invoke(cli, ["validate", str(folder.file)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
