"""A server's own limits, as ``clarion accounts check`` last read them.

Most platforms have one set of limits for everybody, declared on their :class:`Platform` class.
A Mastodon server sets its own (``/api/v2/instance``: ``configuration.statuses.max_characters``
and so on): a server may allow 1,000 characters, or 4 images of 8 MB. When an account's check has
read them, they are kept here, one small JSON file per platform and account, and validation,
the preview and the planner count against them instead of the stock defaults; until then the
stock limits apply (a stricter reading is safe: a post that fits them fits everywhere).

The files live in the user's cache folder (``$XDG_CACHE_HOME/clarion/limits`` on Linux), hold no
secrets, and can be deleted at any time.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from clarion import folders, platforms
from clarion.platforms.base import Platform

#: The limits a server may set (the arguments of the platform class's ``with_limits``).
KNOWN = (
    "max_length",
    "max_images",
    "max_image_bytes",
    "max_image_pixels",
    "image_types",
    "max_alt_length",
    "url_length",
    # a publishing quota the platform reports per account (Instagram's content_publishing_limit)
    "posts_quota",
    "posts_quota_window_s",
)


def folder() -> Path:
    return folders.cache() / "limits"


def _file(platform: str, account: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in account)
    return folder() / f"{platform}-{safe}.json"


def save(platform: str, account: str, server: str, limits: dict[str, Any]) -> None:
    """Remember ``server``'s limits for ``platform``/``account`` (unknown names are dropped)."""
    kept = {k: v for k, v in limits.items() if k in KNOWN and v is not None}
    path = _file(platform, account)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "server": server,
        "read": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "limits": kept,
    }
    tmp = path.with_suffix(".tmp")
    import json

    tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    for_account.cache_clear()


def save_quota(platform: str, account: str, server: str, most: object, window_s: object) -> None:
    """Remember the publishing quota a platform reported for an account (its posts in
    ``window_s`` seconds), so the week's plan is measured against it; nothing when it is not a
    positive whole number."""
    if isinstance(most, int) and not isinstance(most, bool) and most > 0:
        window = window_s if isinstance(window_s, int) and window_s > 0 else 86400
        save(platform, account, server, {"posts_quota": most, "posts_quota_window_s": window})


def read(platform: str, account: str) -> dict[str, Any] | None:
    """The saved record (``server``, ``read``, ``limits``), or None."""
    import json

    try:
        data = json.loads(_file(platform, account).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("limits"), dict) else None


@cache
def for_account(platform: str, account: str = "default") -> type[Platform]:
    """``platform``'s class with the limits its account's server last reported, if any: its
    own limits (``with_limits``), and a publishing quota it reported (``Platform.with_quota``)."""
    base = platforms.get(platform)
    record = read(platform, account)
    if record is None:
        return base
    limits = dict(record["limits"])
    quota, window = limits.pop("posts_quota", None), limits.pop("posts_quota_window_s", None)
    cls: type[Platform] = base
    try:
        with_limits = getattr(base, "with_limits", None)
        if with_limits is not None and limits:
            cls = with_limits(**limits)
        if isinstance(quota, int) and quota > 0:
            cls = cls.with_quota(quota, window if isinstance(window, int) and window > 0 else 86400)
    except (TypeError, ValueError):  # a file from another version: ignore it
        return base
    return cls
