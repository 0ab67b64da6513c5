"""``clarion media export``: the images that Instagram and Threads fetch from the team's own web
site, written to a folder to copy there (the account's ``media_base_url``)."""

from __future__ import annotations

from pathlib import Path

import click

from clarion.cli.context import AppContext, pass_app
from clarion.cli.options import campaign_files


@click.group("media")
def media_group() -> None:
    """Images that platforms fetch from your web site (Instagram, Threads)."""


@media_group.command("export")
@campaign_files
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the images to (then copy it to your media_base_url).",
)
@pass_app
def export_cmd(app: AppContext, files: tuple[Path, ...], folder: Path) -> None:
    """Write the images of FILE... that platforms fetch by address into a folder.

    Each image is prepared for its platform (as it will be sent) and named by the SHA-256 of
    its bytes, so a changed image gets a new name. Copy the folder's files to the web address
    you set as the account's media_base_url (CLARION_INSTAGRAM_MEDIA_BASE_URL, say): before
    each first send Clarion fetches the address and checks it serves exactly these bytes.
    """
    from clarion.cli.validate import checked_or_exit
    from clarion.platforms import limits, public_media

    result = checked_or_exit(app, files, nothing_done="No image was written.")
    try:
        done = public_media.export(result.deliveries, folder, limits.for_account)
    except OSError as exc:
        raise click.ClickException(
            f"Clarion could not write to {folder}: {exc.strerror or exc}."
        ) from None
    for problem in done.problems:
        app.echo(app.style(problem, fg="red"), err=True)
    if not done.per_platform:
        app.echo("None of these campaigns' posts go to a platform that fetches images by address.")
    else:
        where = ", ".join(f"{label} {n}" for label, n in done.per_platform.items())
        app.echo(
            f"Wrote {len(done.written)} images to {folder} ({len(done.kept)} were there already; "
            f"images per platform: {where}). Copy the folder's files to your media_base_url."
        )
    if done.problems:
        raise SystemExit(1)
