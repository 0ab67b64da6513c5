"""A campaign's items (posts and quotes): their ids, platforms, quoted posts and texts.

Small facts about the file that validation, the planner and the quote cards all read; kept here,
in the campaign layer, so none of them has to import another for them.
"""

from __future__ import annotations

from collections.abc import Iterator

from clarion.campaign.model import Campaign, Post, QuoteItem
from clarion.campaign.yamlsafe import Path_


def items(campaign: Campaign) -> Iterator[tuple[Path_, Post | QuoteItem]]:
    """Every post, then every quote, with where it stands in the file."""
    for i, post in enumerate(campaign.posts):
        yield ("posts", i), post
    if campaign.quotes is not None:
        for k, item in enumerate(campaign.quotes.items):
            yield ("quotes", "items", k), item


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


def item_platforms(campaign: Campaign, item: Post | QuoteItem) -> list[str]:
    return item.platforms if item.platforms is not None else campaign.platforms


def render_quote(template: str, item: QuoteItem, quote: str | None = None) -> str:
    words = item.quote if quote is None else quote
    return template.format_map({"quote": words, "name": item.name, "role": item.role or ""})


def quote_of(item: Post | QuoteItem, platform: str) -> str | None:
    """The URL ``item`` quotes on ``platform``: its variant's, else its own."""
    variant = item.variants.get(platform)
    if variant is not None and variant.quote_of is not None:
        return variant.quote_of
    return item.quote_of if isinstance(item, Post) else None
