"""The planner: a pure function from a checked campaign to the deliveries it makes.

One delivery per (post, platform, thread part), with the final text exactly as it will be sent
(variant, link, hashtags, thread numbering), its local time and UTC instant, and a stable key
``SLUG:POST_ID:PLATFORM`` (thread parts after the first add ``#N``, N from 2). The preview, the
ledger and the publisher all start from these deliveries, so what people review is what goes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from clarion.campaign.load import Loaded
from clarion.campaign.model import Campaign, Image, Post, QuoteItem
from clarion.campaign.schedule import Slot, slots, to_utc, zone
from clarion.campaign.yamlsafe import Path_
from clarion.platforms import limits
from clarion.platforms.base import LengthCheck, Platform


class ImageRef(NamedTuple):
    path: str  # as written in the campaign file
    alt: str
    file: Path  # where it is on disk


class Delivery(NamedTuple):
    """One thing to send to one platform at one instant."""

    key: str
    campaign: str
    post: str
    platform: str
    at: dt.datetime  # aware, in the campaign's zone
    at_utc: dt.datetime  # aware, UTC
    text: str
    length: int
    limit: int
    images: tuple[ImageRef, ...]
    thread_index: int
    reply_to: str | None
    #: Where the text came from in the file, and every limit it breaks (for validation).
    origin: Path_
    over: tuple[str, ...]
    source_order: int
    #: The named account that posts it (the campaign's ``accounts``; default "default").
    account: str = "default"
    #: The URL of the post it quotes (first part of a thread only).
    quote_of: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The preview's JSON item: exactly these keys."""
        return {
            "key": self.key,
            "campaign": self.campaign,
            "post": self.post,
            "platform": self.platform,
            "at": self.at.isoformat(),
            "at_utc": self.at_utc.replace(tzinfo=None).isoformat() + "Z",
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "images": [{"path": i.path, "alt": i.alt} for i in self.images],
            "thread_index": self.thread_index,
            "reply_to": self.reply_to,
        }


def sort_key(d: Delivery) -> tuple[dt.datetime, str, str, int, int]:
    return (d.at_utc, d.platform, d.campaign, d.source_order, d.thread_index)


def item_ids(campaign: Campaign) -> list[tuple[Path_, str]]:
    """Every post's and quote's id (explicit, or the default post-N / quote-N), with its path."""
    ids: list[tuple[Path_, str]] = [
        (("posts", i), p.id or f"post-{i + 1}") for i, p in enumerate(campaign.posts)
    ]
    if campaign.quotes is not None:
        ids += [
            (("quotes", "items", k), q.id or f"quote-{k + 1}")
            for k, q in enumerate(campaign.quotes.items)
        ]
    return ids


def render_quote(template: str, item: QuoteItem, quote: str | None = None) -> str:
    words = item.quote if quote is None else quote
    return template.format_map({"quote": words, "name": item.name, "role": item.role or ""})


def item_platforms(campaign: Campaign, item: Post | QuoteItem) -> list[str]:
    return item.platforms if item.platforms is not None else campaign.platforms


def plan(loaded: Loaded) -> list[Delivery]:
    """Every delivery of one campaign, sorted by UTC instant, then platform."""
    campaign = loaded.campaign
    tz = zone(campaign.timezone)
    placed, problems = slots(campaign)
    if problems:
        raise ValueError("plan() needs a campaign whose times were checked")
    ids = dict(item_ids(campaign))
    out: list[Delivery] = []
    for order, slot in enumerate(sorted(placed, key=lambda s: (s.local, s.kind, s.position))):
        at_utc = to_utc(slot.local, tz)
        at = at_utc.astimezone(tz)
        for name in item_platforms(campaign, slot.item):
            platform = platform_for(campaign, name)
            parts = _parts(loaded, slot, platform)
            post_id = ids[slot.path]
            base = f"{loaded.slug}:{post_id}:{name}"
            for n, (text, images, origin) in enumerate(parts):
                check = platform.check_length(text)
                out.append(
                    Delivery(
                        key=base if n == 0 else f"{base}#{n + 1}",
                        campaign=loaded.slug,
                        post=post_id,
                        platform=name,
                        at=at,
                        at_utc=at_utc,
                        text=text,
                        length=check.length,
                        limit=check.limit,
                        images=tuple(_image(loaded, i) for i in images),
                        thread_index=n,
                        reply_to=None if n == 0 else (base if n == 1 else f"{base}#{n}"),
                        origin=origin,
                        over=check.over,
                        source_order=order,
                        account=campaign.accounts.get(name, "default"),
                        quote_of=quote_of(slot.item, name) if n == 0 else None,
                    )
                )
    out.sort(key=sort_key)
    return out


def platform_for(campaign: Campaign, name: str) -> type[Platform]:
    """Platform ``name`` with the limits of the server the campaign's account posts to, when
    ``clarion accounts check`` has read them (:mod:`clarion.platforms.limits`)."""
    return limits.for_account(name, campaign.accounts.get(name, "default"))


def quote_of(item: Post | QuoteItem, platform: str) -> str | None:
    """The URL ``item`` quotes on ``platform``: its variant's, else its own."""
    variant = item.variants.get(platform)
    if variant is not None and variant.quote_of is not None:
        return variant.quote_of
    return item.quote_of if isinstance(item, Post) else None


def _image(loaded: Loaded, image: Image) -> ImageRef:
    return ImageRef(image.path, image.alt or "", loaded.source.folder / image.path)


Part = tuple[str, Sequence[Image], Path_]


def _parts(loaded: Loaded, slot: Slot, platform: type[Platform]) -> list[Part]:
    """The texts (with images and origin) one item becomes on one platform, in thread order."""
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
    link = item.link if isinstance(item, Post) else None
    if variant is not None and variant.link is not None:
        link = variant.link
    images: Sequence[Image] = item.images
    if variant is not None and variant.images is not None:
        images = variant.images
    card = campaign.quotes.card if campaign.quotes is not None else None
    if isinstance(item, QuoteItem) and card is not None:  # the quote card goes first
        from clarion.render import cards

        images = [cards.image(loaded, item), *images]
    tags: list[str] = campaign.hashtags if item.hashtags is None else item.hashtags
    if variant is not None and variant.hashtags is not None:
        tags = variant.hashtags
    body = f"{text}\n{link}" if link else text
    tail = "\n\n" + " ".join(tags) if tags else ""
    short = item.short if isinstance(item, QuoteItem) and card and origin[-1] == "quote" else None
    fits = platform.check_length(body + tail).fits if short else True
    if short and isinstance(item, QuoteItem) and campaign.quotes and not fits:
        text = render_quote(campaign.quotes.template, item, short)  # the card has it all
        body, origin = (f"{text}\n{link}" if link else text), (*slot.path, "short")
    replies: list[Part] = []
    if isinstance(item, Post):
        replies = [
            (part.text, part.images, (*slot.path, "thread", j, "text"))
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

        lo, hi = 0, len(rest)  # largest k in [lo, hi] with fits(k); fits(0) assumed
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
        if len(chunks) > 200:
            break
    return chunks


def _sentence_break(words: list[str], k: int) -> int:
    """The last sentence end among the last 40% of words[:k], or k if there is none."""
    for j in range(k, max(1, int(k * 0.6)) - 1, -1):
        if words[j - 1].endswith((".", "!", "?", "…", ";", ":")):
            return j
    return k


def _longest_prefix(platform: type[Platform], word: str, suffix: str) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if platform.check_length(word[:mid] + suffix).fits:
            lo = mid
        else:
            hi = mid - 1
    return lo


__all__ = ["Delivery", "ImageRef", "LengthCheck", "plan", "split"]
