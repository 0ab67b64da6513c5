"""One delivery's card (and a thread's cards) as HTML, built as strings: the page template would
take several seconds for the 40,000 cards of a large preview, these functions a fraction of that.

Every value from a campaign is escaped here (:func:`esc`); the template only places the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from clarion import platforms
from clarion.render._html_signoff import badge as badge_of
from clarion.render._html_text import esc as _esc
from clarion.render._html_text import highlight
from clarion.render.seen import NOTABLE, WORDS

if TYPE_CHECKING:
    from clarion.campaign.problems import Problem
    from clarion.delivery import Delivery, Media
    from clarion.planner import Fit
    from clarion.render.seen import Seen


def esc(value: str) -> str:
    """``value`` escaped for HTML text or a quoted attribute."""
    return _esc(value)


@cache
def esc_once(value: str) -> str:
    """:func:`esc` for the few values that repeat on every card (platforms, accounts)."""
    return _esc(value)


@cache
def label(platform: str) -> str:
    """The name people know ``platform`` by ("Facebook Page")."""
    try:
        return platforms.get(platform).label
    except platforms.UnknownPlatformError:
        return platform


@cache
def _unit(platform: str) -> str:
    try:
        return platforms.get(platform).length_unit
    except platforms.UnknownPlatformError:
        return "characters"


@cache
def _figure(file: str, alt: str, path: str) -> str:
    from clarion.render._html_images import original, picture

    found = picture(file)
    caption = f'<figcaption><span class="k">Alt text:</span> {esc(alt)}'
    if found is None:
        missing = f'<p class="missing">The image {esc(path)} could not be read.</p>'
        return f'<figure class="pic">{missing}{caption}</figcaption></figure>'
    size = f'<span class="orig">{esc(original(found))}</span>'
    return (
        f'<figure class="pic"><img alt="{esc(alt)}" data-img="{found.id}">'
        f"{caption} {size}</figcaption></figure>"
    )


def _figures(images: Sequence[Media]) -> str:
    return "".join(_figure(i.file, i.alt, i.path) for i in images)


@cache
def account_name(platform: str, account: str, handle: str | None = None) -> str:
    """Who a card posts as: the handle the account was seen to post as, else the account's name
    in the campaign (``accounts: {x: press-office}``), else the platform's word for it ("Your
    Bluesky account"): never the bare word "default" as if it were a handle."""
    if handle:
        return handle
    if account and account != "default":
        return account
    name = label(platform)
    return f"Your {name}" if name.endswith(" Page") else f"Your {name} account"


def _letter(account: str) -> str:
    """The avatar's letter: of the handle or name ("Your X account": X)."""
    shown = account.removeprefix("Your ").lstrip("@")
    return shown[:1].upper()


@cache
def _head(account: str, name: str) -> str:
    """A card's header up to its part badge: avatar, account, platform."""
    return (
        f'<header class="ch"><span class="av" aria-hidden="true">{esc(_letter(account))}'
        f'</span><span class="who"><span class="acct">{esc(account)}</span> '
        f'<span class="plat">{name}</span></span>'
    )


def card(
    d: Delivery,
    fit: Fit,
    parts: int,
    seen: Seen | None = None,
    mark: tuple[str, str] | None = None,
    who: str | None = None,
    faults: Sequence[Problem] = (),
) -> str:
    """The card of one delivery; ``parts``: how many parts its thread has (1 if none);
    ``seen``: its state in the ledger, when its campaign is scheduled there; ``mark``: its
    sign-off badge (class, words) when it changed or is new since the last sign-off; ``who``:
    the handle the account posts as, when known; ``faults``: the problems of its post (an
    invalid campaign's cards are shown with them)."""
    name = esc_once(label(d.platform))
    platform = esc_once(d.platform)
    part = d.thread_index + 1
    of = f", part {part} of {parts}" if parts > 1 else ""
    badge = f'<span class="part">{part}/{parts}</span>' if parts > 1 else ""
    head = (
        _head(account_name(d.platform, d.account, who), name) + badge + _state(seen) + "</header>"
    )
    state = f' data-state="{esc_once(seen.state)}"' if seen else ""
    crossed = " st-cancelled" if seen and seen.state == "cancelled" else ""
    if mark is not None:
        crossed += f" {mark[0]}"
    problems = ""
    if faults:
        crossed += " has-problems"
        items = "".join(
            f"<li><code>{esc(f'{p.file}:{p.line}:{p.column}:')}</code> {esc(p.message)}</li>"
            for p in faults
        )
        problems = (
            '<div class="card-problems"><p><strong>Will not go out until fixed:</strong></p>'
            f"<ul>{items}</ul></div>"
        )
    reply = f'<p class="reply">Reply to part {part - 1}</p>' if d.reply_to else ""
    quote = ""
    if d.content.quote_of:
        url = esc(d.content.quote_of)
        quote = (
            f'<p class="quote"><span class="k">Quotes</span> <a href="{url}" target="_blank" '
            f'rel="noopener noreferrer">{url}</a></p>'
        )
    limit, length = fit.limit, fit.length
    left = limit - length
    rest = f"{left:,} left" if left >= 0 else f"{-left:,} over"
    meter = (
        f'<p class="len"><meter min="0" max="{limit}" low="{limit * 8 // 10}" '
        f'high="{limit * 95 // 100}" optimum="0" value="{length}">{length} of {limit}</meter> '
        f"<span>{length:,} / {limit:,} {_unit(d.platform)} · {rest}</span></p>"
    )
    warnings = ""
    if fit.over:
        items = "".join(f"<li>Too long for {name}: {esc(w)}.</li>" for w in fit.over)
        warnings = f'<ul class="warn">{items}</ul>'
    return (
        f'<article class="card p-{platform}{crossed}" data-key="{esc(d.key)}"{state} '
        f'data-platform="{platform}" '
        f'data-day="{d.at.date().isoformat()}" aria-label="{name}, {esc(d.post)}{of}">'
        f"{head}{badge_of(mark)}{problems}{reply}"
        f'<p class="text">{highlight(d.platform, d.text)}</p>'
        f"{_figures(d.media) if d.media else ''}{quote}{meter}{warnings}</article>"
    )


def _state(seen: Seen | None) -> str:
    """The badge of a delivery's ledger state: published (with its link) and every state a
    person must see; nothing for the ordinary waiting ones."""
    if seen is None or seen.state not in NOTABLE:
        return ""
    words = WORDS.get(seen.state, seen.state)
    why = f' title="{esc(seen.reason)}"' if seen.reason else ""
    if seen.state == "published" and seen.url:
        return (
            f'<a class="st st-published" href="{esc(seen.url)}" target="_blank" '
            f'rel="noopener noreferrer">{words}</a>'
        )
    return f'<span class="st st-{esc_once(seen.state)}"{why}>{words}</span>'


def thread(
    parts: Sequence[Delivery],
    fits: dict[str, Fit],
    seen: Callable[[Delivery], Seen | None],
    marks: Mapping[str, tuple[str, str]] | None = None,
    handles: Mapping[tuple[str, str], str] | None = None,
    faults: Mapping[str, Sequence[Problem]] | None = None,
) -> str:
    """A post's cards on one platform: one, or a thread's parts drawn connected, in order.
    ``handles``: (platform, account) -> the handle it posts as, where known; ``faults``: key ->
    the problems of its post."""
    got, bad = marks or {}, faults or {}
    who = (handles or {}).get((parts[0].platform, parts[0].account)) if parts else None
    cards = "".join(
        card(d, fits[d.key], len(parts), seen(d), got.get(d.key), who, bad.get(d.key, ()))
        for d in parts
    )
    kind = "thread multi" if len(parts) > 1 else "thread"
    return f'<div class="{kind}">{cards}</div>'


def slot(anchor: str, time: str, utc: str, title: str, where: str, threads: Sequence[str]) -> str:
    """A time slot of a day: its local time (UTC on hover and in small print) and its threads."""
    stamp = f'<time datetime="{utc}" title="{esc(title)}">{time}</time>'
    return (
        f'<section class="slot" id="{esc(anchor)}" aria-label="{esc(where)}, {time}">'
        f'<h5>{stamp} <span class="utc">{utc[11:16]} UTC</span></h5>'
        f'<div class="threads">{"".join(threads)}</div></section>'
    )


def abbreviation(platform: str) -> str:
    """A platform's name in the week-at-a-glance grid ("FB"; the full name on hover)."""
    try:
        return platforms.get(platform).abbreviation
    except platforms.UnknownPlatformError:
        return platform


@cache
def _badge(platform: str) -> str:
    p = esc(platform)
    return (
        f' <abbr class="badge b-{p}" data-platform="{p}" title="{esc(label(platform))}">'
        f"{esc(abbreviation(platform))}</abbr>"
    )


def platform_css(names: Sequence[str]) -> str:
    """The style sheet's rules for the cards and badges of platforms ``names``, from each
    platform's :attr:`~clarion.platforms.base.Platform.style` (unknown names get none)."""
    rules: list[str] = []
    for name in dict.fromkeys(names):
        try:
            cls = platforms.get(name)
        except platforms.UnknownPlatformError:
            continue
        rules += [f"/* {cls.label} */", cls.style.css(name)]
    return "\n".join(rules)


def glance(
    days: Sequence[tuple[str, str]],
    rows: Sequence[tuple[str, Sequence[Sequence[tuple[str, str, str, str, Sequence[str]]]]]],
) -> str:
    """The week at a glance: a table of days (columns) and local times (rows). ``days``: (iso,
    short label); each row: the time and, per day, its entries (anchor, utc, title, post,
    platforms)."""
    head = "".join(f'<th scope="col" data-day="{iso}">{esc(short)}</th>' for iso, short in days)
    body: list[str] = []
    for time, cells in rows:
        tds: list[str] = []
        for (iso, _), entries in zip(days, cells, strict=True):
            items = "".join(
                f'<li data-platforms="{esc(" ".join(plats))}"><a href="#{esc(anchor)}">'
                f'<time datetime="{utc}" title="{esc(title)}">{esc(post)}</time></a>'
                + "".join(_badge(p) for p in plats)
                + "</li>"
                for anchor, utc, title, post, plats in entries
            )
            tds.append(f'<td data-day="{iso}">{f"<ul>{items}</ul>" if items else ""}</td>')
        body.append(f'<tr><th scope="row">{time}</th>{"".join(tds)}</tr>')
    # In a scroll container of its own: on a phone the days scroll sideways (with a hint),
    # the page does not.
    return (
        '<div class="glance-wrap" role="region" tabindex="0" aria-label="Week at a glance">'
        '<table class="glance"><caption>Week at a glance: posts by day and local time (hover '
        "for the time in UTC)</caption>"
        f'<thead><tr><th scope="col">Time</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        + (
            '<p class="scroll-hint" aria-hidden="true">Swipe the grid sideways for '
            f"all {len(days)} days →</p>"
            if len(days) > 3
            else ""
        )
    )
