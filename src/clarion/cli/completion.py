"""``clarion completion``: shell completion for commands, campaign files and platform names.

The script is click's own (what ``_CLARION_COMPLETE=bash_source clarion`` prints), preceded by
one comment saying how to install it. When the shell asks for completions, the script runs
``clarion`` with ``_CLARION_COMPLETE=bash_complete`` (zsh_complete, fish_complete) and click
answers: command names from the lazy registry, choices such as ``--platform`` names (every
platform :mod:`clarion.platforms` knows, plugins included: :class:`PlatformChoice`), and campaign
files through :func:`campaign_files` (the ``FILE...`` argument's ``shell_complete``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.shell_completion import CompletionItem, get_completion_class

from clarion.cli.options import CAMPAIGN_SUFFIXES

SHELLS = ("bash", "zsh", "fish")


class PlatformChoice(click.Choice[str]):
    """A platform's name: one of those :mod:`clarion.platforms` knows when the command runs
    (built-in, registered or installed as a plugin), completed and checked like any choice."""

    name = "platform"

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from clarion import platforms

        return platforms.names()

    @choices.setter
    def choices(self, value: object) -> None:
        """Ignored: the choices are always the registry's."""


#: One line on how to install each shell's script.
HOW = {
    "bash": 'Add to ~/.bashrc:  eval "$(clarion completion bash)"',
    "zsh": 'Add to ~/.zshrc (after compinit):  eval "$(clarion completion zsh)"',
    "fish": "Save it:  clarion completion fish > ~/.config/fish/completions/clarion.fish",
}


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_cmd(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    It completes commands, options, campaign files (*.yaml, *.yml and folders) and platform
    names. The first line of the script says how to install it.
    """
    text = script(shell)
    click.echo(text, nl=not text.endswith("\n"))


def script(shell: str, prog_name: str = "clarion") -> str:
    """Click's completion script for ``shell``, with a comment on how to install it."""
    from clarion.cli import cli

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - SHELLS are all click's
        raise click.UsageError(f"No completion for {shell}.")
    var = f"_{prog_name}_COMPLETE".replace("-", "_").upper()
    source = cls(cli, {}, prog_name, var).source()
    comment = f"# {HOW[shell]}"
    first, sep, rest = source.partition("\n")
    if first.startswith("#compdef"):  # zsh needs #compdef on the first line of a saved file
        return f"{first}{sep}{comment}\n{rest}"
    return f"{comment}\n{source}"


def campaign_files(incomplete: str) -> list[CompletionItem]:
    """Campaign files (*.yaml, *.yml) and folders whose names start with ``incomplete``.

    Folders end with ``/``. When the only match is a folder, its own entries are offered
    instead, so the shell completes into it without adding a space after the ``/``.
    """
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
