"""A Facebook Page's counts of its posts: one Graph request for up to 50 posts,
``GET /{version}/?ids=ID,ID,...&fields=...`` (Graph's "multiple ID read requests").

The fields, from Meta's Graph API reference for a Page post:

* ``reactions.summary(total_count).limit(0)``: every reaction (Like, Love, Care, Haha, Wow,
  Sad, Angry) as one ``summary.total_count``;
* ``comments.summary(total_count).limit(0)``: comments, ``summary.total_count``;
* ``shares``: ``{"count": N}``, left out by Graph while nobody has shared the post (so its
  absence is 0 shares: the reference says the field is absent, not null, when there are none);
* ``insights.metric(post_media_view,post_total_media_view_unique)``: the "views" metrics that
  replaced impressions (Page Insights deprecation of 15 November 2025, and Graph API v25.0's
  changelog: ``post_impressions_unique`` -> ``post_total_media_view_unique``), lifetime values.

When one of the ids no longer exists Graph refuses the whole request (code 803, "Some of the
aliases you requested do not exist: ID,ID"): those posts are gone, and the others are asked for
again in a second request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clarion.platforms.facebook import graph
from clarion.platforms.facebook.graph import NoAnswer
from clarion.platforms.metrics import CountsOutcome, CountsRead, PostCounts, Target
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.secrets import redact

VIEWS = {"post_media_view": "views", "post_total_media_view_unique": "viewers"}
FIELDS = ",".join(
    [
        "reactions.summary(total_count).limit(0)",
        "comments.summary(total_count).limit(0)",
        "shares",
        f"insights.metric({','.join(VIEWS)})",
    ]
)
#: Graph's code for "Some of the aliases you requested do not exist".
NO_SUCH_IDS = 803
_IDS = re.compile(r"do not exist:\s*(.+)$")


def read(base: str, token: str, timeout: float, posts: Sequence[Target]) -> CountsOutcome:
    """The counts of ``posts`` (at most 50) of the Page whose token this is."""
    asking = [p.post_id for p in posts]
    gone: list[str] = []
    calls = 0
    while asking:
        calls += 1
        answer = graph.call(
            "GET", f"{base}/", token, timeout, params={"ids": ",".join(asking), "fields": FIELDS}
        )
        if isinstance(answer, NoAnswer):
            return RetryLater(f"Facebook did not answer: {redact(answer.reason)}")
        err = graph.error_of(answer)
        if err is None:
            data = answer.data if isinstance(answer.data, dict) else {}
            found = [
                PostCounts(i, _counts(data[i])) for i in asking if isinstance(data.get(i), dict)
            ]
            gone += [i for i in asking if not isinstance(data.get(i), dict)]
            return CountsRead(tuple(found), tuple(gone), calls=calls)
        words = redact(err.describe())
        missing = _IDS.search(err.message) if err.code == NO_SUCH_IDS else None
        if missing and calls < 3:
            lost = {i.strip() for i in missing.group(1).split(",")}
            gone += [i for i in asking if i in lost]
            asking = [i for i in asking if i not in lost]
            continue
        if err.auth:
            return Failed(words, auth=True)
        if err.throttled:
            return graph.throttled(answer, words, "while reading counts")
        if err.uncertain:
            return RetryLater(words)
        return Failed(words)
    return CountsRead((), tuple(gone), calls=calls)


def _total(node: Any) -> int | None:
    summary = node.get("summary") if isinstance(node, dict) else None
    value = summary.get("total_count") if isinstance(summary, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _counts(post: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for field, name in (("reactions", "likes"), ("comments", "replies")):
        value = _total(post.get(field))
        if value is not None:
            out[name] = value
    shares = post.get("shares")
    if shares is None:
        out["reposts"] = 0
    elif isinstance(shares, dict) and isinstance(shares.get("count"), int):
        out["reposts"] = int(shares["count"])
    insights = post.get("insights")
    for metric in (insights.get("data") if isinstance(insights, dict) else None) or []:
        key = VIEWS.get(str(metric.get("name"))) if isinstance(metric, dict) else None
        values = metric.get("values") if key else None
        if key and isinstance(values, list) and values and isinstance(values[-1], dict):
            value = values[-1].get("value")
            if isinstance(value, int) and not isinstance(value, bool):
                out[key] = value
    return out
