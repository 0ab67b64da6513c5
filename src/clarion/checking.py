"""Checking campaign files: load, validate, draw what must be drawn, plan, and measure.

The one road from files to a checked plan that ``validate``, ``preview`` and ``schedule`` share.
It gathers what the pure planner needs from outside (a server's limits, each image's file and the
hash of its bytes, each quote card's image) into a :class:`~clarion.planner.Context`; drawing
quote cards is a step the caller passes in (``prepare``), so nothing here writes files.

Many files are checked in parallel (one process per core); the result is the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from clarion.campaign import cards, media, photos, validate
from clarion.campaign.items import item_ids, items
from clarion.campaign.load import Loaded, load
from clarion.campaign.model import Image, Post
from clarion.campaign.problems import Problem
from clarion.campaign.yamlsafe import Path_, SourceMap
from clarion.delivery import Delivery
from clarion.planner import Context, Fit, plan
from clarion.platforms import limits

#: Draws what a campaign needs drawn before it is checked (quote cards); problems it met.
Prepare = Callable[[Loaded], list[Problem]]

#: With at least this many files, they are checked in parallel, one process per core.
PARALLEL_FROM = 16


class Checked:
    """The outcome of checking campaign files: their plan and every problem and warning."""

    __slots__ = ("campaigns", "deliveries", "fits", "problems", "warnings")

    def __init__(self) -> None:
        self.campaigns: list[Loaded] = []
        self.deliveries: list[Delivery] = []
        #: Delivery key -> how its text measures (length, limit, where it came from).
        self.fits: dict[str, Fit] = {}
        self.problems: list[Problem] = []
        #: Things to know that do not stop the campaign (posts already past).
        self.warnings: list[Problem] = []

    @property
    def ok(self) -> bool:
        return not self.problems

    def order(self) -> dict[tuple[str, str], int]:
        """(campaign, post) -> the post's place in its file: how posts due at the same instant
        are shown (quotes after posts)."""
        return {
            (loaded.slug, post): n
            for loaded in self.campaigns
            for n, (_, post) in enumerate(item_ids(loaded.campaign))
        }


class _FileResult(NamedTuple):
    loaded: Loaded | None
    deliveries: list[Delivery]
    fits: dict[str, Fit]
    problems: list[Problem]
    warnings: list[Problem]
    slug_at: Problem | None  # where a duplicate-slug problem would point


class _Job(NamedTuple):
    path: Path
    display: str | None
    prepare: Prepare | None
    now: dt.datetime


def _check_one(job: _Job) -> _FileResult:
    loaded, problems = load(job.path, job.display)
    if loaded is None:
        return _FileResult(None, [], {}, problems, [], None)
    deliveries, fits, problems = check(loaded, job.prepare)
    warnings: list[Problem] = []
    if not problems:
        warnings = past(loaded, deliveries, job.now) + photos.notes(loaded, limits.for_account)
    slug_at = loaded.source.at(("slug",), "", key=True)
    # Positions are no longer needed once checked: drop them (cheaper to send between processes).
    stripped = loaded._replace(source=loaded.source._replace(smap=SourceMap()))
    return _FileResult(stripped, deliveries, fits, problems, warnings, slug_at)


def _check_many(jobs: list[_Job]) -> list[_FileResult]:
    return [_check_one(job) for job in jobs]


def _run_all(jobs: list[_Job]) -> Iterator[_FileResult]:
    """Each file's result as it comes (in order)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        for job in jobs:
            yield _check_one(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(jobs) // workers)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        for part in pool.map(_check_many, chunks):
            yield from part


def check_files(
    paths: Sequence[Path],
    displays: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    prepare: Prepare | None = None,
    now: dt.datetime | None = None,
) -> Checked:
    """Load, check and plan each file; campaigns with problems contribute no deliveries.

    ``prepare`` draws what must be drawn first (``clarion.render.cards.prepare``); without it a
    quote card not drawn yet is a problem. ``now`` (default: the real clock) is when posts count
    as past. ``progress(1)`` is called as each file is done (for a progress bar)."""
    result = Checked()
    slugs: dict[str, str] = {}
    at = now or dt.datetime.now(dt.UTC)
    jobs = [
        _Job(path, displays[n] if displays else None, prepare, at) for n, path in enumerate(paths)
    ]
    for one in _run_all(jobs):
        loaded, problems = one.loaded, one.problems
        if loaded is not None and one.slug_at is not None:
            if loaded.slug in slugs:
                problems.append(
                    one.slug_at._replace(
                        message=f"The campaign slug `{loaded.slug}` is also used by "
                        f"{slugs[loaded.slug]}. Give each campaign its own `slug:`.",
                    )
                )
            slugs.setdefault(loaded.slug, loaded.source.display)
            if not problems:
                result.campaigns.append(loaded)
                result.deliveries.extend(one.deliveries)
                result.fits.update(one.fits)
                result.warnings.extend(one.warnings)
        result.problems.extend(problems)
        if progress is not None:
            progress(1)
    return result


def check(
    loaded: Loaded, prepare: Prepare | None = None
) -> tuple[list[Delivery], dict[str, Fit], list[Problem]]:
    """Every problem of one loaded campaign, and its plan when it has none."""
    c = loaded.campaign
    out: list[Problem] = []
    add = validate.adder(loaded, out)
    platform_for = limits.for_account
    validate.check(loaded, add)
    if c.quotes is not None and (c.quotes.card or any(q.short for q in c.quotes.items)):
        drawn = prepare is not None and c.quotes.card is not None
        if drawn and prepare is not None:
            out += prepare(loaded)
        cards.check(loaded, add, platform_for, drawn)
    blocking = bool(out)
    validate.check_images(loaded, platform_for, add)
    if blocking or out:
        return [], {}, sorted(set(out))
    made = plan(loaded, context(loaded))
    for d in made.deliveries:
        fit = made.fits[d.key]
        p = platform_for(d.platform, d.account)
        if fit.over:
            add(fit.origin, validate.too_long(c, p, fit.over))
        if p.needs_image and not d.content.media:
            add(fit.origin, validate.no_image(p))
    if out:
        return [], {}, sorted(set(out))
    return made.deliveries, made.fits, []


def context(loaded: Loaded) -> Context:
    """What the planner needs to know about ``loaded`` from outside its file."""
    folder = loaded.source.folder
    files: dict[str, tuple[str, str]] = {}
    for _, item in items(loaded.campaign):
        groups = [item.images, *(v.images or [] for v in item.variants.values())]
        if isinstance(item, Post):
            groups += [part.images for part in item.thread]
        for group in groups:
            for image in group:
                if image.path not in files:
                    files[image.path] = _file(folder, image.path)
    quotes = loaded.campaign.quotes
    drawn: dict[Path_, Image] = {}
    if quotes is not None and quotes.card is not None:
        for k, q in enumerate(quotes.items):
            card = cards.image(loaded, q)
            drawn[("quotes", "items", k)] = card
            files[card.path] = _file(folder, card.path)
    return Context(limits.for_account, files, drawn)


def _file(folder: Path, written: str) -> tuple[str, str]:
    """Where ``written`` is (absolute) and the SHA-256 of its bytes; ("", "") if unreadable
    (validation has said why)."""
    try:
        real = media.resolve(folder, written)
        return str(real), _digest(real)
    except (OSError, media.MediaError):
        return "", ""


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(file: Path) -> str:
    st = file.stat()
    at = (str(file), st.st_mtime_ns, st.st_size)
    if at not in _DIGESTS:
        _DIGESTS[at] = hashlib.sha256(file.read_bytes()).hexdigest()
    return _DIGESTS[at]


def past(loaded: Loaded, deliveries: list[Delivery], now: dt.datetime) -> list[Problem]:
    """A warning when some of the campaign's posts are already past: how many, since when."""
    gone = [d for d in deliveries if d.at_utc < now]
    if not gone:
        return []
    from clarion.durations import human

    posts = {d.post for d in gone}
    last = max(gone, key=lambda d: d.at_utc)
    first = min(gone, key=lambda d: d.at_utc)
    if len(posts) == len({d.post for d in deliveries}):
        ago = human(int((now - last.at_utc).total_seconds() * 1000))
        what = f"The whole campaign is past: its last post was due {_when(last)}, {ago} ago"
    else:
        ago = human(int((now - first.at_utc).total_seconds() * 1000))
        noun = "post is" if len(posts) == 1 else "posts are"
        what = f"{len(posts)} {noun} already past: the first was due {_when(first)}, {ago} ago"
    they = "they" if len(posts) > 1 else "it"
    message = (
        f"warning: {what}. Scheduled, {they} will be marked missed, not sent (move the dates, "
        "or use `clarion run-due --catch-up` to send late posts)."
    )
    return [loaded.source.at(("dates",), message)]


def _when(d: Delivery) -> str:
    at = d.at
    return f"{at.day} {at:%B %Y} at {at:%H:%M}"
