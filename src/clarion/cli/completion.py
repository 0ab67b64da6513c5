"""``clarion completion``: shell completion for commands, campaign files and platform names.

The script is click's own (what ``_CLARION_COMPLETE=bash_source clarion`` prints), preceded by
one comment saying how to install it. When the shell asks for completions, the script runs
``clarion`` with ``_CLARION_COMPLETE=bash_complete`` (zsh_complete, fish_complete) and click
answers: command names from the lazy registry, choices such as ``--platform`` names (every
platform :mod:`clarion.platforms` knows, plugins included: :class:`PlatformChoice`), and campaign
files through :func:`clarion.cli.files.campaign_files` (the ``FILE...`` argument's
``shell_complete``).
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

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

    def get_invalid_choice_message(self, value: object, ctx: click.Context | None) -> str:
        from clarion import platforms

        hint = platforms.suggest(str(value))
        return (
            f"Clarion doesn't know the platform {value!r}."
            + (f" Did you mean {hint!r}?" if hint else "")
            + f" Platforms: {', '.join(self.choices)}."
        )


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
    text = script(click.get_current_context().find_root().command, shell)
    click.echo(text, nl=not text.endswith("\n"))


def script(root: click.Command, shell: str, prog_name: str = "clarion") -> str:
    """Click's completion script of ``root`` for ``shell``, with a comment on how to install it.
    (The script names only the program and its variable: it asks ``clarion`` for every word.)"""
    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - SHELLS are all click's
        raise click.UsageError(f"No completion for {shell}.")
    var = f"_{prog_name}_COMPLETE".replace("-", "_").upper()
    source = cls(root, {}, prog_name, var).source()
    comment = f"# {HOW[shell]}"
    first, sep, rest = source.partition("\n")
    if first.startswith("#compdef"):  # zsh needs #compdef on the first line of a saved file
        return f"{first}{sep}{comment}\n{rest}"
    return f"{comment}\n{source}"
