"""The shape of Clarion's code: no import circles among its modules, no module over 400 lines.

The layers themselves (cli -> render -> checking/engine/daemon -> planner -> campaign -> platforms
-> ledger -> utilities) are import-linter's contracts in pyproject.toml, run by scripts/test.
import-linter keeps the packages in order; this finds circles between single modules, which a
layers contract does not see inside one package (``cli.options`` <-> ``cli.completion``).

Every import counts, those inside functions too (a lazy import still runs, in whatever order the
program happens to need it); an import under ``if TYPE_CHECKING:`` does not: it never runs.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: No module of src/ is longer than this (lines): split it where its parts are separate things.
MAX_LINES = 400


def modules(src: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of ``package`` under ``src``: dotted name -> (file, is a package)."""
    found = {}
    for file in sorted((src / package.replace(".", "/")).rglob("*.py")):
        parts = list(file.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (file, is_package)
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of every node under an ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def imports(src: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (at module level or in a function).

    ``from a.b import c`` imports ``a.b.c`` when that is a module, else ``a.b``; importing a
    module also runs its packages' ``__init__``, which is not counted (every module would then
    import its own package, and every package its modules)."""
    known = modules(src, package)

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (file, is_package) in known.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        skipped = _type_checking_only(tree)
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")
                    up = up[: len(up) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in known else base)
        graph[name] = {
            o
            for t in targets
            if (t == package or t.startswith(package + ".")) and (o := owner(t)) and o != name
        }
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle for every group of modules that import each other, each as a path that comes
    back to where it starts (``[a, b, a]``), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)

    found = []
    for group in groups:
        start = min(group)
        # shortest way back to start inside the group (breadth first)
        came: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in came:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & group):
                    if w not in came:
                        came[w] = v
                        nxt.append(w)
            frontier = nxt
        path = [start]
        v = came[start]
        while v != start:
            path.append(v)
            v = came[v]
        found.append([start, *reversed(path[1:]), start])
    return sorted(found)


def test_no_import_circles() -> None:
    found = circles(imports(SRC, "clarion"))
    assert not found, "modules that import each other:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_module_over_400_lines() -> None:
    long = {
        str(file.relative_to(SRC)): n
        for file in sorted(SRC.rglob("*.py"))
        if (n := len(file.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_circles_found_through_lazy_and_relative_imports(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",
            "pkg/a.py": "from pkg import b\nA = 1\n",
            "pkg/b.py": "def f():\n    from .sub import c\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "import pkg.a\n",
            "pkg/d.py": "import os\nfrom pkg.sub import c\n",
        },
    )
    graph = imports(src, "pkg")
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.d"] == {"pkg.sub.c"}
    assert graph["pkg"] == {"pkg.a"}
    assert circles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_type_checking_imports_make_no_circle(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import B\n",
            "pkg/b.py": """\
                from typing import TYPE_CHECKING
                import typing
                if TYPE_CHECKING:
                    from pkg.a import A
                if typing.TYPE_CHECKING:
                    import pkg.a
                B = 1
                """,
        },
    )
    graph = imports(src, "pkg")
    assert graph["pkg.b"] == set()
    assert circles(graph) == []
    (src / "pkg" / "b.py").write_text("def f():\n    from pkg.a import A\n", encoding="utf-8")
    assert circles(imports(src, "pkg")) == [["pkg.a", "pkg.b", "pkg.a"]]
