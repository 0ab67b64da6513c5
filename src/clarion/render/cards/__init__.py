"""Quote cards drawn: each quote's words, name, role and a logo in a PNG, cached by content hash.

What a card is and how it is named live in :mod:`clarion.campaign.cards` (settings, hash, alt
text, the checks against each platform); this draws the cards not cached yet, before validation
(:func:`prepare`, which ``validate``, ``preview`` and ``schedule`` pass to the check). Pillow is
imported only to draw a card that is not cached yet.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from clarion.campaign.cards import (
    CACHE,
    MIME,
    RENDERER_VERSION,
    RGB,
    CardError,
    Style,
    alt_text,
    colour,
    contrast,
    image,
    key,
    settings,
    size,
    style,
)
from clarion.campaign.model import QuoteItem
from clarion.render.cards.drawing import BOLD, MARGIN, REGULAR, draw_png

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.campaign.problems import Problem


def ensure(loaded: Loaded, item: QuoteItem) -> Path:
    """The card's file, drawn first if it is not cached yet."""
    folder = loaded.source.folder
    written = image(loaded, item).path
    target = folder / written
    if target.is_file():
        return target
    base = Path(os.path.realpath(folder))
    cache = Path(os.path.realpath(folder / CACHE))
    if not cache.is_relative_to(base):
        raise CardError(f"`{CACHE}` leads outside the campaign's folder; remove that link.", "")
    quotes = loaded.campaign.quotes
    assert quotes is not None and quotes.card is not None
    data = draw(item, style(folder, quotes.card))
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{target.name}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    tmp.replace(cache / target.name)
    return target


def prepare(loaded: Loaded) -> list[Problem]:
    """Draw every card of ``loaded`` that is not cached yet; a problem for each that cannot be.
    Cards whose settings are wrong are left to validation, which reports the settings."""
    quotes = loaded.campaign.quotes
    if quotes is None or quotes.card is None:
        return []
    if settings(loaded.source.folder, quotes.card)[1]:
        return []
    problems: list[Problem] = []
    for k, item in enumerate(quotes.items):
        try:
            ensure(loaded, item)
        except CardError as exc:
            on = ("quotes", "card", exc.field) if exc.field else ("quotes", "card")
            at = ("quotes", "items", k, exc.field) if exc.field in ("quote", "name", "role") else on
            problems.append(loaded.source.at(at, str(exc)))
        except OSError as exc:
            problems.append(
                loaded.source.at(
                    ("quotes", "card"),
                    f"Clarion could not save the quote card in {CACHE}: {exc.strerror}.",
                )
            )
    return problems


def draw(item: QuoteItem, st: Style) -> bytes:
    """The card of ``item`` as PNG bytes (Pillow is imported on the first card drawn)."""
    return draw_png(item, st)


__all__ = [
    "BOLD",
    "CACHE",
    "MARGIN",
    "MIME",
    "REGULAR",
    "RENDERER_VERSION",
    "RGB",
    "CardError",
    "Style",
    "alt_text",
    "colour",
    "contrast",
    "draw",
    "ensure",
    "image",
    "key",
    "prepare",
    "settings",
    "size",
    "style",
]
