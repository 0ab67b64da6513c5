"""Drawing a quote card with Pillow (imported here only: a card is drawn only when not cached)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from clarion.campaign.cards import RGB, CardError, Style
from clarion.campaign.model import QuoteItem

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from PIL.ImageFont import FreeTypeFont

FONTS = Path(__file__).resolve().parents[1] / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"

#: Margin on every side, as a share of the card's shorter side: no glyph ever touches it.
MARGIN = 0.06
#: Largest and smallest size of the quote's letters, as shares of the shorter side.
MAX_TEXT, MIN_TEXT = 0.074, 0.026


class Font:
    """One font file's bytes, opened at any size (Pillow imported here, on first use)."""

    def __init__(self, file: Path) -> None:
        self.data = file.read_bytes()
        self.file = file
        self.sizes: dict[int, FreeTypeFont] = {}

    def at(self, px: int) -> FreeTypeFont:
        from PIL import ImageFont

        if px in self.sizes:
            return self.sizes[px]
        try:
            self.sizes[px] = ImageFont.truetype(io.BytesIO(self.data), px)
            return self.sizes[px]
        except OSError as exc:
            raise CardError(
                f"Clarion could not use the font `{self.file}`: {exc}.", "font"
            ) from None


def _ink(font: FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """Ink box of ``text`` drawn with its baseline at y=0 and its start at x=0."""
    if not text:
        return (0, 0, 0, 0)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return (int(left), int(top), int(right), int(bottom))


def _width(font: FreeTypeFont, text: str) -> int:
    left, _, right, _ = _ink(font, text)
    return right - min(left, 0)


def _wrap(font: FreeTypeFont, text: str, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``: greedy by words; a word too long is cut."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}" if line else word
            if _width(font, trial) <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and _width(font, word) > width:
                cut = 1
                while cut < len(word) - 1 and _width(font, word[: cut + 1]) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class Block(NamedTuple):
    """Lines set in one font: baselines from 0, and the ink's top and bottom around them."""

    font: FreeTypeFont
    lines: list[str]
    step: int
    top: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


def _block(font: FreeTypeFont, lines: list[str], step: int) -> Block:
    boxes = [(_ink(font, line), n * step) for n, line in enumerate(lines) if line]
    top = min((b[1] + y for b, y in boxes), default=0)
    bottom = max((b[3] + y for b, y in boxes), default=0)
    return Block(font, lines, step, top, bottom)


def fit_quote(font: Font, text: str, width: int, height: int, hi: int, lo: int) -> Block:
    """The quote set in the largest size from ``hi`` down to ``lo`` that fits the box."""

    def setting(px: int) -> Block:
        f = font.at(px)
        return _block(f, _wrap(f, text, width), round(px * 1.3))

    smallest = setting(lo)
    if smallest.height > height:
        fits = max(1, height // smallest.step)
        raise CardError(
            f"This quote is too long for its card: even with the smallest letters ({lo} px) it "
            f"takes {len(smallest.lines)} lines where {fits} fit. Shorten it, or make the card "
            "larger (`quotes: {card: {size: ...}}`).",
        )
    best = smallest
    low, high = lo + 1, hi  # the largest size that fits is in [low - 1, high]
    while low <= high:
        mid = (low + high) // 2
        block = setting(mid)
        if block.height <= height:
            best, low = block, mid + 1
        else:
            high = mid - 1
    return best


def _fit_line(font: Font, text: str, width: int, hi: int, lo: int, what: str) -> Block:
    for px in range(hi, lo - 1, -1):
        f = font.at(px)
        if _width(f, text) <= width:
            return _block(f, [text], px)
    raise CardError(f"The {what} `{text}` is too long to fit on the card; shorten it.", what)


def _draw_block(canvas: PILImage.Image, block: Block, x: int, top: int, fill: RGB) -> None:
    from PIL import ImageDraw

    pen = ImageDraw.Draw(canvas)
    for n, line in enumerate(block.lines):
        if line:
            left = _ink(block.font, line)[0]
            y = top - block.top + n * block.step
            pen.text((x - min(left, 0), y), line, fill=fill, font=block.font, anchor="ls")


def draw_png(item: QuoteItem, st: Style) -> bytes:
    """The card as PNG bytes: the same inputs always give the same bytes."""
    import PIL.Image

    w, h = st.width, st.height
    unit = min(w, h)
    m = round(unit * MARGIN)
    pad = 2  # anti-aliasing never reaches the margin
    x0, y0, x1, y1 = m + pad, m + pad, w - m - pad, h - m - pad
    gap = round(unit * 0.04)
    canvas = PIL.Image.new("RGB", (w, h), st.background)
    regular = Font(st.font or REGULAR)
    bold = Font(st.font or BOLD)
    logo_w = logo_h = 0
    logo = None
    if st.logo is not None:
        try:
            with PIL.Image.open(st.logo) as raw:
                raw.load()
                pic = raw.convert("RGBA")
        except Exception as exc:  # any decoder error becomes a plain-words problem
            raise CardError(f"Clarion could not read the logo: {exc}.", "logo") from None
        ink = pic.getchannel("A").getbbox()  # trim transparent borders: flush in the corner
        if ink is not None:
            pic = pic.crop(ink)
        scale = min(unit * 0.14 / pic.height, w * 0.3 / pic.width)
        logo_w, logo_h = max(1, round(pic.width * scale)), max(1, round(pic.height * scale))
        logo = pic.resize((logo_w, logo_h), PIL.Image.Resampling.LANCZOS)
        canvas.paste(logo, (x1 - logo_w, y1 - logo_h), logo)
    room = (x1 - x0) - (logo_w + gap if logo is not None else 0)
    lo = max(10, round(unit * MIN_TEXT))
    name = _fit_line(bold, item.name, room, round(unit * 0.044), lo, "name")
    role = (
        _fit_line(regular, item.role, room, round(unit * 0.034), lo, "role") if item.role else None
    )
    step = round(name.font.size * 1.35)  # from the name's baseline to the role's
    bottom = step + role.bottom if role is not None else name.bottom
    base = y1 - bottom  # the name's baseline: the footer's ink ends on the margin
    _draw_block(canvas, name, x0, base + name.top, st.text)
    if role is not None:
        _draw_block(canvas, role, x0, base + step + role.top, st.text)
    box_h = (y1 - max(bottom - name.top, logo_h) - gap) - y0
    quote = item.quote.strip()
    if not quote.startswith(("“", '"', "«", "„")):
        quote = f"“{quote}”"
    block = fit_quote(regular, quote, x1 - x0, box_h, round(unit * MAX_TEXT), lo)
    _draw_block(canvas, block, x0, y0 + (box_h - block.height) // 2, st.text)
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
