"""The report as JSON (``clarion report --format json``): a versioned contract.

``version`` is :data:`JSON_VERSION`; it is raised when a field changes meaning or goes, and new
fields may be added without raising it.
"""

from __future__ import annotations

from typing import Any

from clarion.reporting.model import PostResult, Report, next_year_command

JSON_VERSION = 1


def as_json(report: Report) -> dict[str, Any]:
    """The versioned JSON (``version`` :data:`JSON_VERSION`)."""
    return {
        "version": JSON_VERSION,
        "campaigns": [
            {
                "slug": c.slug,
                "name": c.name,
                "timezone": c.zone,
                "next_year": next_year_command(c),
            }
            for c in report.campaigns
        ],
        "platforms": [
            {
                "platform": p.facts.name,
                "label": p.facts.label,
                "published": p.published,
                "counted": p.counted,
                "gone": p.gone,
                "totals": dict(p.totals),
                "read_at": _iso(report, p.taken_ms),
                "problems": list(p.problems),
                "notes": list(p.notes),
                "metrics": [
                    {"name": m.name, "label": m.label, "meaning": m.meaning, "shared": m.shared}
                    for m in p.facts.metrics
                ],
            }
            for p in report.platforms
        ],
        "totals": [
            {"metric": t.name, "total": t.total, "platforms": list(t.platforms)}
            for t in report.totals
        ],
        "days": [
            {"day": d.day.isoformat(), "posts": d.posts, "interactions": dict(d.interactions)}
            for d in report.days
        ],
        "quotes": {
            "quote_posts": report.comparison.quote_posts,
            "quote_average": report.comparison.quote_average,
            "other_posts": report.comparison.other_posts,
            "other_average": report.comparison.other_average,
        },
        "deliveries": [_post_json(report, p) for p in report.posts],
        "snapshots": [
            {
                "key": line.source.key,
                "read_at": _iso(report, line.taken_ms),
                "gone": line.gone,
                "counts": dict(line.counts),
            }
            for line in report.lines
            if line.taken_ms is not None
        ],
    }


def _iso(report: Report, ms: int | None) -> str | None:
    return None if ms is None else report.local(ms).isoformat(timespec="seconds")


def _post_json(report: Report, p: PostResult) -> dict[str, Any]:
    s = p.source
    return {
        "key": s.key,
        "campaign": s.campaign,
        "post": s.post,
        "platform": s.platform,
        "account": s.account,
        "published_at": s.at.isoformat(timespec="seconds"),
        "url": s.url,
        "post_id": s.post_id,
        "thread_index": s.thread_index,
        "quote": s.quote,
        "text": s.text,
        "counts": dict(p.counts),
        "read_at": _iso(report, p.taken_ms),
        "gone": p.gone,
        "interactions": p.interactions,
        "growth": p.growth(),
        "growth_since": _iso(report, p.before_ms),
    }
