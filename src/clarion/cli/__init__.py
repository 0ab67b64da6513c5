"""The ``clarion`` command line.

Commands are listed here with their one-line help and imported only when run, so ``clarion
--help`` costs little more than importing click, and each command imports only what it uses.
Each command group lives in its own module of this package.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from clarion import __version__
from clarion.cli.context import AppContext

#: name -> ("module:attribute", one-line help). A test checks each line against the command.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate:validate_cmd", "Check campaign files before the week starts."),
    "preview": (
        "preview:preview_cmd",
        "Show what will go out where and when, with the final text of every post.",
    ),
    "schedule": (
        "schedule:schedule_cmd",
        "Validate campaigns and sync their plan into the ledger.",
    ),
    "run-due": ("run:run_due_cmd", "Publish every delivery that is due, once."),
    "daemon": (
        "run:daemon_cmd",
        "Run in the foreground, publishing each post at its time (instead of cron).",
    ),
    "approve": (
        "approve:approve_cmd",
        "Sign off campaigns: record exactly what will be sent, and who approved it.",
    ),
    "diff": ("approve:diff_cmd", "What changed since the last sign-off, delivery by delivery."),
    "status": (
        "status:status_cmd",
        "Counts by state, the next delivery due, and every delivery that needs attention.",
    ),
    "digest": (
        "digest:digest_cmd",
        "The daily digest: what went out, what goes out today, what needs a person.",
    ),
    "notify": (
        "notify:notify_group",
        "Alerts: where they go (CLARION_NOTIFY) and whether they get there.",
    ),
    "report": (
        "report:report_cmd",
        "What CAMPAIGN achieved: each published post's likes, reposts, replies and more.",
    ),
    "history": (
        "status:history_cmd",
        "Every change of one delivery: when, who, from which state to which, and why.",
    ),
    "retry": (
        "manage:retry_cmd",
        "Send a failed, missed or cancelled delivery again (at its own time if still to come).",
    ),
    "cancel": (
        "manage:cancel_cmd",
        "Cancel one delivery (KEY) or every unsent delivery of a campaign.",
    ),
    "pause": ("manage:pause_cmd", "Hold every unsent delivery of CAMPAIGN until `clarion resume`."),
    "resume": (
        "manage:resume_cmd",
        "Let a paused campaign's deliveries go out again (late ones become missed).",
    ),
    "resolve": (
        "manage:resolve_cmd",
        "Settle an unconfirmed delivery after checking the platform by hand.",
    ),
    "completion": (
        "completion:completion_cmd",
        "Print the shell completion script for bash, zsh or fish.",
    ),
    "accounts": (
        "accounts:accounts_group",
        "Save and check the platform accounts your campaigns post with.",
    ),
    "init": (
        "authoring:init_cmd",
        "Write a commented starter campaign to FILE (default campaigns/my-campaign.yaml).",
    ),
    "schema": (
        "authoring:schema_cmd",
        "Print the JSON Schema of the campaign format, for editors.",
    ),
    "import": (
        "sheets:import_cmd",
        "Turn a planning spreadsheet (one row a post) into a commented campaign file.",
    ),
    "export": (
        "sheets:export_cmd",
        "Write the plan as a spreadsheet, one row a delivery, with its final text and state.",
    ),
    "media": (
        "media:media_group",
        "Images that platforms fetch from your web site (Instagram, Threads).",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when they are run (or their help is asked)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(f"clarion.cli.{module}"), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="clarion")
@click.option(
    "--database",
    "database_url",
    envvar="CLARION_DATABASE_URL",
    metavar="URL",
    help="The ledger: postgresql://… or sqlite:///path (default: a file in your data folder).",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Plan, check, preview and publish awareness-week campaigns to X, Facebook, Mastodon,
    Bluesky, Instagram, LinkedIn and Threads.

    Describe the week in one YAML file under campaigns/, check it with `clarion validate`,
    look at exactly what will go out with `clarion preview`, put it in the ledger with
    `clarion schedule`, and let `clarion run-due` (cron) or `clarion daemon` publish it.
    """
    ctx.obj = AppContext(database_url=database_url)


def main(args: Any = None) -> None:
    cli(args=args, prog_name="clarion")
