"""Photos fixed for each platform: the one step from an image file to the bytes a platform gets.

:func:`prepare` takes the original file (what the campaign names, what was signed off) and a
platform's descriptor (its :attr:`~Platform.max_image_bytes`, :attr:`~Platform.max_image_pixels`,
:attr:`~Platform.max_image_side` and :attr:`~Platform.image_types`) and gives a
:class:`Prepared`: the file to send, its SHA-256, size, pixel size and type, and what was done to
it in words. Validation says what will be done, the preview shows the prepared file's size and
hash, and every adapter sends it (:meth:`clarion.platforms.adapter.Adapter.build` applies it),
so what people see is what is sent.

What is done, with Pillow:

* the camera's orientation (EXIF) is applied, so the photo is sent upright;
* every photo's personal metadata is removed: GPS location, camera and owner details, dates,
  comments, XMP and IPTC (photos often show service users). Only the colour profile is kept;
* a photo over the platform's pixel limits is scaled down to fit;
* a photo over its byte limit is saved again as JPEG at a lower quality (90, 85, ... 40) until
  it fits, and scaled down further if even that is not enough;
* a type the platform refuses (WebP, BMP, TIFF, or HEIC where Pillow can read it) becomes JPEG,
  or PNG when it has transparent parts; a PNG with transparency stays PNG.

An image that already fits, upright, with no metadata, is sent untouched (the original file). A
JPEG that only loses its metadata is saved with its own quantisation tables (Pillow's "keep"), so
it loses next to nothing. The output is deterministic: the same file and limits give the same
bytes. Prepared files are kept in Clarion's cache folder (``$XDG_CACHE_HOME/clarion/images``),
named by the original's hash, the platform and its limits; they can be deleted at any time.

Pillow is imported only when an image has to be looked at: a cache hit needs none.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clarion import folders
from clarion.platforms._pixels import (
    _MIME,
    _NAMES,
    _ORIENTATION,
    ImageError,
    _encode,
    _fit,
    _open,
    _personal,
    human,
    padded,
)
from clarion.platforms.base import Platform

__all__ = [
    "ImageError",
    "Look",
    "Prepared",
    "folder",
    "human",
    "limits_key",
    "look",
    "name_of",
    "prepare",
    "reshaped",
]

#: Bump when what :func:`prepare` makes changes: files prepared by another version are not used.
VERSION = 1


@dataclass(frozen=True, slots=True)
class Prepared:
    """The image a platform is sent, and what was done to the original to make it."""

    #: The file to send (the original itself when nothing had to be done).
    file: str
    sha256: str
    bytes: int
    width: int
    height: int
    mime: str
    #: What was done, in words ("resized from 4,032 × 3,024 to 2,000 × 1,500"); empty: nothing.
    done: tuple[str, ...]
    original_bytes: int
    original_width: int
    original_height: int
    #: Scaled down, converted to another type, or saved again at a lower quality: what a person
    #: would notice (removing metadata alone is not).
    changed: bool = False
    #: The original carried a GPS location (removed).
    had_location: bool = False

    @property
    def untouched(self) -> bool:
        return not self.done

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "width": self.width,
            "height": self.height,
            "mime": self.mime,
            "done": list(self.done),
        }


def limits_key(platform: type[Platform]) -> str:
    """The limits a prepared file depends on, as text (part of its cache name)."""
    return json.dumps(
        [
            VERSION,
            platform.name,
            platform.max_image_bytes,
            platform.max_image_pixels,
            platform.max_image_side,
            sorted(platform.image_types),
            *([list(platform.image_aspect)] if platform.image_aspect else []),
        ],
        separators=(",", ":"),
    )


def folder() -> Path:
    return folders.cache() / "images"


def sha256_of(file: str | Path) -> str:
    return hashlib.sha256(Path(file).read_bytes()).hexdigest()


def prepare(file: str | Path, platform: type[Platform], sha256: str | None = None) -> Prepared:
    """The image ``platform`` is sent for the original ``file`` (see the module's words).
    ``sha256``: the original's hash when known. :class:`ImageError` when it cannot be made fit;
    :class:`OSError` when the file cannot be read."""
    original = Path(file)
    data = original.read_bytes()
    digest = sha256 or hashlib.sha256(data).hexdigest()
    key = hashlib.sha256(f"{digest}:{limits_key(platform)}".encode()).hexdigest()[:32]
    found = _cached(key, original)
    if found is not None:
        return found
    made, payload = _make(original, data, digest, platform)
    if payload is not None:
        made = _store(key, original, made, payload)
    _remember(key, made)
    return made


# --- the cache -------------------------------------------------------------------------------


def _meta(key: str) -> Path:
    return folder() / key / "prepared.json"


def _cached(key: str, original: Path) -> Prepared | None:
    try:
        data = json.loads(_meta(key).read_text(encoding="utf-8"))
        fields = {**data, "done": tuple(data["done"])}
        found = Prepared(**fields)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if found.untouched:
        return Prepared(**{**fields, "file": str(original)})
    try:
        if sha256_of(found.file) != found.sha256:
            return None
    except OSError:
        return None
    return found


def _store(key: str, original: Path, made: Prepared, payload: bytes) -> Prepared:
    """Write the prepared bytes into the cache (atomically): ``<key>/<original's name>.<ext>``,
    so platforms that show a file name show the one people gave it."""
    ext = ".png" if made.mime == "image/png" else ".jpg"
    target = folder() / key / (original.stem[:80] + ext)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(target)
    return Prepared(**{**asdict(made), "file": str(target)})


def _remember(key: str, made: Prepared) -> None:
    meta = _meta(key)
    try:
        meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = meta.with_name(f".prepared.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(made), sort_keys=True), encoding="utf-8")
        tmp.replace(meta)
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- the work --------------------------------------------------------------------------------


def _make(
    original: Path, data: bytes, digest: str, platform: type[Platform]
) -> tuple[Prepared, bytes | None]:
    """The prepared image, and its bytes when they are not the original's."""
    plain = _plain_png(data)
    if plain is not None and not reshaped(plain, platform):
        w, h = plain.width, plain.height
        kept = Prepared(str(original), digest, len(data), w, h, plain.mime, (), len(data), w, h)
        return kept, None
    im = _open(data)
    mime = _MIME.get(im.format or "", f"image/{(im.format or 'unknown').lower()}")
    width, height = im.size
    orientation = im.getexif().get(_ORIENTATION, 1)
    upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    target = _fit(*upright, platform)
    personal, located = _personal(im)
    animated = getattr(im, "is_animated", False) and mime != "image/jpeg"
    fits = (
        mime in platform.image_types
        and len(data) <= platform.max_image_bytes
        and target == upright
        and orientation == 1
    )
    base: dict[str, Any] = {
        "original_bytes": len(data),
        "original_width": upright[0],
        "original_height": upright[1],
        "had_location": located,
    }
    if fits and (not personal or animated):
        kept = Prepared(str(original), digest, len(data), width, height, mime, (), **base)
        return kept, None
    if animated:
        raise ImageError(
            f"it is an animated {_NAMES.get(mime, mime)}, which Clarion does not resize or "
            "convert; make it smaller yourself, or use a still image"
        )
    try:
        encoded = _encode(im, mime, orientation, target, platform, len(data))
        payload, out_mime, quality, size = encoded
    except (OSError, ValueError, SyntaxError):  # the pixels themselves (the bytes are read)
        raise ImageError(
            "the file is damaged or cut short (Clarion cannot read all of it); save or export "
            "it again"
        ) from None
    done: list[str] = []
    if orientation != 1:
        done.append("turned upright (as the camera recorded)")
    canvas = padded(*upright, platform)
    if canvas != upright:
        done.append(
            f"centred on a white {canvas[0]:,} × {canvas[1]:,} background ({platform.label} "
            "takes no narrower or wider shape)"
        )
    if size != canvas:
        done.append(f"resized from {canvas[0]:,} × {canvas[1]:,} to {size[0]:,} × {size[1]:,}")
    if out_mime != mime:
        done.append(f"converted from {_NAMES.get(mime, mime)} to {_NAMES.get(out_mime, out_mime)}")
    if quality is not None:
        done.append(f"saved as JPEG at quality {quality}")
    if personal or located:
        done.append(
            "its location (GPS) and camera details removed" if located else "its metadata removed"
        )
    made = Prepared(
        str(original),
        hashlib.sha256(payload).hexdigest(),
        len(payload),
        size[0],
        size[1],
        out_mime,
        tuple(done),
        **base,
        changed=size != upright or out_mime != mime or quality is not None,
    )
    return made, payload


@dataclass(frozen=True, slots=True)
class Look:
    """What an image file is, read from its header (no pixels decoded)."""

    mime: str
    #: Its size as shown, upright (the camera's orientation applied).
    width: int
    height: int
    orientation: int
    #: It carries metadata :func:`prepare` removes; ``located``: a GPS location among it.
    personal: bool
    located: bool
    bytes: int


#: PNG chunks that carry metadata (text, EXIF, a time) or animation: Pillow must look at those.
_PNG_MORE = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"acTL"})


def _plain_png(data: bytes) -> Look | None:
    """A PNG with nothing to remove, from its chunks alone (no Pillow); None otherwise."""
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"):
        return None
    width, height = struct.unpack(">II", data[16:24])
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind in _PNG_MORE:
            return None
        if kind == b"IEND":
            return Look("image/png", width, height, 1, False, False, len(data))
        pos += 12 + length
    return None


def look(file: str | Path) -> Look:
    """What ``file`` is; :class:`ImageError` when Pillow cannot read it. A plain PNG (a quote
    card, a graphic) is read without Pillow."""
    data = Path(file).read_bytes()
    plain = _plain_png(data)
    if plain is not None:
        return plain
    im = _open(data)
    with im:
        mime = _MIME.get(im.format or "", f"image/{(im.format or 'unknown').lower()}")
        width, height = im.size
        orientation = im.getexif().get(_ORIENTATION, 1)
        personal, located = _personal(im)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return Look(mime, width, height, orientation, personal, located, len(data))


def reshaped(seen: Look, platform: type[Platform]) -> bool:
    """Whether :func:`prepare` will change more than metadata and orientation for ``platform``:
    scale the image down, convert it, or save it at a lower quality."""
    return (
        seen.mime not in platform.image_types
        or seen.bytes > platform.max_image_bytes
        or _fit(seen.width, seen.height, platform) != (seen.width, seen.height)
    )


def name_of(mime: str) -> str:
    return _NAMES.get(mime, mime)
