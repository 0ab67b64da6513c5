"""The report as one self-contained page for trustees (``clarion report --format html``).

The week's totals, a chart of each day and of each platform (inline SVG from
:mod:`clarion.render._charts`, each with a table of its numbers beside it), the best posts with
their text and link, posts with a quote against the others, link clicks where a platform gives
them, what each platform's numbers mean, and the command that starts next year's week. The page
makes no request (a Content-Security-Policy forbids it) and prints cleanly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clarion.platforms.metrics import SHARED
from clarion.render.report_text import TITLES, counted, growth_words, number
from clarion.reporting.model import PostResult, Report, next_year_command

if TYPE_CHECKING:
    import jinja2

#: Okabe and Ito's colour-blind-safe colours, less the light ones, and two darker ones: each bar
#: stands out from the white page by at least 3:1 (WCAG 1.4.11); the tables carry the numbers.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8F6400", "#7B3F99")
#: Counts, other than the shared ones, that say a person followed a post's link.
CLICKS = ("link_clicks",)


def render(report: Report) -> str:
    return _template().render(**_context(report))


def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clarion.render", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _label(report: Report, name: str) -> str:
    return next((s.facts.label for s in report.platforms if s.facts.name == name), name)


def _context(report: Report) -> dict[str, Any]:
    from markupsafe import Markup

    from clarion.render import _charts

    names = [c.name for c in report.campaigns]
    title = "What " + " and ".join(names) + " achieved" if names else "Campaign report"
    read = [s.taken_ms for s in report.platforms if s.taken_ms is not None]
    shared = [n for n in SHARED if any(n in s.totals for s in report.platforms)]
    days = [d for d in report.days if d.interactions]
    labels = [s.facts.label for s in report.platforms]
    day_series = {
        _label(report, p): [d.interactions.get(p, 0) for d in days]
        for p in dict.fromkeys(p for d in days for p in d.interactions)
    }
    charts: dict[str, Any] = {"days": None, "platforms": None}
    if days:
        # matplotlib writes the SVG and escapes every text in it (labels, titles)
        charts["days"] = Markup(  # noqa: S704
            _charts.stacked_days(
                "Likes, reposts, replies and quotes of each day's posts, by platform",
                [f"{d.day:%a %-d %b}" for d in days],
                day_series,
                {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)},
            )
        )
    platform_series = {
        TITLES[n]: [
            s.totals.get(n) if any(m.name == n for m in s.facts.metrics) else None
            for s in report.platforms
        ]
        for n in shared
    }
    if any(v for vs in platform_series.values() for v in vs):
        charts["platforms"] = Markup(  # noqa: S704
            _charts.grouped(
                "Each platform's likes, reposts, replies and quotes",
                labels,
                platform_series,
                PALETTE,
            )
        )
    return {
        "title": title,
        "campaigns": [
            {"name": c.name, "slug": c.slug, "zone": c.zone, "next": next_year_command(c)}
            for c in report.campaigns
        ],
        "read_at": f"{report.local(max(read)):%A %-d %B %Y at %H:%M (UTC%z)}" if read else None,
        "totals": [
            {
                "title": TITLES[t.name].lower(),
                "total": number(t.total),
                "where": _where(report, t.platforms),
            }
            for t in report.totals
        ],
        "own": _own(report),
        "charts": charts,
        "day_rows": [
            {
                "day": f"{d.day:%A %-d %B}",
                "posts": d.posts,
                "cells": [number(d.interactions.get(p)) for p in day_series_keys(report, days)],
            }
            for d in days
        ],
        "day_heads": [_label(report, p) for p in day_series_keys(report, days)],
        "shared_heads": [TITLES[n] for n in shared],
        "platform_rows": [
            {
                "label": s.facts.label,
                "published": s.published,
                "cells": [
                    number(s.totals.get(n))
                    if any(m.name == n for m in s.facts.metrics)
                    else "not counted"
                    for n in shared
                ],
            }
            for s in report.platforms
        ],
        "top": [_post(report, p) for p in report.top],
        "comparison": report.comparison,
        "clicks": _clicks(report),
        "meanings": [
            {
                "label": s.facts.label,
                "note": s.facts.note,
                "notes": list(s.notes),
                "metrics": [{"label": m.label, "meaning": m.meaning} for m in s.facts.metrics],
                "problems": list(s.problems),
                "read": f"{report.local(s.taken_ms):%a %-d %b %H:%M}" if s.taken_ms else None,
            }
            for s in report.platforms
        ],
        "posts": [_post(report, p) for p in report.posts],
        "number": number,
    }


def day_series_keys(report: Report, days: list[Any]) -> list[str]:
    return list(dict.fromkeys(p for d in days for p in d.interactions))


def _where(report: Report, platforms: tuple[str, ...]) -> str:
    if len(platforms) == len(report.platforms):
        return "on every platform"
    return (
        "on " + ", ".join(_label(report, p) for p in platforms) + " (the others do not count them)"
    )


def _own(report: Report) -> list[dict[str, str]]:
    """Each platform's own counts (impressions, views): shown beside it, never added up."""
    out = []
    for s in report.platforms:
        for m in s.facts.metrics:
            if not m.shared and m.name in s.totals and m.name not in CLICKS:
                out.append(
                    {
                        "label": f"{s.facts.label} {m.label.lower()}",
                        "total": number(s.totals[m.name]),
                    }
                )
    return out


def _clicks(report: Report) -> dict[str, Any]:
    giving = [s for s in report.platforms if any(m.name in CLICKS for m in s.facts.metrics)]
    rows = [
        {"label": s.facts.label, "total": number(s.totals.get(name))}
        for s in giving
        for name in CLICKS
        if name in s.totals
    ]
    silent = [s.facts.label for s in report.platforms if s not in giving]
    return {"rows": rows, "silent": silent}


def _post(report: Report, p: PostResult) -> dict[str, Any]:
    s = p.source
    summary = next(x for x in report.platforms if x.facts.name == s.platform)
    counts = [
        {
            "label": m.label,
            "value": number(p.counts[m.name]),
            "words": counted(p.counts[m.name], m.label),
        }
        for m in summary.facts.metrics
        if m.name in p.counts
    ]
    return {
        "label": summary.facts.label,
        "when": f"{s.at:%A %-d %B, %H:%M}",
        "text": s.text,
        "url": s.url,
        "quote": s.quote,
        "part": s.thread_index + 1 if s.thread_index else None,
        "interactions": number(p.interactions),
        "counts": counts,
        "growth": growth_words(report, p),
        "gone": p.gone,
    }
