"""Files given as a campaign that are something else: a photo, a PDF, a README, an empty file."""

from __future__ import annotations

import re
from typing import Any

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or an office document (Word, Excel, LibreOffice)"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel document"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)


def sniff(data: bytes) -> str | None:
    """What a file that is plainly not a campaign is ("This is a JPEG image, …"), or None."""
    head = data[:16]
    kind = next((k for magic, k in _MAGIC if head.startswith(magic)), None)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = "a WebP image"
    if kind is None and head[4:8] == b"ftyp":
        kind = "a HEIC photo or a video" if head[8:12] in (b"heic", b"heix", b"mif1") else "a video"
    if kind is None and head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return (
            "This file is saved as UTF-16 text. Save it as UTF-8 in your editor (the usual "
            "choice) and try again."
        )
    if kind is None and b"\x00" in data[:4096]:
        kind = "a binary file"
    if kind is None:
        return None
    extra = ""
    if "office" in kind or "Excel" in kind:
        extra = " If it is a spreadsheet of posts, `clarion import` turns it into a campaign file."
    return (
        f"This is {kind}, not a campaign file. Campaign files are YAML text (a .yaml file): "
        f"start from `clarion init`.{extra}"
    )


_MD = re.compile(r"^(#{1,6} \S|```|\s*[*+] \S)|\[[^\]\n]+\]\([^)\n]+\)|\*\*\w", re.MULTILINE)


def _content(row: str) -> bool:
    s = row.strip()
    return bool(s) and not s.startswith("#")


def looks_like_markdown(text: str, name: str = "") -> bool:
    if name.lower().endswith((".md", ".markdown")):
        return True
    head = text[:20_000]
    if _CAMPAIGN.search(head):  # a campaign with a mistake, whose texts may use **bold**
        return False
    return len(_MD.findall(head)) >= 2


_CAMPAIGN = re.compile(r"^(version|name|timezone|dates|posts|quotes|platforms):", re.MULTILINE)


def not_a_campaign(raw: Any, text: str, name: str = "") -> str | None:
    """Why a document that read as YAML is no campaign (empty, Markdown, a list, something else's
    settings), or None when it looks like a campaign."""
    if raw is None and not any(_content(r) for r in text.splitlines()):
        return (
            "This file is empty (or has only comments). Write the campaign's fields in it: "
            "`clarion init` writes a starter campaign to begin from."
        )
    if not isinstance(raw, dict):
        if looks_like_markdown(text, name):
            return markdown(name)
        if isinstance(raw, list):
            return (
                "This file is a list (its first line starts with `- `), but a campaign file is a "
                "block of fields (`version:`, `name:`, `timezone:`, `posts:` …) with the list of "
                "posts under `posts:`. See `clarion init` for a starter."
            )
        return (
            "This file is plain text, not a campaign: a campaign file is a block of fields "
            "(`version:`, `name:`, `timezone:`, `posts:` …). See `clarion init` for a starter."
        )
    if not {"version", "name", "dates", "posts", "timezone", "quotes"} & {str(k) for k in raw}:
        what = "it does not look like a Clarion campaign"
        keys = {str(k) for k in raw}
        if "services" in keys:
            what = "it looks like a docker-compose file, not a Clarion campaign"
        elif "jobs" in keys or "True" in keys:  # YAML 1.1 reads `on:` as true
            what = "it looks like a CI workflow (GitHub Actions), not a Clarion campaign"
        return (
            f"This YAML file has no `version:`, `name:` or `dates:`; {what}. "
            "Check the file name, or start a campaign with `clarion init`."
        )
    return None


def markdown(name: str) -> str:
    called = f" ({name.rsplit('/', 1)[-1]})" if name else ""
    return (
        f"This looks like a Markdown document{called}, not a campaign file. Campaign files are "
        "YAML: start from `clarion init`."
    )
