"""The ``com.atproto.repo.createRecord`` request for one delivery, as ``build`` shows it.

What only the server can say is written as a ``<...>`` placeholder, filled in when sending (see
:mod:`clarion.platforms.bluesky.adapter`).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

from clarion.delivery import Delivery
from clarion.platforms.bluesky._facets import Facet, visible
from clarion.platforms.bluesky._images import mime_type, pixel_size, read_head
from clarion.platforms.bluesky._xrpc import POST, post_rkey

SENT_AT = "<time of sending>"
#: A mention's placeholder: the handle, resolved to a DID when sending.
DID_OF = re.compile(r"^<did of @(?P<handle>.+)>$")
_FEATURE = "app.bsky.richtext.facet#"


def payload(d: Delivery, reply_to_id: str | None, handle: str) -> dict[str, Any]:
    """The request's data (``repo``, ``collection``, ``rkey``, ``record``), plus ``uploads``:
    the images to upload first, and ``quote_of``: the post quoted, when there is one."""
    # a tagged link is shown short, its facet carrying the whole address (see ``visible``)
    text, detected = visible(d.text)
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": SENT_AT}
    if d.content.language:
        record["langs"] = [d.content.language]
    found = [facet(f) for f in detected]
    if found:
        record["facets"] = found
    if reply_to_id or d.thread_index or d.reply_to:
        parent = reply_to_id or f"<at:// URI of {d.reply_to}>"
        record["reply"] = {
            "root": {"uri": f"<root of {parent}>", "cid": f"<cid of the root of {parent}>"},
            "parent": {"uri": parent, "cid": f"<cid of {parent}>"},
        }
    uploads = [upload(m.file, m.alt) for m in d.media]
    images = {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": u["alt"],
                "image": f"<blob of {u['file']}>",
                **({"aspectRatio": u["aspectRatio"]} if u.get("aspectRatio") else {}),
            }
            for u in uploads
        ],
    }
    if d.content.quote_of:
        quoted = {
            "uri": f"<at:// URI of {d.content.quote_of}>",
            "cid": f"<cid of {d.content.quote_of}>",
        }
        if uploads:
            record["embed"] = {
                "$type": "app.bsky.embed.recordWithMedia",
                "record": {"$type": "app.bsky.embed.record", "record": quoted},
                "media": images,
            }
        else:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": quoted}
    elif uploads:
        record["embed"] = images
    data: dict[str, Any] = {
        "repo": f"<did of @{handle}>",
        "collection": POST,
        "rkey": post_rkey(d.idempotency_key),
        "record": record,
    }
    if uploads:
        data["uploads"] = uploads
    if d.content.quote_of:
        data["quote_of"] = d.content.quote_of
    return data


def facet(found: Facet) -> dict[str, Any]:
    """``app.bsky.richtext.facet`` for one link, tag or mention (its DID still a placeholder)."""
    feature: dict[str, Any]
    if found.kind == "link":
        feature = {"$type": _FEATURE + "link", "uri": found.value}
    elif found.kind == "tag":
        feature = {"$type": _FEATURE + "tag", "tag": found.value}
    else:
        feature = {"$type": _FEATURE + "mention", "did": f"<did of @{found.value}>"}
    return {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": found.byte_start, "byteEnd": found.byte_end},
        "features": [feature],
    }


def upload(file: str, alt: str) -> dict[str, Any]:
    """One image to upload: the file, its type and size, alt text, aspect ratio."""
    entry: dict[str, Any] = {"file": file, "alt": alt}
    try:
        head = read_head(file)
        entry["bytes"] = Path(file).stat().st_size
    except OSError:
        head = b""
    entry["mime"] = (
        mime_type(head[:32]) or mimetypes.guess_type(file)[0] or "application/octet-stream"
    )
    size = pixel_size(head)
    if size and size[0] > 0 and size[1] > 0:
        entry["aspectRatio"] = {"width": size[0], "height": size[1]}
    return entry
