"""What the ledger says of each delivery, as the views show it beside the plan.

The preview's table, JSON, HTML page and calendar all show the plan (what the campaign file says
will go out) and, when the campaign is scheduled in the ledger being used, each delivery's state
there: published (with its link), cancelled, missed, failed, paused, unconfirmed. A campaign not
in the ledger has no states (``None``), which is not the same as "pending".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from clarion.delivery import Delivery


class Seen(NamedTuple):
    """One delivery's state in the ledger."""

    state: str
    #: Where it is on the platform, once published.
    url: str | None = None
    #: Why it is in that state (the last error, or the event's reason), when it says.
    reason: str | None = None


class Ledgered(NamedTuple):
    """The ledger's side of a preview: every state by delivery key, for the scheduled campaigns,
    and the deliveries it still holds that the file no longer has (cancelled on removal)."""

    states: Mapping[str, Seen]
    #: Slugs of the campaigns the ledger has.
    scheduled: frozenset[str]
    removed: tuple[Delivery, ...] = ()

    def of(self, d: Delivery) -> Seen | None:
        return self.states.get(d.key) if d.campaign in self.scheduled else None


#: The states a person must see (everything but the ordinary waiting ones).
NOTABLE = frozenset(
    {"published", "cancelled", "missed", "failed", "paused", "unconfirmed", "awaiting_signoff"}
)
#: Words for the badges.
WORDS = {
    "published": "Published",
    "cancelled": "Cancelled",
    "missed": "Missed",
    "failed": "Failed",
    "paused": "Paused",
    "unconfirmed": "Unconfirmed",
    # not a ledger state: a pending delivery of an `approval: required` campaign whose content
    # was never approved, or changed since (clarion.ledger.approvals)
    "awaiting_signoff": "Awaiting sign-off",
    "pending": "Scheduled",
    "retry": "Retrying",
    "claimed": "Sending",
    "sending": "Sending",
}


def summary(chosen: Iterable[Delivery], seen: Callable[[Delivery], Seen | None]) -> str:
    """ "3 published · 1 cancelled": the ledger's states of these deliveries, in words."""
    counts: dict[str, int] = {}
    for d in chosen:
        found = seen(d)
        if found is not None:
            counts[found.state] = counts.get(found.state, 0) + 1
    return " · ".join(f"{n:,} {WORDS.get(s, s).lower()}" for s, n in sorted(counts.items()))
