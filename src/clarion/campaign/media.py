"""Image files named by a campaign: where they are, what they are, whether they stay inside."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NamedTuple

from clarion.platforms._pixels import human

#: Leading bytes -> MIME type: enough to tell formats platforms accept from ones they refuse.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)

NAMES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "image/svg+xml": "SVG",
}


class MediaFile(NamedTuple):
    file: Path
    size: int
    mime: str | None  # None: not an image format Clarion recognises


class MediaError(ValueError):
    """A media path that cannot be used; the message says why in plain words."""


def resolve(folder: Path, written: str) -> Path:
    """The file ``written`` names, which must stay inside ``folder`` (the campaign's folder)."""
    if "\0" in written:  # no file name holds one; os.path would raise ValueError
        shown = written.replace("\0", "\\0")
        raise MediaError(
            f"`{shown}` contains a NUL character (\\0), which no file name can. Write the "
            "image's file name again."
        )
    if PurePosixPath(written).is_absolute() or PureWindowsPath(written).is_absolute():
        raise MediaError(
            f"`{written}` is an absolute path. Put the image in the campaign's folder "
            "(or a folder inside it) and write the path relative to the campaign file."
        )
    if ".." in PurePosixPath(written.replace("\\", "/")).parts:
        raise MediaError(
            f"`{written}` points outside the campaign's folder (it uses `..`). Copy the image "
            "into the campaign's folder and write the path relative to the campaign file."
        )
    base = Path(os.path.realpath(folder))
    target = Path(os.path.realpath(base / written))
    if not target.is_relative_to(base):
        raise MediaError(
            f"`{written}` is a link to a file outside the campaign's folder. Copy the image "
            "itself into the campaign's folder."
        )
    if not target.exists():
        raise MediaError(
            f"The image `{written}` does not exist. Check the file name (it is relative to "
            "the campaign file's folder)."
        )
    if not target.is_file():
        raise MediaError(f"`{written}` is not a file.")
    return target


def inspect(file: Path) -> MediaFile:
    with file.open("rb") as fh:
        head = fh.read(32)
    return MediaFile(file, file.stat().st_size, sniff(head))


def sniff(head: bytes) -> str | None:
    """The MIME type of an image from its first bytes, or None."""
    for magic, offset, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"hevc", b"hevx"):
            return "image/heic"
        if brand in (b"mif1", b"msf1"):
            return "image/heif"
    if head.lstrip().startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return None


def describe(mime: str | None) -> str:
    return f"a {NAMES.get(mime, mime)} image" if mime else "not an image Clarion recognises"


#: A file size as people read it ("5.1 MB"): the one the photo preparation says sizes with.
human_size = human
