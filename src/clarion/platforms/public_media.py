"""Images at a public address, for platforms that fetch them from a URL instead of taking an
upload (Instagram's and Threads' content publishing: "we will cURL your image").

A team publishes the images Clarion prepared (``clarion media export FOLDER`` writes them, each
named by the SHA-256 of its bytes) to a folder of its own web site, and gives that folder's
address as the account's ``media_base_url`` setting (``CLARION_<PLATFORM>_MEDIA_BASE_URL``). The
address of an image is then the base and its name: :func:`address`. Because the name is the hash
of the bytes, an image changed after the preview has a new address, and the old one cannot stand
in for it.

Before the first send of an image, :func:`verify` fetches its address and compares the SHA-256
of what the site serves with the bytes Clarion previewed; a mismatch, an error page or no answer
is a :class:`Mismatch` in plain words saying what to do. Addresses that matched are remembered
for the run (:class:`Verified`), so a week's 40 posts fetch each image once.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clarion.delivery import Delivery
    from clarion.platforms.base import Platform

__all__ = [
    "Exported",
    "Mismatch",
    "Verified",
    "address",
    "base_problem",
    "export",
    "extension",
    "verify",
]

#: How much of an answer is read at most (a platform takes images of 8 MB; more is not an image).
MAX_BYTES = 16 * 1024 * 1024
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The address does not serve the previewed bytes (the message says what to do)."""

    url: str
    reason: str


def extension(mime: str) -> str:
    return _EXTENSIONS.get(mime, ".bin")


def base_problem(base: str) -> str | None:
    """What is wrong with a ``media_base_url`` (None: usable). Platforms fetch over HTTPS from
    the internet; ``http://127.0.0.1`` is allowed for tests on this machine."""
    parts = urllib.parse.urlsplit(base)
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not local:
        return f"the media address {base!r} must start with https:// (platforms fetch from it)"
    if not parts.hostname:
        return f"the media address {base!r} names no web site"
    if parts.query or parts.fragment:
        return f"the media address {base!r} must be a folder's address, without ? or #"
    return None


def address(base: str, sha256: str, mime: str) -> str:
    """The public address of the prepared image with these bytes."""
    return f"{base.rstrip('/')}/{sha256}{extension(mime)}"


class Verified:
    """Addresses already found to serve the right bytes (thread-safe; one per adapter)."""

    def __init__(self) -> None:
        self._ok: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def check(self, url: str, sha256: str, timeout: float = 30.0) -> Mismatch | None:
        with self._lock:
            if (url, sha256) in self._ok:
                return None
        found = verify(url, sha256, timeout)
        if found is None:
            with self._lock:
                self._ok.add((url, sha256))
        return found


def verify(url: str, sha256: str, timeout: float = 30.0) -> Mismatch | None:
    """Fetch ``url``; None when it serves exactly the bytes whose SHA-256 is ``sha256``."""
    fix = (
        "Run `clarion media export FOLDER` and copy the folder's files to the web site again, "
        "then try once more"
    )
    if not url.startswith(("https://", "http://")):
        return Mismatch(url, f"{url} is not a web address. {fix}.")
    request = urllib.request.Request(url, headers={"User-Agent": "Clarion media check"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - checked
            data = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return Mismatch(
            url, f"{url} answered {exc.code} {exc.reason}: the image is not there. {fix}."
        )
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Mismatch(url, f"{url} could not be fetched ({reason}). {fix}.")
    if len(data) > MAX_BYTES:
        return Mismatch(
            url, f"{url} serves more than {MAX_BYTES // 2**20} MB: not this image. {fix}."
        )
    served = hashlib.sha256(data).hexdigest()
    if served != sha256:
        return Mismatch(
            url,
            f"{url} serves other bytes than the image Clarion previewed (SHA-256 {served[:12]}… "
            f"instead of {sha256[:12]}…). {fix}.",
        )
    return None


@dataclass
class Exported:
    """What :func:`export` wrote: file names (new ones and ones already there), and images that
    could not be prepared (with why)."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Platform label -> how many images it fetches from the folder.
    per_platform: dict[str, int] = field(default_factory=dict)


def export(
    deliveries: Sequence[Delivery],
    folder: Path,
    platform_for: Callable[[str, str], type[Platform]],
) -> Exported:
    """Write every image the platforms that fetch by address will fetch (each prepared for its
    platform, named by the SHA-256 of its bytes) into ``folder``, for the team to copy to the
    address they give as ``media_base_url``."""
    from clarion.platforms import images

    out = Exported()
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for d in deliveries:
        p = platform_for(d.platform, d.account)
        if not p.media_by_url:
            continue
        for m in d.content.media:
            try:
                made = images.prepare(m.file, p, m.sha256 or None)
            except (OSError, images.ImageError) as exc:
                out.problems.append(f"{m.path} for {p.label}: {exc}")
                continue
            name = f"{made.sha256}{extension(made.mime)}"
            out.per_platform[p.label] = out.per_platform.get(p.label, 0) + 1
            if name in seen:
                continue
            seen.add(name)
            target = folder / name
            if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == made.sha256:
                out.kept.append(name)
                continue
            shutil.copyfile(made.file, target)
            out.written.append(name)
    return out
