"""The page's images: each scaled for a card (Pillow) and embedded once per page.

A card shows an image as ``<img alt="…" data-img="i-…">`` without ``src``; the style sheet holds
each distinct image once, as ``img[data-img="i-…"]{content:url(data:…)}`` (Chromium and Safari
draw that without JavaScript), and the page's script copies the same ``data:`` URI into each
``src`` (every browser with JavaScript). So a photo used on four platforms' cards is in the file
once, and every card keeps a real ``<img>`` with its alt text.

Scaling: EXIF orientation applied, longest side at most :data:`LONGEST` pixels (twice a card's
width), re-encoded as JPEG (quality :data:`QUALITY`) or, for images with transparency and
graphics that stay small, PNG; no metadata is kept (no GPS location in an emailed page).
Pillow is imported only when a page has images.
"""

from __future__ import annotations

import base64
import hashlib
import io
from functools import cache
from pathlib import Path
from typing import NamedTuple

#: Longest side of an image on the page, in pixels (cards are about 500 px wide).
LONGEST = 1000
#: JPEG quality of the page's copies, stepped down (then the size) until a copy fits BUDGET.
QUALITY = 80
STEPS = (80, 70, 60, 50)
#: Bytes one image may take on the page: seven photos and the page stay under 2 MB as base64.
BUDGET = 120_000


class Picture(NamedTuple):
    """One image as the page embeds it."""

    id: str  # "i-" and 12 hex digits of the original's SHA-256
    uri: str  # data: URI of the scaled copy
    width: int  # of the original, after its EXIF orientation
    height: int
    size: int  # bytes of the original file


@cache
def picture(file: str) -> Picture | None:
    """``file`` scaled for the page (read once per process); None when it cannot be read."""
    try:
        data = Path(file).read_bytes()
    except OSError:
        return None
    digest = "i-" + hashlib.sha256(data).hexdigest()[:12]
    scaled = _scaled(data)
    if scaled is None:
        return None
    mime, body, width, height = scaled
    uri = f"data:{mime};base64,{base64.b64encode(body).decode('ascii')}"
    return Picture(digest, uri, width, height, len(data))


def _scaled(data: bytes) -> tuple[str, bytes, int, int] | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            width, height = image.size
            image.thumbnail((LONGEST, LONGEST), Image.Resampling.LANCZOS)
            alpha = image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info
            )
            graphic = opened.format in ("PNG", "GIF")
            if alpha:
                return "image/png", _png(image), width, height
            jpeg = _jpeg(image.convert("RGB"))
            if graphic:
                png = _png(image)
                if len(png) <= max(len(jpeg) * 6 // 5, 1) and len(png) <= BUDGET:
                    return "image/png", png, width, height  # crisp edges, small enough
            return "image/jpeg", jpeg, width, height
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _jpeg(rgb: object) -> bytes:
    """The smallest good-enough JPEG: quality stepped down, then the size, until it fits."""
    from PIL import Image

    assert isinstance(rgb, Image.Image)
    body = b""
    for side in (LONGEST, LONGEST * 4 // 5, LONGEST * 3 // 5):
        if max(rgb.size) > side:
            rgb = rgb.copy()
            rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
        for quality in STEPS:
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
            body = out.getvalue()
            if len(body) <= BUDGET:
                return body
    return body


def _png(image: object) -> bytes:
    from PIL import Image

    assert isinstance(image, Image.Image)
    out = io.BytesIO()
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def megabytes(size: int) -> str:
    """A file size as people read it: "5.1 MB", "240 KB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:,.1f} MB"
    return f"{max(1, round(size / 1000)):,} KB"


def original(p: Picture) -> str:
    """What the card says of the original: "Original: 4,032 × 3,024, 5.1 MB"."""
    return f"Original: {p.width:,} × {p.height:,}, {megabytes(p.size)}"


def css(pictures: list[Picture]) -> str:
    """The style sheet's rules that hold each image once."""
    return "\n".join(f'img[data-img="{p.id}"]{{content:url("{p.uri}")}}' for p in pictures)
