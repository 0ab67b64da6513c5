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
