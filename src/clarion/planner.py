"""The planner: a pure function from a checked campaign to the deliveries it makes.

One :class:`~clarion.delivery.Delivery` per (post, platform, thread part), with the final text
exactly as it will be sent (variant, link, hashtags, thread numbering), its UTC instant, and a
stable key ``SLUG:POST_ID:PLATFORM`` (thread parts after the first add ``#N``, N from 2). The
preview, the ledger and the publisher all start from these deliveries, so what people review is
what goes out.

Pure: everything it needs from outside the campaign (the limits a server has told Clarion, where
each image is and the hash of its bytes, each quote card's image) comes in a :class:`Context`.
What only validation and the views need (length, limit, what breaks it, where the text came from)
is returned beside the deliveries (:class:`Fit`), not carried on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from clarion.campaign.items import item_ids, item_platforms, quote_of, render_quote
from clarion.campaign.load import Loaded
from clarion.campaign.model import Image, Post, QuoteItem
from clarion.campaign.schedule import Slot, slots, to_utc, zone
from clarion.campaign.yamlsafe import Path_
from clarion.delivery import Content, Delivery, Media
from clarion.platforms import _utm
from clarion.platforms.base import LengthCheck, Platform


class Fit(NamedTuple):
    """How one delivery's text measures on its platform, and where it came from in the file."""

    length: int
    limit: int
    #: Plain-words descriptions of every limit the text breaks; empty when it fits.
    over: tuple[str, ...]
    origin: Path_


class Context(NamedTuple):
    """What the planner is told about the world outside the campaign file."""

    #: (platform, account) -> the platform with the limits that account's server has.
    platform_for: Callable[[str, str], type[Platform]]
    #: Image path as written -> (absolute file, SHA-256 of its bytes).
    media: Mapping[str, tuple[str, str]]
    #: Where a quote stands in the file -> its card (an image of its posts), when quotes have one.
    cards: Mapping[Path_, Image]


class Plan(NamedTuple):
    #: Sorted by UTC instant, then platform, then the order of the file, then thread position.
    deliveries: list[Delivery]
    fits: dict[str, Fit]


def plan(loaded: Loaded, context: Context) -> Plan:
    """Every delivery of one campaign (whose times were checked), sorted by UTC instant, then
    platform, and how each one's text measures."""
    campaign = loaded.campaign
    tz = zone(campaign.timezone)
    placed, problems = slots(campaign)
    if problems:
        raise ValueError("plan() needs a campaign whose times were checked")
    ids = dict(item_ids(campaign))
    ordered: list[tuple[int, Delivery]] = []
    fits: dict[str, Fit] = {}
    visibility = campaign.visibility if campaign.visibility != "public" else None
    for order, slot in enumerate(sorted(placed, key=lambda s: (s.local, s.kind, s.position))):
        at_utc = to_utc(slot.local, tz)
        for name in item_platforms(campaign, slot.item):
            account = campaign.accounts.get(name, "default")
            platform = context.platform_for(name, account)
            post_id = ids[slot.path]
            base = f"{loaded.slug}:{post_id}:{name}"
            tags = _tags(loaded, name, post_id)
            link = _link(slot.item, name)
            if link is not None:
                link = _utm.tag_url(link, tags)
            parts = _parts(loaded, slot, platform, context, tags)
            for n, (text, images, origin) in enumerate(parts):
                check = platform.check_length(text)
                key = base if n == 0 else f"{base}#{n + 1}"
                content = Content(
                    text=text,
                    media=tuple(_media(i, context) for i in images),
                    link=link if n == 0 else None,
                    quote_of=quote_of(slot.item, name) if n == 0 else None,
                    language=campaign.language,
                    visibility=visibility,
                )
                ordered.append(
                    (
                        order,
                        Delivery(
                            key=key,
                            campaign=loaded.slug,
                            post=post_id,
                            platform=name,
                            account=account,
                            at_utc=at_utc,
                            zone=campaign.timezone,
                            thread_index=n,
                            reply_to=None if n == 0 else (base if n == 1 else f"{base}#{n}"),
                            content=content,
                        ),
                    )
                )
                fits[key] = Fit(check.length, check.limit, check.over, origin)
    ordered.sort(key=lambda od: (od[1].at_utc, od[1].platform, od[0], od[1].thread_index))
    return Plan([d for _, d in ordered], fits)


def sort_key(d: Delivery) -> tuple[object, str, str]:
    """Across campaigns: by instant, platform and campaign (a stable sort keeps each
    campaign's own order within that)."""
    return (d.at_utc, d.platform, d.campaign)


def _tags(loaded: Loaded, platform: str, post_id: str) -> _utm.Params:
    """The ``utm_*`` parameters of one post's links on one platform; none when ``utm`` is off."""
    utm = loaded.campaign.utm
    if utm is None:
        return ()
    return _utm.params(
        utm.source or platform,
        utm.medium or "social",
        utm.campaign or loaded.slug,
        utm.content or post_id,
    )


def _media(image: Image, context: Context) -> Media:
    file, digest = context.media.get(image.path, ("", ""))
    return Media(image.path, image.alt or "", file, digest)


def _link(item: Post | QuoteItem, platform: str) -> str | None:
    link = item.link if isinstance(item, Post) else None
    variant = item.variants.get(platform)
    if variant is not None and variant.link is not None:
        link = variant.link
    return link


Part = tuple[str, Sequence[Image], Path_]


def _parts(
    loaded: Loaded, slot: Slot, platform: type[Platform], context: Context, utm: _utm.Params
) -> list[Part]:
    """The texts (with images and origin) one item becomes on one platform, in thread order;
    every link in them tagged with ``utm`` (lengths are checked on the tagged text)."""
    campaign = loaded.campaign
    item = slot.item
    variant = item.variants.get(platform.name)
    if variant is not None and variant.text is not None:
        text, origin = variant.text, (*slot.path, "variants", platform.name, "text")
    elif isinstance(item, Post):
        text, origin = item.text, (*slot.path, "text")
    else:
        assert campaign.quotes is not None
        text, origin = render_quote(campaign.quotes.template, item), (*slot.path, "quote")
    text = _utm.tag_text(platform, text, utm)
    link = _link(item, platform.name)
    if link is not None:
        link = _utm.tag_url(link, utm)
    images: Sequence[Image] = item.images
    if variant is not None and variant.images is not None:
        images = variant.images
    card = campaign.quotes.card if campaign.quotes is not None else None
    if isinstance(item, QuoteItem) and card is not None:  # the quote card goes first
        drawn = context.cards.get(slot.path)
        if drawn is not None:
            images = [drawn, *images]
    tags: list[str] = campaign.hashtags if item.hashtags is None else item.hashtags
    if variant is not None and variant.hashtags is not None:
        tags = variant.hashtags
    body = f"{text}\n{link}" if link else text
    tail = "\n\n" + " ".join(tags) if tags else ""
    short = item.short if isinstance(item, QuoteItem) and card and origin[-1] == "quote" else None
    fits = platform.check_length(body + tail).fits if short else True
    if short and isinstance(item, QuoteItem) and campaign.quotes and not fits:
        text = render_quote(campaign.quotes.template, item, short)  # the card has it all
        text = _utm.tag_text(platform, text, utm)
        body, origin = (f"{text}\n{link}" if link else text), (*slot.path, "short")
    replies: list[Part] = []
    if isinstance(item, Post):
        replies = [
            (
                _utm.tag_text(platform, part.text, utm),
                part.images,
                (*slot.path, "thread", j, "text"),
            )
            for j, part in enumerate(item.thread)
        ]
    if not platform.supports_threads:
        joined = platform.join_thread([body, *(r[0] for r in replies)]) + tail
        all_images = [*images, *(img for r in replies for img in r[1])]
        return [(joined, all_images, origin)]
    thread = campaign.overflow == "thread"
    first = body + tail
    parts: list[Part] = []
    if thread and not platform.check_length(first).fits:
        chunks = split(platform, body, tail)
        parts += [(c, images if n == 0 else (), origin) for n, c in enumerate(chunks)]
    else:
        parts.append((first, images, origin))
    for text_r, images_r, origin_r in replies:
        if thread and not platform.check_length(text_r).fits:
            chunks = split(platform, text_r, "")
            parts += [(c, images_r if n == 0 else (), origin_r) for n, c in enumerate(chunks)]
        else:
            parts.append((text_r, images_r, origin_r))
    return parts


def split(platform: type[Platform], body: str, tail: str) -> list[str]:
    """Split ``body`` into numbered parts that each fit; ``tail`` (hashtags) ends the first part."""
    words = body.split(" ")
    guess = 2
    for _ in range(6):
        chunks = _fill(platform, words, tail, guess)
        if len(chunks) == guess:
            return [
                f"{c} ({n}/{guess})" + (tail if n == 1 else "") for n, c in enumerate(chunks, 1)
            ]
        guess = len(chunks)
    return [body + tail]  # pragma: no cover - numbering never settles; validation reports it


def _fill(platform: type[Platform], words: list[str], tail: str, total: int) -> list[str]:
    chunks: list[str] = []
    rest = words
    while rest:
        n = len(chunks) + 1
        suffix = f" ({n}/{total})" + (tail if n == 1 else "")

        def fits(k: int, rest: list[str] = rest, suffix: str = suffix) -> bool:
            return platform.check_length(" ".join(rest[:k]) + suffix).fits

        # largest k in [lo, hi] with fits(k); fits(0) assumed. hi: only the words that could
        # fit are tried (each space counts at least 1, and no text of more than _SLACK characters
        # per unit fits), so each try stays short however long the text (900 KB took 27 s).
        lo, hi, size = 0, 0, -1
        budget = _SLACK * platform.max_length
        for word in rest:
            size += len(word) + 1
            if size > budget or hi > platform.max_length:
                break
            hi += 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:  # one word longer than a whole post: cut it
            word, cut = rest[0], _longest_prefix(platform, rest[0], suffix)
            chunks.append(word[:cut])
            rest = [word[cut:], *rest[1:]]
        else:
            if lo < len(rest):  # not the last part: prefer to end it at a sentence
                lo = _sentence_break(rest, lo)
            chunks.append(" ".join(rest[:lo]))
            rest = rest[lo:]
        if len(chunks) > 200:  # the rest as one last part, too long: validation says so
            chunks.append(" ".join(rest))  # (it was dropped: a text silently cut short)
            break
    return chunks


def _sentence_break(words: list[str], k: int) -> int:
    """The last sentence end among the last 40% of words[:k], or k if there is none."""
    for j in range(k, max(1, int(k * 0.6)) - 1, -1):
        if words[j - 1].endswith((".", "!", "?", "…", ";", ":")):
            return j
    return k


#: Characters per unit a platform counts beyond which a text never fits (a link counts 23 however
#: long it is, but no link is this long): what splitting tries is bounded by it.
_SLACK = 32


def _longest_prefix(platform: type[Platform], word: str, suffix: str) -> int:
    lo, hi = 1, min(len(word), _SLACK * platform.max_length)  # a 900 KB word took 5 s
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if platform.check_length(word[:mid] + suffix).fits:
            lo = mid
        else:
            hi = mid - 1
    return lo


__all__ = ["Context", "Delivery", "Fit", "LengthCheck", "Plan", "plan", "split"]
