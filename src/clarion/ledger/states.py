"""Delivery states and the transitions between them.

pending -> claimed -> sending -> published
              |          |-> retry (not_before) -> claimed ...
              |          |-> failed (permanent, with the platform's words)
              |          '-> unconfirmed (the platform may have it: never re-sent blindly)
              '-> pending (lease expired before anything was sent)
pending/retry -> missed (later than the grace window)
any unsent    -> cancelled | paused
failed | missed | cancelled | retry -> pending (a person's `retry`; a cancelled one put back
              in the campaign file)

Every move in the ledger is checked against :data:`ALLOWED`, whoever asks for it.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRY = "retry"
    UNCONFIRMED = "unconfirmed"
    MISSED = "missed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


#: Waiting for their time (or their retry time).
WAITING = (State.PENDING, State.RETRY)
#: Held by a run right now.
IN_FLIGHT = (State.CLAIMED, State.SENDING)
#: Shown to people as needing attention.
ATTENTION = (State.FAILED, State.UNCONFIRMED, State.MISSED)

ALLOWED: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.CLAIMED, State.MISSED, State.CANCELLED, State.PAUSED}),
    State.RETRY: frozenset(
        {State.CLAIMED, State.MISSED, State.FAILED, State.CANCELLED, State.PAUSED, State.PENDING}
    ),
    State.CLAIMED: frozenset(
        {State.SENDING, State.PENDING, State.RETRY, State.FAILED, State.MISSED, State.PAUSED}
    ),
    State.SENDING: frozenset({State.PUBLISHED, State.RETRY, State.FAILED, State.UNCONFIRMED}),
    State.UNCONFIRMED: frozenset({State.PUBLISHED, State.RETRY, State.FAILED, State.CANCELLED}),
    State.PAUSED: frozenset({State.PENDING, State.CANCELLED, State.MISSED}),
    # back to waiting (paused, in a paused campaign): a person's retry, or the campaign file
    State.FAILED: frozenset({State.PENDING, State.PAUSED}),
    State.MISSED: frozenset({State.PENDING, State.PAUSED}),
    State.CANCELLED: frozenset({State.PENDING, State.PAUSED}),
    State.PUBLISHED: frozenset(),
}


class TransitionError(ValueError):
    """A change the delivery's state does not allow (said in plain words)."""


class CancelledBy:
    """Why a delivery is cancelled (``deliveries.cancelled_by``): it decides who may undo it."""

    #: Removed from the campaign file: put back in the file, ``schedule`` makes it pending again.
    FILE = "file"
    #: ``clarion cancel KEY``: only ``clarion retry KEY`` sends it again.
    PERSON = "person"
    #: ``clarion cancel CAMPAIGN``: ``clarion retry CAMPAIGN`` (or ``retry KEY``) undoes it.
    CAMPAIGN = "campaign"
