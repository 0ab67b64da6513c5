"""The preview's day-by-day view for people: local times, platform, text, length against limit."""

from __future__ import annotations

import shutil
import textwrap
from itertools import groupby
from typing import TYPE_CHECKING

from clarion.cli.context import AppContext
from clarion.render.seen import NOTABLE, WORDS

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.delivery import Delivery
    from clarion.planner import Fit
    from clarion.render.seen import Ledgered, Seen


def short_label(platform: str) -> str:
    """The platform's name for this narrow table ("Facebook"), from its descriptor."""
    from clarion import platforms

    try:
        return platforms.get(platform).short_label
    except platforms.UnknownPlatformError:
        return platform


def render_week(
    app: AppContext,
    campaigns: list[Loaded],
    deliveries: list[Delivery],
    fits: dict[str, Fit],
    seen: Ledgered | None = None,
) -> str:
    """The week day by day; with ``seen`` (the campaign is scheduled), each delivery's state in
    the ledger beside it when it is one a person must see (published with its link, cancelled,
    missed, failed, paused, unconfirmed)."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    lines: list[str] = []
    for loaded in campaigns:
        mine = [d for d in deliveries if d.campaign == loaded.slug]
        c = loaded.campaign
        lines.append(
            app.style(f"{c.name}", bold=True) + f"  ({loaded.slug}, times in {c.timezone})"
        )
        if not mine:
            lines += ["  Nothing to show for these filters.", ""]
            continue
        for day, group in groupby(mine, key=lambda d: d.at.date()):
            lines += ["", app.style(f"{day:%A} {day.day} {day:%B %Y}", underline=True)]
            for d in group:
                lines += _card(app, d, fits[d.key], width, seen.of(d) if seen else None)
        lines.append("")
    total = len(deliveries)
    lines.append(f"{total} deliveries.")
    return "\n".join(lines)


def _card(app: AppContext, d: Delivery, fit: Fit, width: int, seen: Seen | None) -> list[str]:
    offset = d.at.strftime("%z")
    when = f"{d.at:%H:%M} ({offset[:3]}:{offset[3:]})"
    meter = f"{fit.length}/{fit.limit}"
    if fit.length > fit.limit:
        meter = app.style(meter, fg="red", bold=True)
    part = f"  part {d.thread_index + 1}, replies to {d.reply_to}" if d.reply_to else ""
    label = app.style(short_label(d.platform).ljust(9), bold=True)
    head = f"  {when}  {label} {meter:>9}  {d.key}{part}"
    if seen is not None and seen.state in NOTABLE:
        colour = "green" if seen.state == "published" else "red"
        mark = (
            f"[{WORDS.get(seen.state, seen.state).lower()}"
            + (f" {seen.url}" if seen.url else "")
            + "]"
        )
        head += "  " + app.style(mark, fg=colour, bold=True)
    body: list[str] = []
    for paragraph in d.text.split("\n"):
        wrapped = textwrap.wrap(paragraph, width - 8) or [""]
        body += [("      " + w).rstrip() for w in wrapped]
    for image in d.media:
        for line in textwrap.wrap(f"[image {image.path}] alt: {image.alt}", width - 8):
            body.append("      " + app.style(line, dim=True))
    return [head, *body]
