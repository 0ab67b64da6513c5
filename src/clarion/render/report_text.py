"""The report in the terminal (totals per platform, the best posts) and as CSV (one row per
delivery and reading)."""

from __future__ import annotations

import csv
import io
import textwrap

from clarion.platforms.metrics import SHARED
from clarion.reporting.model import PostResult, Report, next_year_command, since_words

#: The shared counts' column titles.
TITLES = {"likes": "Likes", "reposts": "Reposts", "replies": "Replies", "quotes": "Quotes"}


def number(n: int | float | None) -> str:
    if n is None:
        return "—"
    return f"{n:,.1f}" if isinstance(n, float) else f"{n:,}"


def counted(value: int, label: str) -> str:
    """ "1 like", "2 replies", "+1 repost": a count and its label, singular for one."""
    word = label.lower()
    if abs(value) == 1:
        word = word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s")
    return f"{value:,} {word}"


def growth_words(report: Report, p: PostResult) -> str:
    """ "+38 likes, +2 replies since Friday" ('' when nothing moved or read once)."""
    grown = p.growth()
    if not grown or p.before_ms is None or p.taken_ms is None:
        return ""
    labels = {**TITLES}
    parts = [
        ("+" if d > 0 else "") + counted(d, labels.get(k, k.replace("_", " ")))
        for k, d in grown.items()
    ]
    return ", ".join(parts) + " " + since_words(report.local(p.before_ms), report.local(p.taken_ms))


def own_counts(report: Report, name: str) -> str:
    """A platform's counts that are its own (impressions, views), in words."""
    summary = next(s for s in report.platforms if s.facts.name == name)
    return " · ".join(
        f"{m.label.lower()} {number(summary.totals[m.name])}"
        for m in summary.facts.metrics
        if not m.shared and m.name in summary.totals
    )


def table(report: Report) -> str:
    out: list[str] = []
    for c in report.campaigns:
        out.append(f"{c.name} ({c.slug})")
    read = [s.taken_ms for s in report.platforms if s.taken_ms is not None]
    if read:
        out.append(f"Counts read {report.local(max(read)):%A %-d %B %Y %H:%M %z}.")
    elif report.posts:
        out.append("No counts have been read yet: `clarion report --refresh` reads them.")
    out.append("")
    shared = [n for n in SHARED if any(n in s.totals for s in report.platforms)]
    head = f"{'Platform':<16}{'Posts':>6}" + "".join(f"{TITLES[n]:>9}" for n in shared)
    out += [head + "   Its own counts", "-" * (len(head) + 16)]
    for s in report.platforms:
        given = {m.name for m in s.facts.metrics}
        cells = "".join(f"{number(s.totals.get(n)) if n in given else '—':>9}" for n in shared)
        out.append(
            f"{s.facts.label:<16}{s.published:>6}{cells}   {own_counts(report, s.facts.name)}"
        )
    if len(report.platforms) > 1 and report.totals:
        by = {t.name: t for t in report.totals}
        cells = "".join(f"{number(by[n].total) if n in by else '—':>9}" for n in shared)
        out.append(f"{'All platforms':<16}{len(report.posts):>6}{cells}")
        partial = [t for t in report.totals if len(t.platforms) < len(report.platforms)]
        for t in partial:
            labels = [s.facts.label for s in report.platforms if s.facts.name in t.platforms]
            out.append(f"  {TITLES[t.name]}: only {', '.join(labels)} count them.")
    if report.top:
        out += ["", "Best posts (likes + reposts + replies + quotes):"]
        for i, p in enumerate(report.top, 1):
            out += _top_line(report, i, p)
    cmp = report.comparison
    if cmp.quote_posts and cmp.other_posts:
        out += [
            "",
            f"Posts with a quote: {number(cmp.quote_average)} interactions each on average "
            f"({cmp.quote_posts} posts); other posts: {number(cmp.other_average)} "
            f"({cmp.other_posts}).",
        ]
    problems = [(s.facts.label, p) for s in report.platforms for p in s.problems]
    if problems:
        out += ["", "Not read:"] + [f"  {label}: {p}" for label, p in problems]
    notes = [(s.facts.label, n) for s in report.platforms for n in (s.facts.note, *s.notes) if n]
    if notes:
        out += ["", "What the numbers mean:"]
        for label, n in notes:
            out += textwrap.wrap(f"{label}: {n}", 96, initial_indent="  ", subsequent_indent="    ")
    for c in report.campaigns:
        command = next_year_command(c)
        if command:
            out += ["", f"Next year's week from this one: {command}"]
    return "\n".join(out) + "\n"


def _top_line(report: Report, i: int, p: PostResult) -> list[str]:
    s = p.source
    label = next(x.facts.label for x in report.platforms if x.facts.name == s.platform)
    text = " ".join(s.text.split())
    text = text if len(text) <= 70 else text[:69] + "…"
    line = f"{i:>2}. {s.at:%a %-d %b %H:%M}  {label}: {number(p.interactions)} — “{text}”"
    more = growth_words(report, p)
    return [line] + ([f"    {more}"] if more else []) + ([f"    {s.url}"] if s.url else [])


def csv_text(report: Report) -> str:
    """One row per delivery and reading (a delivery never read: one row, reading empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(report.metric_names)
    writer.writerow(
        [
            "campaign",
            "key",
            "post",
            "platform",
            "account",
            "published_at",
            "url",
            "quote",
            "read_at",
            "gone",
            *names,
        ]
    )
    for line in report.lines:
        s = line.source
        read = report.local(line.taken_ms).isoformat(timespec="seconds") if line.taken_ms else ""
        writer.writerow(
            [
                s.campaign,
                s.key,
                s.post,
                s.platform,
                s.account,
                s.at.isoformat(timespec="seconds"),
                s.url or "",
                "yes" if s.quote else "",
                read,
                "yes" if line.gone else "",
                *(line.counts.get(n, "") for n in names),
            ]
        )
    return buffer.getvalue()
