"""``clarion report``: what the week achieved, from the counts the platforms give.

:func:`published` finds the campaigns' published deliveries, :mod:`clarion.reporting.fetch`
reads their counts and keeps each reading in the ledger, and :func:`make` builds the
:class:`~clarion.reporting.model.Report` every format draws from. The campaign file (when it is
still where it was scheduled from) says which posts carry a quote and where next year's week
starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from clarion.reporting.model import CampaignFacts, PlatformFacts, Report, Source, build

if TYPE_CHECKING:
    from clarion.ledger.rows import DeliveryRow
    from clarion.ledger.store import Ledger

__all__ = ["UnknownCampaign", "make", "published", "slugs_of"]


class UnknownCampaign(ValueError):
    """A campaign the ledger does not hold (the message says which ones it does)."""


def slugs_of(ledger: Ledger, named: Sequence[str]) -> list[str]:
    """Each of ``named`` (a campaign's slug, or its file) as a slug the ledger holds."""
    known = {c.slug for c in ledger.campaigns()}
    out: list[str] = []
    for name in named:
        slug = name
        path = Path(name)
        if name not in known and path.suffix in (".yaml", ".yml"):
            if path.is_file():
                slug = _slug_in(ledger, path) or path.stem
            elif path.stem in known:  # the file's name, typed without its folder
                slug = path.stem
            else:
                raise UnknownCampaign(
                    f"{name}: there is no such file, and no campaign scheduled in this ledger "
                    f"has that name (scheduled: {', '.join(sorted(known)) or 'none yet'})."
                )
        if slug not in known:
            have = ", ".join(sorted(known)) or "none yet"
            raise UnknownCampaign(
                f"{name}: no campaign of that name has been scheduled in this ledger "
                f"(scheduled: {have}); `clarion schedule FILE` schedules one."
            )
        if slug not in out:
            out.append(slug)
    return out


def _slug_in(ledger: Ledger, path: Path) -> str | None:
    """The slug of the campaign scheduled from ``path``."""
    wanted = path.resolve()
    for c in ledger.campaigns():
        file = ledger.campaign_file(c.slug)
        if file is not None and file.resolve() == wanted:
            return c.slug
    return None


def published(ledger: Ledger, slugs: Sequence[str]) -> list[DeliveryRow]:
    from clarion.ledger.states import State

    return [r for s in slugs for r in ledger.rows(s, [State.PUBLISHED])]


def make(ledger: Ledger, slugs: Sequence[str]) -> Report:
    """The report of these campaigns from what the ledger holds now."""
    from clarion import platforms
    from clarion.ledger import metrics

    facts = [_facts(ledger, s) for s in slugs]
    quotes = {f.slug: _quote_posts(f.file) for f in facts}
    rows = published(ledger, slugs)
    sources = [_source(r, quotes.get(r.delivery.campaign, frozenset())) for r in rows]
    sources.sort(key=lambda s: (s.at, s.platform, s.thread_index))
    described = {}
    for name in platforms.NAMES:
        p = platforms.get(name)
        described[name] = PlatformFacts(name, p.label, tuple(p.metrics), p.metrics_note)
    for s in sources:  # a platform no longer installed still shows, without counts
        described.setdefault(s.platform, PlatformFacts(s.platform, s.platform))
    return build(
        facts, sources, metrics.fetches(ledger, slugs), metrics.snapshots(ledger, slugs), described
    )


def _facts(ledger: Ledger, slug: str) -> CampaignFacts:
    info = next(c for c in ledger.campaigns() if c.slug == slug)
    file = ledger.campaign_file(slug)
    rows = ledger.rows(slug)
    zone = ZoneInfo(info.timezone)
    first = min((r.delivery.at_utc for r in rows), default=None)
    return CampaignFacts(
        slug=slug,
        name=info.name,
        zone=info.timezone,
        file=_shown(file) if file is not None and file.is_file() else None,
        first_day=first.astimezone(zone).date() if first else None,
    )


def _shown(file: Path) -> str:
    """The file as a person would type it here: relative to the current folder when inside."""
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def _quote_posts(file: str | None) -> frozenset[str]:
    """Ids of the posts that carry one of the campaign's quotes (none when the file is gone)."""
    if file is None:
        return frozenset()
    from clarion.campaign.items import item_ids
    from clarion.campaign.load import load

    loaded, _ = load(Path(file))
    if loaded is None:
        return frozenset()
    return frozenset(ident for path, ident in item_ids(loaded.campaign) if path[0] == "quotes")


def _source(row: DeliveryRow, quotes: frozenset[str]) -> Source:
    d = row.delivery
    return Source(
        delivery_id=row.id,
        key=d.key,
        campaign=d.campaign,
        post=d.post,
        platform=d.platform,
        account=d.account,
        at=d.at,
        text=d.text,
        url=row.platform_url,
        post_id=str(row.platform_id or ""),
        thread_index=d.thread_index,
        quote=d.post in quotes,
    )
