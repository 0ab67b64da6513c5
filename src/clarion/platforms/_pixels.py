"""The pixel work of :mod:`clarion.platforms.images`, with Pillow (imported by the functions
that need it): reading an image, finding its metadata, fitting its size, encoding it."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

from clarion.platforms.base import Platform

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: JPEG qualities tried, best first, until the file fits the platform's byte limit.
QUALITIES = (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40)

#: Pillow's format names -> MIME types (MPO is the JPEG some phones write, with a second frame).
_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    "image/avif": "AVIF",
}
#: What Pillow reads into ``info`` that is not personal: kept, or not worth a new file.
_HARMLESS = frozenset(
    {
        "dpi",
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "adobe",
        "adobe_transform",
        "progressive",
        "progression",
        "icc_profile",
        "gamma",
        "transparency",
        "interlace",
        "srgb",
        "chromaticity",
        "aspect",
        "background",
        "duration",
        "loop",
        "version",
        "extension",
        "compression",
        "mp",
        "mpoffset",
        "mpinfo",
    }
)
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112


class ImageError(ValueError):
    """An image that cannot be made fit for a platform; the message says why, in plain words."""


def padded(width: int, height: int, platform: type[Platform]) -> tuple[int, int]:
    """The canvas an image of this size is centred on to have a shape the platform takes
    (``image_aspect``): wider for a photo too tall, taller for one too wide; else its own."""
    if not platform.image_aspect:
        return width, height
    low, high = platform.image_aspect
    if width < height * low:
        return math.ceil(height * low), height
    if width > height * high:
        return width, math.ceil(width / high)
    return width, height


def _fit(width: int, height: int, platform: type[Platform]) -> tuple[int, int]:
    """The largest size of the image's shape (on its canvas, :func:`padded`) within the
    platform's pixel limits."""
    width, height = padded(width, height, platform)
    scale = 1.0
    side = platform.max_image_side
    if side and max(width, height) > side:
        scale = min(scale, side / max(width, height))
    pixels = platform.max_image_pixels
    if pixels and width * height * scale * scale > pixels:
        scale = min(scale, (pixels / (width * height)) ** 0.5)
    if scale >= 1.0:
        return width, height
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    while (side and max(w, h) > side) or (pixels and w * h > pixels):
        w, h = max(1, w - 1), max(1, h - 1)
    return w, h


def _personal(im: PILImage.Image) -> tuple[bool, bool]:
    """(it carries metadata to remove, it carries a GPS location)."""
    exif = im.getexif()
    located = bool(exif.get_ifd(_GPS_IFD)) if _GPS_IFD in exif else False
    tags = {k for k in exif if k != _ORIENTATION}
    other = set(im.info) - _HARMLESS - {"exif"}
    text = bool(getattr(im, "text", None)) if im.format == "PNG" else False
    return bool(tags or other or text), located


def _open(data: bytes) -> PILImage.Image:
    from PIL import Image, UnidentifiedImageError

    try:
        import pillow_heif  # type: ignore[import-not-found]  # (only when installed)

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageError("it has far too many pixels to be a photo") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            raise ImageError(
                "Clarion cannot read HEIC photos on this computer, so it cannot remove their "
                "location or fit them to the platform; export it as JPEG (on an iPhone: "
                "Settings, Camera, Formats, Most Compatible)"
            ) from None
        raise ImageError("Clarion cannot read it as an image (the file may be damaged)") from None


def _encode(
    im: PILImage.Image,
    mime: str,
    orientation: int,
    target: tuple[int, int],
    platform: type[Platform],
    original_bytes: int,
) -> tuple[bytes, str, int | None, tuple[int, int]]:
    """(bytes, their type, the JPEG quality chosen or None when the original's was kept, size)."""
    from PIL import Image, ImageOps, JpegImagePlugin

    limit = platform.max_image_bytes
    icc = im.info.get("icc_profile")
    small_enough = original_bytes <= limit * 1.1
    keep: dict[str, Any] = {}
    if mime == "image/jpeg":
        keep = {
            "qtables": im.quantization,  # type: ignore[attr-defined]
            "subsampling": JpegImagePlugin.get_sampling(im),
        }
        w, h = target if orientation not in (5, 6, 7, 8) else (target[1], target[0])
        if w * 2 <= im.size[0] and h * 2 <= im.size[1]:
            # decode at a DCT scale no smaller than needed (much faster), then resize
            im.draft("RGB", (w, h))
    upright = ImageOps.exif_transpose(im)
    assert upright is not None
    canvas = padded(*upright.size, platform)
    if canvas != upright.size:  # centred on white, to a shape the platform takes
        back = Image.new("RGB", canvas, (255, 255, 255))
        left, top = (canvas[0] - upright.size[0]) // 2, (canvas[1] - upright.size[1]) // 2
        back.paste(_rgb(upright), (left, top))
        upright = back
    alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    png_ok = "image/png" in platform.image_types
    jpeg_ok = "image/jpeg" in platform.image_types
    if not (png_ok or jpeg_ok):
        raise ImageError(f"{platform.label} takes neither JPEG nor PNG")
    as_png = ((mime == "image/png" or alpha) and png_ok) or not jpeg_ok
    size = target
    while True:
        frame = upright if upright.size == size else upright.resize(size, Image.Resampling.LANCZOS)
        if as_png:
            payload = _png(frame, icc)
            if len(payload) <= limit:
                return payload, "image/png", None, size
            if not alpha and jpeg_ok:  # a photo saved as PNG: JPEG is what fits
                as_png = False
                continue
        else:
            rgb = _rgb(frame)
            # its own quality only when that may fit (it is about the original's size)
            if keep and frame is upright and upright.mode in ("RGB", "L") and small_enough:
                payload = _jpeg(rgb, icc, **keep)  # its own quality: next to no loss
                if len(payload) <= limit:
                    return payload, "image/jpeg", None, size
            for quality in QUALITIES:
                payload = _jpeg(rgb, icc, quality=quality, subsampling=2)
                if len(payload) <= limit:
                    return payload, "image/jpeg", quality, size
        if min(size) <= 64:
            raise ImageError(f"even very small it does not fit {human(limit)}")
        size = (max(1, int(size[0] * 0.8)), max(1, int(size[1] * 0.8)))


def _rgb(frame: PILImage.Image) -> PILImage.Image:
    """The frame as JPEG can hold it: transparent parts on white."""
    from PIL import Image

    if frame.mode in ("RGB", "L"):
        return frame
    if frame.mode in ("RGBA", "LA", "PA", "P"):
        rgba = frame.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return frame.convert("RGB")


def _jpeg(frame: PILImage.Image, icc: bytes | None, **options: Any) -> bytes:
    out = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    frame.save(out, "JPEG", optimize=True, **options, **extra)
    return out.getvalue()


def _png(frame: PILImage.Image, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if frame.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I", "I;16"):
        frame = frame.convert("RGBA")
    frame.save(out, "PNG", optimize=True, **extra)
    return out.getvalue()


def human(n: int) -> str:
    """A file size as people read it (1 KB = 1,024 bytes)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
