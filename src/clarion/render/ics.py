"""The week as an iCalendar file: one event per post slot, to drop into Outlook or Google Calendar.

A *slot* is one post of one campaign at its instant: the same post on several platforms, and
every part of a thread, make a single event. Its summary names the campaign, the post and the
platforms; its description carries the exact text each platform will receive.

Re-importing after an edit updates events instead of duplicating them:

- ``UID`` is derived from the slot's delivery key (``SLUG:POST``) only, so it stays the same
  when the post's text, time or platforms change, and a new post gets a new one.
- ``SEQUENCE`` is the number of whole seconds from 2020-01-01 UTC to the export (``DTSTAMP``):
  a later export always carries a higher sequence, which is what calendar apps compare to take
  an update over the copy they hold (the content alone cannot give a number that only grows).
  It fits the 32-bit integer calendar apps use until 2088.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from clarion import platforms
from clarion.render.seen import Seen

if TYPE_CHECKING:
    from clarion.checking import Checked
    from clarion.delivery import Delivery, Media
    from clarion.render.seen import Ledgered

PRODID = "-//Clarion//Campaign preview//EN"
#: How long each event lasts in the calendar (a post is an instant; this makes it visible).
DURATION = dt.timedelta(minutes=15)
#: SEQUENCE counts seconds from here (see the module's documentation).
SEQUENCE_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
UID_DOMAIN = "clarion"


def uid(campaign: str, post: str) -> str:
    """The event's UID: a hash of the slot's key ``SLUG:POST``, stable across exports."""
    digest = hashlib.sha256(f"{campaign}:{post}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def sequence(stamp: dt.datetime) -> int:
    """SEQUENCE for an export made at ``stamp``: grows with every later export."""
    return max(0, int((stamp - SEQUENCE_EPOCH).total_seconds()))


def render(
    result: Checked,
    chosen: list[Delivery],
    *,
    stamp: dt.datetime | None = None,
    ledger: Ledgered | None = None,
) -> bytes:
    """The calendar of the ``chosen`` deliveries of ``result``'s campaigns, as .ics bytes.

    With ``ledger``, a post whose every delivery the ledger has cancelled, and every post the
    ledger cancelled because it was removed from the file, is an event with STATUS:CANCELLED
    (and a higher SEQUENCE), so calendar clients take it out instead of keeping it.

    ``stamp`` is the export time (``DTSTAMP``, and where ``SEQUENCE`` comes from); now by
    default."""
    when = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    names = {loaded.slug: loaded.campaign.name for loaded in result.campaigns}
    slots: dict[tuple[str, str], list[Delivery]] = {}
    order = result.order()
    removed = [d for d in (ledger.removed if ledger else ()) if d.campaign in names]
    for d in sorted(
        [*chosen, *removed],
        key=lambda d: (d.at_utc, d.campaign, order.get((d.campaign, d.post), len(order))),
    ):
        slots.setdefault((d.campaign, d.post), []).append(d)
    shown = [names.get(slug, slug) for slug in dict.fromkeys(c for c, _ in slots)]
    slugs = sorted(names)
    calendar = Calendar.new(  # ``name`` writes NAME and X-WR-CALNAME
        prodid=PRODID,
        name=", ".join(shown or [names[s] for s in slugs]) or "Clarion",
        uid=uid("calendar", ",".join(slugs)),
    )
    zones = {loaded.campaign.timezone for loaded in result.campaigns}
    if len(zones) == 1:
        calendar.add("X-WR-TIMEZONE", zones.pop())
    gone = {d.key for d in removed}
    for (slug, post), parts in slots.items():
        event = _event(names.get(slug, slug), slug, post, parts, when)
        if ledger is not None and all(
            d.key in gone or (ledger.of(d) or Seen("")).state == "cancelled" for d in parts
        ):
            event["SEQUENCE"] = sequence(when) + 1
            event.add("STATUS", "CANCELLED")
        calendar.add_component(event)
    if slots:
        first = min(parts[0].at for parts in slots.values()).date()
        last = max(parts[0].at for parts in slots.values()).date()
        calendar.add_missing_timezones(
            first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366)
        )
    data: bytes = calendar.to_ical()
    return data


def _event(name: str, slug: str, post: str, parts: list[Delivery], stamp: dt.datetime) -> Event:
    by_platform: dict[str, list[Delivery]] = {}
    for d in sorted(parts, key=lambda d: (_order(d.platform), d.thread_index)):
        by_platform.setdefault(d.platform, []).append(d)
    labels = [_label(p) for p in by_platform]
    start = parts[0].at
    event = Event.new(
        uid=uid(slug, post),
        stamp=stamp,
        start=start,
        end=start + DURATION,
        sequence=sequence(stamp),
        summary=f"{name}: {post} — {', '.join(labels)}",
        description=_description(by_platform),
    )
    return event


def _order(platform: str) -> tuple[int, str]:
    names = platforms.NAMES
    return (names.index(platform) if platform in names else len(names), platform)


def _label(platform: str) -> str:
    try:
        return platforms.get(platform).label
    except platforms.UnknownPlatformError:
        return platform


def _description(by_platform: dict[str, list[Delivery]]) -> str:
    """Each platform's text under its label; the parts of a thread numbered."""
    blocks = []
    for platform, parts in by_platform.items():
        head = _label(platform)
        account = parts[0].account
        if account != "default":
            head += f" (account {account})"
        if len(parts) > 1:
            head += f", a thread of {len(parts)}"
        lines = [f"{head}:"]
        for n, d in enumerate(parts, 1):
            if len(parts) > 1:
                lines += [f"[{n}/{len(parts)}]"] if n == 1 else ["", f"[{n}/{len(parts)}]"]
            lines.append(d.text)
            lines += _extras(d.media, d.content.quote_of)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _extras(images: Sequence[Media], quote_of: str | None) -> list[str]:
    out = [f"Image {i.path}: {i.alt}" for i in images]
    if quote_of:
        out.append(f"Quotes {quote_of}")
    return out
