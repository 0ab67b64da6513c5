"""A platform lives in its own folder: outside ``clarion/platforms/<name>/`` and the registry
(``clarion/platforms/__init__.py``), no code names one of the built-in platforms, as a quoted
string or a module path. Documentation (docstrings, comments) may."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from clarion import platforms

SRC = Path(platforms.__file__).resolve().parents[1]  # src/clarion
NAMES = tuple(platforms.BUILTIN)
#: The ways a template could name a platform: its CSS classes or a quoted name.
TEMPLATE = re.compile(rf"""\.[pb]-({"|".join(NAMES)})\b|["']({"|".join(NAMES)})["']""")
MODULE = re.compile(rf"\bclarion\.platforms\.({'|'.join(NAMES)})\b")


def _own(path: Path, root: Path) -> bool:
    """Whether ``path`` belongs to a platform's own folder or is the registry."""
    parts = path.relative_to(root).parts
    if parts == ("platforms", "__init__.py"):
        return True
    return len(parts) > 2 and parts[0] == "platforms" and parts[1] in NAMES


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    # A bare string statement (an attribute's docstring) is documentation too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            found.add(id(node.value))
    return found


def _fragments(tree: ast.AST) -> set[int]:
    """The literal pieces of f-strings (the "x" of ``f"{w}x{h}"`` names nothing)."""
    return {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
        if isinstance(value, ast.Constant)
    }


def offenders(root: Path = SRC) -> list[str]:
    out: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _own(path, root):
            continue
        where = path.relative_to(root.parent)
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            pieces = _fragments(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if id(node) in docs:
                        continue
                    bare = node.value in NAMES and id(node) not in pieces
                    if bare or MODULE.search(node.value):
                        out.append(f"{where}:{node.lineno}: {node.value!r}")
                elif isinstance(node, ast.ImportFrom) and node.module:
                    named = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                    if any(MODULE.search(n) for n in named):
                        out.append(f"{where}:{node.lineno}: from {node.module} import ...")
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if MODULE.search(alias.name):
                            out.append(f"{where}:{node.lineno}: import {alias.name}")
        elif path.suffix in (".j2", ".html", ".css", ".js"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if TEMPLATE.search(line):
                    out.append(f"{where}:{n}: {line.strip()[:80]}")
    return out


def test_no_code_outside_a_platform_folder_names_a_platform() -> None:
    found = offenders()
    assert not found, "platform names outside their folders and the registry:\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan is not vacuous: a dispatch on a platform name, an import of a platform module
    and a template's platform class are all found."""
    pkg = tmp_path / "clarion"
    (pkg / "render" / "templates").mkdir(parents=True)
    (pkg / "render" / "bad.py").write_text(
        '"""Docs may say "mastodon"."""\n'
        "from clarion.platforms.bluesky import facets\n"
        "def f(platform):\n"
        '    return platform == "mastodon"\n'
    )
    (pkg / "render" / "templates" / "page.html.j2").write_text(".p-x .av{background:#000}\n")
    found = offenders(pkg)
    assert len(found) == 3, found
