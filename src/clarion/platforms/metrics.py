"""What a platform says of how its posts did: counts per post, read in batches.

Each platform declares, on its descriptor (:class:`clarion.platforms.base.Platform`), which
counts it gives (:attr:`~clarion.platforms.base.Platform.metrics`), how many posts one call
reads (``metrics_batch``) and how many calls may run at once (``metrics_parallel``). Its adapter
reads one batch (:meth:`clarion.platforms.adapter.Adapter.counts`) and answers with one of
:data:`CountsOutcome`: the counts read, a wait the platform asked for, or its refusal in its own
words. The report (:mod:`clarion.reporting`) stores each answer as a snapshot in the ledger.

A count's ``name`` is the key under which it is stored. The names of :data:`SHARED` mean the
same on every platform that gives them, so they may be added up across platforms; every other
count (X's impressions, Facebook's views) is the platform's own and is never added to another's.
This module imports only the standard library and :mod:`clarion.platforms.outcomes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from clarion.platforms.outcomes import Failed, RetryLater

#: The counts that mean the same everywhere they are given (a person liked, shared, answered or
#: quoted the post), and so may be added up across platforms.
LIKES = "likes"
REPOSTS = "reposts"
REPLIES = "replies"
QUOTES = "quotes"
SHARED: tuple[str, ...] = (LIKES, REPOSTS, REPLIES, QUOTES)


class Metric(NamedTuple):
    """One count a platform gives for a post."""

    #: Where it is stored (``likes``; a platform's own: ``impressions``, ``views``).
    name: str
    #: What a person calls it on this platform ("Favourites", "Reactions").
    label: str
    #: What it counts, in plain words, for the report's "what the numbers mean".
    meaning: str

    @property
    def shared(self) -> bool:
        """Whether it may be added to the same count of other platforms."""
        return self.name in SHARED


@dataclass(frozen=True, slots=True)
class Target:
    """A published post whose counts are wanted."""

    #: The platform's id of the post (X and Facebook ids, a Mastodon status id, a Bluesky at://
    #: URI), as the ledger keeps it.
    post_id: str
    url: str | None
    #: When it was published (aware UTC): X gives some counts only for recent posts.
    published_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PostCounts:
    post_id: str
    #: Metric name -> count; a count the platform did not give is left out (not 0).
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class CountsRead:
    """The platform's answer for one batch."""

    posts: tuple[PostCounts, ...]
    #: Ids of posts the platform says no longer exist (deleted, or removed by a moderator).
    gone: tuple[str, ...] = ()
    #: API calls made for the batch (the benchmark checks batching).
    calls: int = 1
    #: What a person should know about these counts, in plain words ("link clicks are given
    #: only for posts younger than 30 days").
    notes: tuple[str, ...] = ()


CountsOutcome = CountsRead | RetryLater | Failed


def counts_of(values: Mapping[str, object], wanted: Mapping[str, str]) -> dict[str, int]:
    """``wanted`` (platform's field name -> metric name) read from an answer's ``values``: only
    those given as whole numbers (a missing or odd field is left out, never taken as 0)."""
    out: dict[str, int] = {}
    for field, name in wanted.items():
        value = values.get(field)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out[name] = value
        elif isinstance(value, str) and value.isdigit():
            out[name] = int(value)
    return out
