"""An invalid campaign on the preview page: every card that can be planned, each with the
problems of its post; the problems of no post stay at the top of the page.

Checking gives an invalid campaign no deliveries (nothing of it may go out). The page plans what
it can anyway, for people to see what they are fixing: the whole campaign when the planner can,
else the posts without problems. A problem belongs to the post (or quote) whose lines hold its
line in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.campaign.problems import Problem
    from clarion.checking import Checked
    from clarion.delivery import Delivery
    from clarion.planner import Fit


def salvage(
    result: Checked, paths: Sequence[Path], displays: Sequence[str]
) -> tuple[Checked, dict[str, list[Problem]]]:
    """``result`` with the cards of its invalid campaigns added (still not ok), and delivery key
    -> the problems of its post."""
    if result.ok:
        return result, {}
    from clarion.campaign.load import load
    from clarion.checking import Checked

    bad = {p.file for p in result.problems}
    slugs = {c.slug for c in result.campaigns}
    out = Checked()
    out.campaigns = list(result.campaigns)
    out.deliveries = list(result.deliveries)
    out.fits = dict(result.fits)
    out.problems = list(result.problems)
    out.warnings = list(result.warnings)
    faults: dict[str, list[Problem]] = {}
    for path, display in zip(paths, displays, strict=False):
        if display not in bad:
            continue
        loaded, _ = load(path, display)
        if loaded is None or loaded.slug in slugs:
            continue
        mine = [p for p in result.problems if p.file == display]
        by_post = _by_post(loaded, mine)
        planned = _plan(loaded, set(by_post))
        if planned is None:
            continue
        deliveries, fits = planned
        slugs.add(loaded.slug)
        out.campaigns.append(loaded)
        out.deliveries.extend(deliveries)
        out.fits.update(fits)
        for d in deliveries:
            if d.post in by_post:
                faults[d.key] = by_post[d.post]
    return out, faults


def _by_post(loaded: Loaded, problems: list[Problem]) -> dict[str, list[Problem]]:
    """The problems that fall within a post's (or quote's) lines, by its id."""
    from clarion.campaign.items import item_ids

    smap = loaded.source.smap
    starts = [(smap.value(path).line, post) for path, post in item_ids(loaded.campaign)]
    tops = [smap.key(k).line for k in smap.keys if len(k) == 1 and isinstance(k[0], str)]
    bounds = sorted({line for line, _ in starts} | set(tops))
    found: dict[str, list[Problem]] = {}
    for p in problems:
        for line, post in starts:
            after = [b for b in bounds if b > line]
            end = after[0] if after else 1 << 30
            if line <= p.line < end:
                found.setdefault(post, []).append(p)
                break
    return found


def _plan(loaded: Loaded, broken: set[str]) -> tuple[list[Delivery], dict[str, Fit]] | None:
    """The campaign's deliveries and fits: all of it, else without its broken posts, else None.

    The planner expects a checked campaign; an invalid one may trip it, which must not stop
    the page (its problems are already listed), so any error here means "cannot be planned"."""
    from clarion.checking import context
    from clarion.planner import plan

    try:
        made = plan(loaded, context(loaded))
        return made.deliveries, made.fits
    except Exception:  # noqa: S110  # best effort: the problems are reported either way
        pass
    if not broken or any(p.id is None for p in loaded.campaign.posts):
        return None  # (without ids, the posts' default ids would shift)
    from clarion.campaign.items import item_ids

    keep = [
        post
        for (_, pid), post in zip(item_ids(loaded.campaign), loaded.campaign.posts, strict=False)
        if pid not in broken
    ]
    fewer = loaded._replace(campaign=loaded.campaign.model_copy(update={"posts": keep}))
    try:
        made = plan(fewer, context(fewer))
        return made.deliveries, made.fits
    except Exception:
        return None
