"""Sign-off: what a manager approved, and how the plan stands against it.

A manager approves a plan (``clarion approve FILE --by NAME``): for every delivery the ledger
records the :func:`clarion.delivery.content_hash` of exactly what will be sent, with who and when,
and the fields that hash covers (so ``clarion diff`` can say what changed since). The plan as a
whole has a hash too (:func:`plan_hash`), shown on the sign-off page, so ``clarion approve --plan
HASH`` approves exactly the page the manager read.

This module is pure (standard library and :mod:`clarion.delivery` only): the ledger stores
:class:`Approval` values, the engine asks :func:`standing` before sending, the views show it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clarion.delivery import Delivery, content_hash

#: How many hex digits of a plan's hash people are shown (and must type at least).
SHORT = 12


@dataclass(frozen=True, slots=True)
class Approval:
    """One delivery's sign-off, as the ledger keeps it."""

    key: str
    #: The content hash of what was approved.
    content_hash: str
    #: Who approved it (``--by``), and when (aware, UTC).
    by: str
    at_utc: dt.datetime
    #: The plan hash of the whole sign-off this approval was part of.
    plan_hash: str
    note: str | None = None
    #: :func:`clarion.delivery.sent_fields` of what was approved (for ``clarion diff``).
    fields: Mapping[str, Any] = field(default_factory=dict)


class Standing(StrEnum):
    """How one delivery of the current plan stands against its last sign-off."""

    #: What will be sent is exactly what was approved.
    APPROVED = "approved"
    #: It was approved, then changed: it waits for a new sign-off.
    CHANGED = "changed"
    #: It was never approved (a post added after the sign-off, or no sign-off yet).
    NEW = "new"


def plan_hash(deliveries: Iterable[Delivery]) -> str:
    """SHA-256 over every delivery's key and content hash, in key order: the same plan gives the
    same hash on every machine, and any change to what will be sent changes it."""
    lines = sorted(f"{d.key}\t{content_hash(d)}" for d in deliveries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def short(digest: str) -> str:
    """A plan hash as people are shown it."""
    return digest[:SHORT]


def matches(typed: str, digest: str) -> bool:
    """Whether a hash a person typed (at least :data:`SHORT` hex digits) names ``digest``."""
    typed = typed.strip().lower()
    return len(typed) >= SHORT and digest.startswith(typed)


def standing(d: Delivery, approval: Approval | None) -> Standing:
    if approval is None:
        return Standing.NEW
    return Standing.APPROVED if approval.content_hash == content_hash(d) else Standing.CHANGED


def standings(
    deliveries: Iterable[Delivery], approvals: Mapping[str, Approval]
) -> dict[str, Standing]:
    """Each delivery's :class:`Standing`, by key."""
    return {d.key: standing(d, approvals.get(d.key)) for d in deliveries}


@dataclass(frozen=True, slots=True)
class SignOff:
    """A campaign's last sign-off and how the current plan stands against it: what the sign-off
    block of the page, ``clarion status`` and ``clarion diff`` show."""

    campaign: str
    #: The last approval (``None``: never signed off).
    by: str | None
    at_utc: dt.datetime | None
    note: str | None
    #: The hash of the plan that was approved, and of the plan now.
    approved_plan: str | None
    current_plan: str
    #: Standing of every delivery of the current plan, by key.
    cards: Mapping[str, Standing]
    #: Whether the campaign says ``approval: required`` (only approved content is sent).
    required: bool = False

    @property
    def changed(self) -> list[str]:
        """Keys of the deliveries not covered by the last sign-off (changed or new)."""
        return [k for k, s in self.cards.items() if s is not Standing.APPROVED]

    @property
    def complete(self) -> bool:
        """The whole current plan is exactly what was approved."""
        return self.approved_plan is not None and not self.changed


# --- what changed since the sign-off (``clarion diff``) -------------------------------------------


def approved_fields(d: Delivery) -> dict[str, Any]:
    """What an approval keeps of a delivery, for ``clarion diff``: :func:`sent_fields`, and the
    images by path too (the hash covers their bytes and alt text; people know them by path)."""
    from clarion.delivery import sent_fields

    return {
        **sent_fields(d),
        "image_paths": [[m.path, m.sha256, m.alt] for m in d.content.media],
    }


@dataclass(frozen=True, slots=True)
class WordChange:
    """One run of a word diff: ``kind`` is "same", "removed" or "added"."""

    kind: str
    text: str


def word_diff(old: str, new: str) -> list[WordChange]:
    """The words of ``old`` and ``new`` (whitespace kept with each word), as runs kept, removed
    and added (difflib over words)."""
    import difflib
    import re

    a = re.findall(r"\S+\s*|\s+", old)
    b = re.findall(r"\S+\s*|\s+", new)
    out: list[WordChange] = []
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in a], [w.strip() for w in b])
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(WordChange("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(WordChange("removed", "".join(a[i1:i2]).rstrip()))
        if j2 > j1:
            out.append(WordChange("added", "".join(b[j1:j2]).rstrip()))
    return out


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a delivery that changed since its approval, in words."""

    field: str
    #: What people read: "time: from Mon 2 June 10:00 (+01:00) to Mon 2 June 11:30 (+01:00)".
    words: str
    #: For the text: the word diff.
    text: tuple[WordChange, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryDiff:
    key: str
    #: "changed", "new" (never approved) or "removed" (approved, no longer in the plan).
    what: str
    changes: tuple[FieldChange, ...] = ()
    approval: Approval | None = None


def _when(value: int, zone: str) -> str:
    from zoneinfo import ZoneInfo

    at = dt.datetime.fromtimestamp(value / 1000, dt.UTC).astimezone(ZoneInfo(zone))
    offset = at.strftime("%z")
    return f"{at:%a} {at.day} {at:%B %Y} {at:%H:%M} ({offset[:3]}:{offset[3:]})"


def _images(fields: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    paths = fields.get("image_paths")
    if isinstance(paths, list):
        return {str(p[0]): (str(p[1]), str(p[2])) for p in paths}
    raw = fields.get("images") or []
    return {f"image {i + 1}": (str(m[0]), str(m[1])) for i, m in enumerate(raw)}


def _image_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    a, b = _images(old), _images(new)
    out: list[str] = []
    for path in b.keys() - a.keys():
        out.append(f"image added: {path} (alt text: {b[path][1]!r})")
    for path in a.keys() - b.keys():
        out.append(f"image removed: {path}")
    for path in sorted(a.keys() & b.keys()):
        if a[path][0] != b[path][0]:
            out.append(f"image changed: {path} (the picture itself is different)")
        if a[path][1] != b[path][1]:
            out.append(f"alt text of {path}: from {a[path][1]!r} to {b[path][1]!r}")
    return sorted(out)


def field_changes(old: Mapping[str, Any], d: Delivery) -> list[FieldChange]:
    """What differs between an approval's fields and the delivery as planned now."""
    new = approved_fields(d)
    out: list[FieldChange] = []
    if old.get("text") != new["text"]:
        diff = word_diff(str(old.get("text") or ""), str(new["text"]))
        out.append(FieldChange("text", "text changed", tuple(diff)))
    if old.get("time") != new["time"]:
        was = old.get("time")
        before = _when(int(was), d.zone) if isinstance(was, int) else "an unknown time"
        out.append(FieldChange("time", f"time: from {before} to {_when(new['time'], d.zone)}"))
    if old.get("images") != new["images"]:
        said = _image_changes(old, new) or ["images changed"]
        out.extend(FieldChange("images", words) for words in said)
    if old.get("account") != new["account"]:
        out.append(
            FieldChange("account", f"account: from {old.get('account')!r} to {new['account']!r}")
        )
    for name, label in (
        ("link", "link"),
        ("quote_of", "quoted post"),
        ("language", "language"),
        ("visibility", "visibility"),
        ("thread", "thread position"),
    ):
        if old.get(name) != new[name]:
            out.append(FieldChange(name, f"{label}: from {old.get(name)!r} to {new[name]!r}"))
    return out


def diff(
    deliveries: Iterable[Delivery], approvals: Mapping[str, Approval], last_plan: str | None
) -> list[DeliveryDiff]:
    """Delivery by delivery, what changed since the last sign-off (``last_plan``: its plan
    hash; the approvals of that sign-off no longer planned are "removed")."""
    out: list[DeliveryDiff] = []
    planned: set[str] = set()
    for d in deliveries:
        planned.add(d.key)
        a = approvals.get(d.key)
        if a is None:
            out.append(DeliveryDiff(d.key, "new"))
        elif a.content_hash != content_hash(d):
            changes = field_changes(a.fields, d)
            out.append(DeliveryDiff(d.key, "changed", tuple(changes), a))
    for key, a in sorted(approvals.items()):
        if key not in planned and a.plan_hash == last_plan:
            out.append(DeliveryDiff(key, "removed", (), a))
    return out
