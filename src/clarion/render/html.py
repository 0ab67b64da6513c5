"""``clarion preview --format html``: one self-contained page of the week, to sign off.

The page shows exactly the deliveries ``clarion preview --format json`` lists: a card per delivery
(``data-key``, ``data-platform``, ``data-day``) styled after its platform, grouped by week, then
campaign, then day and time, with a "week at a glance" grid of days and times above each
campaign's days. Each image is embedded once, scaled for a card (:mod:`._html_images`); the
style sheet and script are inline, so the file opens offline and can be attached to an email: it
makes no request of its own. A sign-off block per campaign (:mod:`._html_signoff`) heads the page.

Scale: one week is shown at a time (a week selector switches). Up to :data:`INLINE_LIMIT` cards
every week is in the page as HTML (without JavaScript all weeks show, one after the other); above
that only the first week is, and each other week waits as an HTML string in a
``<script type="application/json">`` element of its own until it is chosen, so a page of 40,000
deliveries opens as fast as one of its weeks.

Problems of invalid campaigns are listed at the top (``role="alert"``); the page is still written,
with the cards such a campaign can plan, each with its post's problems (:mod:`._html_partial`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from markupsafe import Markup

from clarion import platforms
from clarion.platforms import limits, quotas
from clarion.render import _html_card
from clarion.render._html_card import label
from clarion.render._html_dates import MONTHS, _long, _num, _short, _span, _zone
from clarion.render.seen import summary

if TYPE_CHECKING:
    import jinja2

    from clarion.campaign.load import Loaded
    from clarion.campaign.problems import Problem
    from clarion.checking import Checked
    from clarion.delivery import Delivery
    from clarion.planner import Fit
    from clarion.render.seen import Ledgered, Seen
    from clarion.signoff import SignOff

#: Above this many cards, weeks after the first are kept as strings until they are chosen.
INLINE_LIMIT = 3000
#: Where the template leaves room for the weeks shown, and for the weeks kept for later.
WEEKS = "<!-- clarion:weeks -->"
LATER = "<!-- clarion:later -->"
#: From this many deliveries on, weeks are built in parallel (one process per core, at most 4).
PARALLEL_FROM = 5000
#: Platforms in the order they are shown (the registry's), then any unknown one.
ORDER = {name: n for n, name in enumerate(platforms.NAMES)}


class Slot(NamedTuple):
    time: str  # "09:00", local
    html: Markup
    #: For the week at a glance: (anchor, utc, title, post, platforms) per post.
    entries: list[tuple[str, str, str, str, list[str]]]


class Day(NamedTuple):
    iso: str
    label: str  # "Monday 4 July 2022"
    short: str  # "Mon 4 Jul"
    slots: list[Slot]


class CampaignWeek(NamedTuple):
    slug: str
    name: str
    timezone: str
    days: list[Day]
    glance: Markup
    posts: int


class Week(NamedTuple):
    id: str  # "2022-W27"
    label: str
    days: list[tuple[str, str]]  # (iso, short label) of days with cards
    campaigns: list[CampaignWeek]
    posts: int


class Built(NamedTuple):
    """A week as the page needs it: for the week selector, and its section."""

    id: str
    label: str
    posts: int
    #: The week's section as HTML, or (a week kept for later) as a JSON string literal.
    html: str


class Page(NamedTuple):
    """What every week of the page is built from, beside its deliveries."""

    campaigns: dict[str, Loaded]
    #: Delivery key -> how its text measures.
    fits: dict[str, Fit]
    #: (campaign, post) -> the post's place in its file.
    order: dict[tuple[str, str], int]
    #: What the ledger says of each delivery (None: the campaign is not scheduled there).
    ledger: Ledgered | None = None
    #: Delivery key -> its sign-off badge (class, words), when changed or new since a sign-off.
    marks: Mapping[str, tuple[str, str]] | None = None
    #: (platform, account) -> the handle it posts as (what ``accounts check`` learned).
    handles: Mapping[tuple[str, str], str] | None = None
    #: Delivery key -> the problems of its post (an invalid campaign's cards).
    faults: Mapping[str, Sequence[Problem]] | None = None

    def seen(self, d: Delivery) -> Seen | None:
        return self.ledger.of(d) if self.ledger is not None else None


def render(
    result: Checked,
    chosen: list[Delivery],
    *,
    inline_limit: int = INLINE_LIMIT,
    workers: int | None = None,
    ledger: Ledgered | None = None,
    signoffs: Mapping[str, SignOff] | None = None,
    handles: Mapping[tuple[str, str], str] | None = None,
    faults: Mapping[str, Sequence[Problem]] | None = None,
) -> str:
    """The page for ``chosen`` (deliveries of ``result``), with ``result``'s problems at the top
    and, with ``ledger``, each delivery's state there (badges; cancelled ones crossed out).

    ``workers``: processes that build weeks (default: one per core, at most 4, for large pages;
    1 builds everything here)."""
    template = _template()
    by_slug = {loaded.slug: loaded for loaded in result.campaigns}
    from clarion.render import _html_signoff

    timezones = {slug: loaded.campaign.timezone for slug, loaded in by_slug.items()}
    marks = _html_signoff.marks(signoffs or {}, timezones)
    view = Page(by_slug, result.fits, result.order(), ledger, marks, handles, faults)
    enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small objects, no cycles among them
    try:
        inline = len(chosen) <= inline_limit
        built = _build(_group(chosen), view, inline, workers)
        counts = dict.fromkeys(platforms.NAMES, 0)
        for d in chosen:
            counts[d.platform] = counts.get(d.platform, 0) + 1
        pictures = _pictures(chosen)
        page = template.render(
            images_css=pictures,
            signoff=Markup(  # noqa: S704  # escaped there
                _html_signoff.blocks(result.campaigns, result.deliveries, signoffs or {})
            ),
            title=_title(result.campaigns, by_slug, chosen),
            problems=[(f"{p.file}:{p.line}:{p.column}:", p.message) for p in result.problems],
            faulty=sum(1 for d in chosen if faults and d.key in faults),
            weeks=built,
            lazy=0 if inline else len(built) - 1,
            total=len(chosen),
            posts=len({(d.campaign, d.post) for d in chosen}),
            states=summary(chosen, view.seen),
            span=_span(chosen),
            platforms=[(n, label(n), c) for n, c in counts.items() if c],
            platform_css=_html_card.platform_css([*platforms.NAMES, *counts]),
            costs=[c.line() for c in quotas.costs(chosen, limits.for_account)],
        )
        # The weeks' sections (tens of megabytes for a large page) are put in place here rather
        # than passed through the template, which would copy them several times over.
        head, rest = page.split(WEEKS, 1)
        middle, tail = rest.split(LATER, 1)
        shown = built if inline else built[:1]
        later = [] if inline else built[1:]
        return "".join(
            [
                head,
                *(b.html for b in shown),
                middle,
                *(
                    f'<script type="application/json" data-week="{b.id}">{b.html}</script>\n'
                    for b in later
                ),
                tail,
            ]
        )
    finally:
        if enabled:
            gc.enable()


def _pictures(chosen: list[Delivery]) -> str:
    """The style sheet's rules holding each distinct image of ``chosen`` once (scaled here,
    before any worker forks, so each is scaled once)."""
    files = dict.fromkeys(m.file for d in chosen for m in d.media)
    if not files:
        return ""
    from clarion.render import _html_images

    found = (_html_images.picture(f) for f in files)
    unique = {p.id: p for p in found if p is not None}
    return _html_images.css(list(unique.values()))


#: Deliveries by ISO week of their local day, campaign, local day and UTC instant.
Tree = dict[str, dict[str, dict[dt.datetime, list["Delivery"]]]]
Groups = list[tuple[tuple[int, int], Tree]]


def _group(chosen: list[Delivery]) -> Groups:
    tree: dict[tuple[int, int], Tree] = {}
    for d in chosen:
        year, week, _ = d.at.isocalendar()
        by_day = tree.setdefault((year, week), {}).setdefault(d.campaign, {})
        by_day.setdefault(d.at.date().isoformat(), {}).setdefault(d.at_utc, []).append(d)
    return sorted(tree.items())


#: What worker processes build from (inherited when they fork, never sent to them).
_JOB: tuple[Groups, Page, bool] | None = None


def _build(groups: Groups, page: Page, inline: bool, workers: int | None) -> list[Built]:
    """Every week built: here, or (many deliveries, several cores, Linux) in forked processes."""
    global _JOB
    size = sum(len(ds) for _, tree in groups for days in tree.values() for ds in days.values())
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if count < 2 or len(groups) < 2 or size < PARALLEL_FROM or not sys.platform.startswith("linux"):
        return [_built(n, key, tree, page, inline) for n, (key, tree) in enumerate(groups)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Contiguous runs of weeks with about the same number of deliveries each.
    bounds, acc, target = [0], 0, size / count
    for n, (_, tree) in enumerate(groups):
        acc += sum(len(ds) for days in tree.values() for ds in days.values())
        if acc >= target * len(bounds) and n + 1 < len(groups):
            bounds.append(n + 1)
    bounds.append(len(groups))
    _warm()
    _JOB = (groups, page, inline)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(bounds) - 1, mp_context=context) as pool:
            parts = pool.map(_build_range, bounds[:-1], bounds[1:])
            return [b for part in parts for b in part]
    finally:
        _JOB = None


def _warm() -> None:
    """Compile what every card needs once, before the workers fork (each would compile it)."""
    from clarion.render._html_text import highlight

    for name in platforms.NAMES:
        highlight(name, "Café https://example.org/a example.org @a.bsky.social @b@c.d #Tag $ABC")


def _build_range(start: int, end: int) -> list[Built]:
    assert _JOB is not None
    groups, page, inline = _JOB
    was = gc.isenabled()
    gc.disable()
    try:
        return [_built(n, *groups[n], page, inline) for n in range(start, end)]
    finally:
        if was:
            gc.enable()


def _built(n: int, key: tuple[int, int], tree: Tree, page: Page, inline: bool) -> Built:
    week = _week(key, tree, page)
    module = _template().make_module({})
    html = str(module.week_section(week))  # type: ignore[attr-defined]
    if not inline and n > 0:
        # A JSON string literal; "<" escaped so that it cannot end its <script> element early.
        html = json.dumps(html, ensure_ascii=False).replace("<", "\\u003c")
    return Built(week.id, week.label, week.posts, html)


@cache
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clarion.render", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    return env.get_template("preview.html.j2")


def _title(campaigns: list[Loaded], by_slug: dict[str, Loaded], chosen: list[Delivery]) -> str:
    slugs = dict.fromkeys(d.campaign for d in chosen)
    shown = [by_slug[s].campaign.name if s in by_slug else s for s in slugs]
    names = shown or [c.campaign.name for c in campaigns]
    if len(names) == 1:
        return names[0]
    if not names:
        return "Campaign preview"
    return f"{len(names)} campaigns"


def _week(key: tuple[int, int], tree: Tree, page: Page) -> Week:
    year, number = key
    monday = dt.date.fromisocalendar(year, number, 1)
    sunday = monday + dt.timedelta(days=6)
    campaigns = [_campaign_week(slug, page, days) for slug, days in tree.items()]
    return Week(
        id=f"{year}-W{number:02d}",
        label=f"Week {number}, {_long(monday)} to {_long(sunday)}",
        days=sorted({(day.iso, day.short) for c in campaigns for day in c.days}),
        campaigns=campaigns,
        posts=sum(c.posts for c in campaigns),
    )


def _campaign_week(
    slug: str, page: Page, days: dict[str, dict[dt.datetime, list[Delivery]]]
) -> CampaignWeek:
    loaded = page.campaigns.get(slug)
    day_list: list[Day] = []
    count = 0
    for iso in sorted(days):
        slots: list[Slot] = []
        for at_utc in sorted(days[iso]):
            group = days[iso][at_utc]
            count += len(group)
            slots.append(_slot(slug, at_utc, group, page))
        date = dt.date.fromisoformat(iso)
        day_list.append(Day(iso, _long(date), _short(date), slots))
    name = loaded.campaign.name if loaded else slug
    timezone = loaded.campaign.timezone if loaded else ""
    return CampaignWeek(slug, name, timezone, day_list, _glance(day_list), count)


def _slot(slug: str, at_utc: dt.datetime, group: list[Delivery], page: Page) -> Slot:
    threads: dict[tuple[int, int, str, str], list[Delivery]] = {}
    for d in group:
        rank = page.order.get((d.campaign, d.post), 0)
        key = (rank, ORDER.get(d.platform, len(ORDER)), d.platform, d.post)
        threads.setdefault(key, []).append(d)
    html: list[str] = []
    posts: dict[str, list[str]] = {}
    for (_, _, platform, post), parts in sorted(threads.items()):
        parts.sort(key=lambda d: d.thread_index)
        html.append(
            _html_card.thread(parts, page.fits, page.seen, page.marks, page.handles, page.faults)
        )
        posts.setdefault(post, []).append(platform)
    # Formatted by hand, not with strftime: ten thousand slots, and no locale to depend on.
    local = group[0].at
    utc = at_utc.astimezone(dt.UTC)
    time = f"{local.hour:02d}:{local.minute:02d}"
    date = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
    clock = f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    stamp = f"{date}T{clock}Z"
    anchor = f"s-{slug}-{date.replace('-', '')}T{clock.replace(':', '')}Z"
    where = _long(local.date())
    title = (
        f"{where}, {time} {_zone(local.tzname(), local.utcoffset())} = {clock[:5]} UTC on "
        f"{utc.day} {MONTHS[utc.month]} {utc.year}"
    )
    return Slot(
        time=time,
        html=Markup(_html_card.slot(anchor, time, stamp, title, where, html)),  # noqa: S704
        entries=[(anchor, stamp, title, post, plats) for post, plats in posts.items()],
    )


def _glance(days: list[Day]) -> Markup:
    times = sorted({slot.time for day in days for slot in day.slots})
    rows = [
        (time, [[e for s in day.slots if s.time == time for e in s.entries] for day in days])
        for time in times
    ]
    columns = [(day.iso, day.short) for day in days]
    return Markup(_html_card.glance(columns, rows))  # noqa: S704  # escaped there
