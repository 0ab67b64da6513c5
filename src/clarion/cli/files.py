"""Campaign files on the command line: their suffixes, and their shell completion.

Kept apart from :mod:`clarion.cli.options` (which names the ``FILE...`` argument) and from
:mod:`clarion.cli.completion` (the ``clarion completion`` command), so neither imports the other.
click's completion machinery is imported only when the shell asks for completions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

CAMPAIGN_SUFFIXES = (".yaml", ".yml")


def campaign_files(incomplete: str) -> list[CompletionItem]:
    """Campaign files (*.yaml, *.yml) and folders whose names start with ``incomplete``.

    Folders end with ``/``. When the only match is a folder, its own entries are offered
    instead, so the shell completes into it without adding a space after the ``/``.
    """
    from click.shell_completion import CompletionItem

    found = _entries(incomplete)
    for _ in range(8):  # a few levels at most (a folder may link to itself)
        if not (len(found) == 1 and found[0].endswith("/")):
            break
        inside = _entries(found[0])
        if not inside:
            break
        found = inside
    return [CompletionItem(name) for name in found]


def _entries(incomplete: str) -> list[str]:
    head, prefix = os.path.split(incomplete)
    shown = incomplete[: len(incomplete) - len(prefix)]
    folder = Path(head).expanduser() if head else Path()
    out = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if not name.startswith(prefix) or (name.startswith(".") and not prefix):
                    continue
                try:
                    if entry.is_dir():
                        out.append(f"{shown}{name}/")
                    elif name.endswith(CAMPAIGN_SUFFIXES):
                        out.append(f"{shown}{name}")
                except OSError:
                    continue
    except OSError:
        return []
    return sorted(out)
