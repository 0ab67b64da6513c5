"""Checks of how a campaign publishes: which account posts where, and what each post quotes.

Kept apart from :mod:`clarion.campaign.validate` (texts, times, images); the platforms' own
capabilities come from :mod:`clarion.platforms` (one source of truth).
"""

from __future__ import annotations

from collections.abc import Callable

from clarion import platforms
from clarion.campaign.items import item_platforms, quote_of
from clarion.campaign.model import Campaign, Post, QuoteItem
from clarion.campaign.yamlsafe import Path_

Add = Callable[..., None]


def effective_quote(item: Post | QuoteItem, platform: str) -> tuple[str | None, bool]:
    """The URL ``item`` quotes on ``platform`` and whether it comes from its variant."""
    variant = item.variants.get(platform)
    return quote_of(item, platform), variant is not None and variant.quote_of is not None


def check(c: Campaign, items: list[tuple[Path_, Post | QuoteItem]], add: Add) -> None:
    _check_accounts(c, add)
    for path, item in items:
        _check_quotes(c, path, item, add)


def _check_accounts(c: Campaign, add: Add) -> None:
    used = set(c.platforms)
    for name in c.accounts:
        if name not in platforms.REGISTRY:
            known = ", ".join(platforms.NAMES)
            add(
                ("accounts", name),
                f"Clarion doesn't know the platform `{name}`. Platforms: {known}.",
                key=True,
            )
        elif name not in used:
            add(
                ("accounts", name),
                f"This campaign does not post to {name} (it is not in `platforms`); "
                "remove this line or add the platform.",
                key=True,
            )


def _check_quotes(c: Campaign, path: Path_, item: Post | QuoteItem, add: Add) -> None:
    for name in item_platforms(c, item):
        if name not in platforms.REGISTRY:
            continue  # reported by the platform checks
        url, from_variant = effective_quote(item, name)
        if url is None:
            continue
        # Imported here, not at the top: most campaigns quote nothing, and compiling its URL
        # patterns is start-up time (`clarion validate`) for nothing.
        from clarion.platforms import quoting

        where = (*path, "variants", name, "quote_of") if from_variant else (*path, "quote_of")
        label = platforms.get(name).label
        if not quoting.can_quote(name):
            able = quoting.quoting_platforms()
            quoting_names = [platforms.get(n).label for n in able]
            add(
                where,
                f"{label} posts cannot quote another post (only {' and '.join(quoting_names)} "
                f"can). Put the quote in a variant for the platforms that can, e.g. "
                f"`variants: {{{able[0] if able else name}: {{quote_of: ...}}}}`, "
                f"or take {name} off this post's platforms.",
            )
        elif quoting.target(name, url) is None:
            add(
                where,
                f"`{url}` is not the address of a {label} post, so it cannot be quoted there. "
                f"Copy the post's address from {label}; it looks like "
                f"{quoting.example(name)}.",
            )
