"""What an adapter says happened. Every send ends in exactly one of these, never a bare boolean.

The engine maps them to ledger states:

* :class:`Published`  -> ``published`` (with the platform's id and URL)
* :class:`RetryLater` -> ``retry`` (not before the platform's reset time, with backoff)
* :class:`Failed`     -> ``failed`` (the platform's own words); ``auth=True`` also pauses
  the account
* :class:`Unknown`    -> ``unconfirmed`` (the platform may or may not have the post: never
  re-sent blindly)
* :class:`Absent`     -> (from ``reconcile`` only) confirmed not there: safe to send again
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Published:
    post_id: str
    url: str | None = None
    #: True when the platform said "duplicate" after an unknown outcome: probably ours already.
    probable: bool = False


@dataclass(frozen=True, slots=True)
class RetryLater:
    reason: str
    #: The earliest instant to try again, when the platform said (e.g. a rate-limit reset).
    not_before: dt.datetime | None = None
    #: True when nothing could have reached the platform (e.g. connection refused).
    before_send: bool = True


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    #: The credentials were refused or revoked: pause the account's other deliveries.
    auth: bool = False
    #: The platform refused the content as a duplicate of an earlier post.
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Unknown:
    reason: str


@dataclass(frozen=True, slots=True)
class Absent:
    """Reconcile's answer when the platform confirms it has no such post."""

    reason: str = "the platform has no such post"


Outcome = Published | RetryLater | Failed | Unknown
ReconcileOutcome = Published | Absent | Unknown | RetryLater
