"""What is checked again just before a delivery is sent: its images are still there, still
inside the campaign's folder (a file swapped for a link since scheduling is refused), still the
same file with the same bytes (the original's hash: what was approved), and can be prepared for
its platform (:mod:`clarion.platforms.images`: what the adapter then sends). Nothing is sent when
any of that fails."""

from __future__ import annotations

import hashlib
from pathlib import Path

from clarion.delivery import Delivery


def before_send(d: Delivery, folder: Path | None) -> str | None:
    """Why ``d`` cannot be sent as scheduled, or None. ``folder``: its campaign's folder
    (None when the campaign is no longer in the ledger)."""
    if not d.media:
        return None
    from clarion.campaign import media

    if folder is None:
        return "its campaign is no longer in the ledger"
    for image in d.media:
        try:
            real = media.resolve(folder, image.path)
        except media.MediaError as exc:
            if image.path.startswith(".clarion/cards/"):
                return (
                    f"the quote card `{image.path}` is no longer in the cache; run "
                    "`clarion schedule` on the campaign to draw it again (nothing was sent)"
                )
            return f"{exc} (checked again just before sending; nothing was sent)"
        if str(real) != image.file:
            return (
                f"`{image.path}` now points to another file than when the campaign "
                "was scheduled; run `clarion schedule` again to check it"
            )
        if image.sha256 and hashlib.sha256(real.read_bytes()).hexdigest() != image.sha256:
            return (
                f"`{image.path}` has changed since the campaign was scheduled (nothing was "
                "sent); run `clarion schedule` again to check it"
            )
    return _preparable(d)


def _preparable(d: Delivery) -> str | None:
    """Why one of ``d``'s images cannot be made fit for its platform, or None."""
    from clarion import platforms
    from clarion.platforms import images, limits

    try:
        platform = limits.for_account(d.platform, d.account)
    except platforms.UnknownPlatformError:
        return None
    for image in d.media:
        try:
            images.prepare(image.file, platform, image.sha256 or None)
        except images.ImageError as exc:
            return f"`{image.path}` cannot be sent to {platform.label}: {exc} (nothing was sent)"
        except OSError as exc:
            why = exc.strerror or exc
            return f"Clarion could not read `{image.path}`: {why} (nothing was sent)"
    return None
