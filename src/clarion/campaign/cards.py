"""Quote cards, as the campaign describes them: settings, the content hash naming each card, its
alt text, and the checks of a drawn card against the platforms it goes to.

A card is cached by content hash next to its campaign, in ``.clarion/cards/<sha256>.png`` inside
the campaign's folder, the hash covering everything drawn (quote, name, role, colours, size, the
logo's and a declared font's bytes, :data:`RENDERER_VERSION`). Nothing here draws or writes:
drawing is :mod:`clarion.render.cards`, run before validation by the commands that need cards
(``validate``, ``preview``, ``schedule``); the planner is given each card's path.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from clarion.campaign import media
from clarion.campaign.items import item_platforms
from clarion.campaign.model import Card, Image, QuoteItem

if TYPE_CHECKING:
    from clarion.campaign.load import Loaded
    from clarion.campaign.yamlsafe import Path_
    from clarion.platforms.base import Platform

#: Bumped whenever the drawing changes (layout, shipped fonts): every card is drawn again.
RENDERER_VERSION = 1
#: Where cards are cached, relative to the campaign's folder.
CACHE = ".clarion/cards"
MIME = "image/png"

SIDES = (320, 4096)
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")
_LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

RGB = tuple[int, int, int]


class CardError(ValueError):
    """A card that cannot be drawn; ``field`` is the card setting to blame, or "quote"."""

    def __init__(self, message: str, field: str = "quote") -> None:
        super().__init__(message)
        self.field = field


class Style(NamedTuple):
    """A card's settings, checked and resolved to files."""

    width: int
    height: int
    background: RGB
    text: RGB
    logo: Path | None
    font: Path | None


class _AddFn(Protocol):
    def __call__(self, path: Path_, message: str, *, key: bool = False) -> None: ...


def colour(value: str) -> RGB | None:
    """``"#1d3557"`` or ``"#fff"`` as (r, g, b); None if it is not one."""
    v = value.strip()
    if not v.startswith("#") or len(v) not in (4, 7):
        return None
    digits = v[1:] if len(v) == 7 else "".join(c * 2 for c in v[1:])
    try:
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    except ValueError:
        return None


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""

    def lum(c: RGB) -> float:
        ch = [x / 255 for x in c]
        lin = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


_SIZE = re.compile(r"^\s*(\d{1,6})\s*[x×]\s*(\d{1,6})\s*$", re.ASCII | re.IGNORECASE)


def size(value: str) -> tuple[int, int] | None:
    """``"1080x1080"`` as (width, height); None if it is not one."""
    m = _SIZE.match(value)
    return (int(m.group(1)), int(m.group(2))) if m else None


def style(folder: Path, card: Card) -> Style:
    """The card's settings resolved, or the first :class:`CardError`."""
    st, errors = settings(folder, card)
    if errors:
        raise errors[0]
    assert st is not None
    return st


def settings(folder: Path, card: Card) -> tuple[Style | None, list[CardError]]:
    """The card's settings resolved to colours, pixels and files, or every problem with them."""
    errors: list[CardError] = []
    bg, fg, wh = colour(card.background), colour(card.text_colour), size(card.size)
    for value, got, field in (
        (card.background, bg, "background"),
        (card.text_colour, fg, "text_colour"),
    ):
        if got is None:
            errors.append(
                CardError(
                    f'`{value}` is not a colour Clarion reads. Write it as "#RRGGBB" in quotes, '
                    'e.g. "#1d3557" (YAML reads an unquoted # as the start of a comment).',
                    field,
                )
            )
    if bg is not None and fg is not None and contrast(bg, fg) < 4.5:
        errors.append(
            CardError(
                f"The text colour on this background has a contrast of {contrast(bg, fg):.1f}:1; "
                "people with low vision need at least 4.5:1. Make one of the two colours darker "
                "or lighter.",
                "text_colour",
            )
        )
    lo, hi = SIDES
    if wh is None:
        errors.append(
            CardError(
                f'`{card.size}` is not a size; write it as "WIDTHxHEIGHT", e.g. "1080x1080".',
                "size",
            )
        )
    elif not (lo <= wh[0] <= hi and lo <= wh[1] <= hi):
        errors.append(
            CardError(
                f"A card of {wh[0]}x{wh[1]} pixels is too {'small' if min(wh) < lo else 'large'}:"
                f" each side must be {lo} to {hi} pixels (1080x1080 suits every platform).",
                "size",
            )
        )
    elif max(wh) > 3 * min(wh):
        errors.append(
            CardError(f"A card of {wh[0]}x{wh[1]} is too narrow: keep it within 3:1.", "size")
        )
    logo = font = None
    if card.logo is not None:
        try:
            logo = _logo(folder, card.logo)
        except CardError as exc:
            errors.append(exc)
    if card.font is not None:
        try:
            font = _font(folder, card.font)
        except CardError as exc:
            errors.append(exc)
    if errors or bg is None or fg is None or wh is None:
        return None, errors
    return Style(wh[0], wh[1], bg, fg, logo, font), []


def _logo(folder: Path, written: str) -> Path:
    try:
        logo = media.resolve(folder, written)
        mime = media.inspect(logo).mime
    except media.MediaError as exc:
        raise CardError(str(exc).replace("The image", "The logo"), "logo") from None
    except OSError as exc:
        raise CardError(f"Clarion could not read `{written}`: {exc.strerror}.", "logo") from None
    if mime not in _LOGO_TYPES:
        raise CardError(
            f"The logo `{written}` is {media.describe(mime)}; use a PNG, JPEG, GIF or WebP image.",
            "logo",
        )
    size = logo.stat().st_size
    if size > _MAX_LOGO_BYTES:
        raise CardError(
            f"The logo `{written}` is {media.human_size(size)}; a logo may be at most "
            f"{media.human_size(_MAX_LOGO_BYTES)}. Use a smaller image.",
            "logo",
        )
    return logo


#: The largest logo read (it is drawn a few hundred pixels wide).
_MAX_LOGO_BYTES = 16 * 1024 * 1024
#: The largest font file read (the largest CJK fonts are some 20 MB).
_MAX_FONT_BYTES = 64 * 1024 * 1024


def _font(folder: Path, written: str) -> Path:
    if "\0" in written:  # no file name holds one; os.stat would raise ValueError
        raise CardError(
            "The font's file name contains a NUL character (\\0). Write it again.", "font"
        )
    font = Path(written).expanduser()
    font = font if font.is_absolute() else folder / font
    try:
        st = font.stat()
        if not stat.S_ISREG(st.st_mode):  # a pipe would never answer, a device never end
            raise CardError(
                f"`{written}` is not a file. Give the path of a .ttf or .otf file.", "font"
            )
        if st.st_size > _MAX_FONT_BYTES:
            raise CardError(
                f"`{written}` is {st.st_size:,} bytes, too large for a font (at most "
                f"{_MAX_FONT_BYTES:,}). Give the path of a .ttf or .otf file.",
                "font",
            )
        with font.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise CardError(
            f"Clarion could not read the font `{written}`: {exc.strerror}. Give the path of "
            "a .ttf or .otf file (absolute, or relative to the campaign file).",
            "font",
        ) from None
    if head not in _FONT_MAGIC:
        raise CardError(f"`{written}` is not a TrueType or OpenType font file.", "font")
    return font


_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _digest(file: Path) -> str:
    st = file.stat()
    at = (str(file), st.st_ino, st.st_mtime_ns, st.st_size)
    if at not in _DIGESTS:
        if len(_DIGESTS) > 256:  # a long-running process: forget old files
            _DIGESTS.clear()
        with file.open("rb") as fh:  # in pieces: never the whole file in memory at once
            _DIGESTS[at] = hashlib.file_digest(fh, "sha256").hexdigest()
    return _DIGESTS[at]


def alt_text(item: QuoteItem) -> str:
    """The card's alt text: the whole quote, with who said it."""
    who = f"{item.name}, {item.role}" if item.role else item.name
    return f"“{item.quote.strip()}” — {who}"


def key(item: QuoteItem, st: Style) -> str:
    """The content hash naming a card: everything that changes what is drawn."""
    basis = {
        "renderer": RENDERER_VERSION,
        "quote": item.quote,
        "name": item.name,
        "role": item.role,
        "size": [st.width, st.height],
        "background": list(st.background),
        "text": list(st.text),
        "logo": _digest(st.logo) if st.logo else None,
        "font": _digest(st.font) if st.font else "dejavu-sans",
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def image(loaded: Loaded, item: QuoteItem) -> Image:
    """The card of ``item`` as an image of its posts (path relative to the campaign's folder)."""
    quotes = loaded.campaign.quotes
    assert quotes is not None and quotes.card is not None
    st = style(loaded.source.folder, quotes.card)
    return Image.model_construct(path=f"{CACHE}/{key(item, st)}.png", alt=alt_text(item))


def check(
    loaded: Loaded, add: _AddFn, platform_for: Callable[[str, str], type[Platform]], drawn: bool
) -> None:
    """Validation: the card settings, each quote's card as an image of each platform it goes
    to, and `short` only with a card. ``drawn``: the cards were drawn (or tried) just before; a
    card still missing then was reported by the drawing step."""
    from clarion import platforms

    c = loaded.campaign
    quotes = c.quotes
    if quotes is None:
        return
    if quotes.card is None:
        for k, item in enumerate(quotes.items):
            if item.short is not None:
                add(
                    ("quotes", "items", k, "short"),
                    "`short` stands in for the quote beside a quote card, but these quotes have "
                    "no card. Add `card:` under `quotes:`, or remove `short`.",
                    key=True,
                )
        return
    _, errors = settings(loaded.source.folder, quotes.card)
    for exc in errors:
        add(("quotes", "card", exc.field), str(exc))
    if errors:
        return
    for k, item in enumerate(quotes.items):
        at: Path_ = ("quotes", "items", k)
        file = loaded.source.folder / image(loaded, item).path
        if not file.is_file():
            if not drawn:
                add(at, "This quote's card has not been drawn yet; run `clarion validate` on it.")
            continue
        try:
            info = media.inspect(media.resolve(loaded.source.folder, image(loaded, item).path))
        except (OSError, media.MediaError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            add(("quotes", "card"), f"Clarion could not read the quote card in {CACHE}: {why}.")
            continue
        alt = alt_text(item)
        for name in item_platforms(c, item):
            if name not in platforms.REGISTRY:
                continue  # reported by the platform checks
            p = platform_for(name, c.accounts.get(name, "default"))
            variant = item.variants.get(name)
            images = item.images if variant is None or variant.images is None else variant.images
            if len(images) + 1 > p.max_images:
                add(
                    (*at, "images"),
                    f"With its quote card this quote has {len(images) + 1} images, but "
                    f"{p.label} takes at most {p.max_images} per post. Remove some.",
                )
            if info.mime not in p.image_types or info.size > p.max_image_bytes:
                # prepared as every photo is (converted, saved smaller) unless that cannot be
                from clarion.campaign import photos

                why = photos.unfixable(info, p)
                if why is not None:
                    add(
                        ("quotes", "card", "size"),
                        f"The quote card `{file.name}` cannot be sent to {p.label}: {why}. Make "
                        f"the card smaller (`size:`), or leave {p.label} out of the quotes.",
                    )
            if len(alt) > p.max_alt_length:
                add(
                    (*at, "quote"),
                    f"The card's alt text (the whole quote, name and role) is {len(alt)} "
                    f"characters; {p.label} accepts at most {p.max_alt_length}. Shorten the quote.",
                )
