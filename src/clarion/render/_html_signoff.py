"""The page's sign-off blocks: for each campaign, who approved which plan and when, the plan the
page shows now, and the command that approves exactly this page; and the badge of each card
that changed (or is new) since the last sign-off.

Values come from :class:`clarion.signoff.SignOff` (the ledger's side builds them); a campaign
without one is shown as never signed off, with its current plan's hash computed here.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.render._html_dates import MONTHS, _long, _zone
from clarion.render._html_text import esc
from clarion.signoff import SignOff, Standing, plan_hash, short

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.delivery import Delivery


def _local(at_utc: dt.datetime, timezone: str) -> dt.datetime:
    try:
        return at_utc.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return at_utc.astimezone(dt.UTC)


def when(at_utc: dt.datetime, timezone: str) -> str:
    """ "Thursday 2 June 2022 at 14:05 BST (UTC+01:00)"."""
    local = _local(at_utc, timezone)
    return (
        f"{_long(local.date())} at {local.hour:02d}:{local.minute:02d} "
        f"{_zone(local.tzname(), local.utcoffset())}"
    )


def day(at_utc: dt.datetime, timezone: str) -> str:
    """ "2 June" (with the year when it is not this year's)."""
    local = _local(at_utc, timezone)
    year = "" if local.year == dt.datetime.now(dt.UTC).year else f" {local.year}"
    return f"{local.day} {MONTHS[local.month]}{year}"


def marks(
    signoffs: Mapping[str, SignOff], timezones: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """Delivery key -> (class, words) of its sign-off badge, for cards changed or new since a
    sign-off (a campaign never signed off marks none: its block says so)."""
    out: dict[str, tuple[str, str]] = {}
    for slug, s in signoffs.items():
        if s.at_utc is None:
            continue
        on = day(s.at_utc, timezones.get(slug, "UTC"))
        for key, standing in s.cards.items():
            if standing is Standing.CHANGED:
                out[key] = ("so-changed", f"Changed since sign-off on {on}")
            elif standing is Standing.NEW:
                out[key] = ("so-new", f"New since sign-off on {on}")
    return out


def badge(mark: tuple[str, str] | None) -> str:
    if mark is None:
        return ""
    cls, words = mark
    return f'<p class="so {cls}"><span aria-hidden="true">⚠ </span>{esc(words)}</p>'


def blocks(
    campaigns: Sequence[Loaded],
    deliveries: Sequence[Delivery],
    signoffs: Mapping[str, SignOff],
) -> str:
    """One sign-off block per campaign, in the order given."""
    plans: dict[str, list[Delivery]] = {c.slug: [] for c in campaigns}
    for d in deliveries:
        if d.campaign in plans:
            plans[d.campaign].append(d)
    return "".join(
        _block(c, signoffs.get(c.slug), plans[c.slug]) for c in campaigns if plans[c.slug]
    )


def _block(loaded: Loaded, s: SignOff | None, plan: list[Delivery]) -> str:
    slug, name, tz = loaded.slug, loaded.campaign.name, loaded.campaign.timezone
    current = s.current_plan if s is not None else plan_hash(plan)
    lines: list[str] = []
    state = "never"
    if s is None or s.at_utc is None or s.approved_plan is None:
        lines.append('<p class="so-status"><strong>Never signed off.</strong></p>')
    else:
        by = esc(s.by or "someone")
        lines.append(
            f'<p class="so-status">Approved by <strong class="so-by">{by}</strong> on '
            f'<time datetime="{s.at_utc.astimezone(dt.UTC).isoformat()}">'
            f"{esc(when(s.at_utc, tz))}</time>.</p>"
        )
        if s.note:
            lines.append(f'<p class="so-note"><span class="k">Note:</span> {esc(s.note)}</p>')
        lines.append(
            f'<p>Approved plan: <code class="so-approved">{short(s.approved_plan)}</code></p>'
        )
        changed = sum(1 for v in s.cards.values() if v is Standing.CHANGED)
        new = sum(1 for v in s.cards.values() if v is Standing.NEW)
        if s.complete:
            state = "approved"
            lines.append('<p class="so-same"><strong>This page is the approved plan.</strong></p>')
        else:
            state = "changed"
            parts = [f"{n:,} {w}" for n, w in ((changed, "changed"), (new, "new")) if n]
            what = " and ".join(parts) or "the plan differs"
            lines.append(
                f'<p class="so-diff"><strong>Not the approved plan: {what} since the sign-off'
                "</strong> (marked on their cards).</p>"
            )
    lines.append(f'<p>Plan on this page: <code class="so-current">{short(current)}</code></p>')
    if s is not None and s.required:
        lines.append(
            "<p>This campaign sends only approved posts (<code>approval: required</code>).</p>"
        )
    command = (
        f"clarion approve {shlex.quote(loaded.source.display)} --by NAME --plan {short(current)}"
    )
    lines.append(f'<p>Approve exactly this page: <code class="so-cmd">{esc(command)}</code></p>')
    return (
        f'<section class="signoff so-{state}" data-campaign="{esc(slug)}" '
        f'aria-labelledby="so-{esc(slug)}"><h2 id="so-{esc(slug)}">Sign-off: {esc(name)}</h2>'
        f"{''.join(lines)}</section>"
    )
