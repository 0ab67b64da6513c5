"""``clarion init`` and ``clarion schema``: help with writing campaign files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from clarion.cli.context import AppContext, pass_app


@click.command("init")
@click.argument("file", required=False, type=click.Path(path_type=Path), metavar="[FILE]")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@pass_app
def init_cmd(app: AppContext, file: Path | None, force: bool) -> None:
    """Write a commented starter campaign to FILE (default campaigns/my-campaign.yaml)."""
    from importlib.resources import files

    target = file or Path("campaigns/my-campaign.yaml")
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; choose another name or add --force.")
    text = files("clarion").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    app.echo(f"Wrote {target}. Edit it, then run: clarion validate {target}")


@click.command("schema")
@pass_app
def schema_cmd(app: AppContext) -> None:
    """Print the JSON Schema of the campaign format, for editors.

    Save it next to your campaigns and start a campaign file with
    `# yaml-language-server: $schema=clarion.schema.json` for completion and checks as you type.
    """
    from clarion.campaign.model import Campaign

    schema = Campaign.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Clarion campaign (format version 1)"
    app.echo(json.dumps(schema, indent=2, ensure_ascii=False))
