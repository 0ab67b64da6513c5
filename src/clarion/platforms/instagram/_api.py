"""What an Instagram API answer means for a delivery, over the Graph HTTP calls of
:mod:`clarion.platforms.facebook.graph` (the Instagram API is Graph: the same error shape, the same
``Authorization: Bearer`` token, the same versioned paths).

Error codes, from Meta's table
(https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes):

* code 9 / subcode 2207042, "You reached maximum number of posts that is allowed to be published
  by Content Publishing API": the 24-hour publishing limit. Nothing was posted; sent again later;
* codes 4, 17, 32 and 613: Graph's throttling
  (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): refused, nothing done,
  not before the usage headers' ``estimated_time_to_regain_access`` when they say;
* code 4 / subcode 2207051, "We restrict certain activity to protect our community": Instagram
  took the post for spam. Sending it again will not help: failed, in Instagram's words;
* code 190 (token expired or revoked), 102, 10 and 200-299 (permissions): the account is paused;
* codes -1, -2 ("Instagram server error. Try again.", "It takes too long to download the media"),
  1, 2 and HTTP 5xx: nothing sure. Before ``media_publish`` only a container was made (no post:
  sent again); on ``media_publish`` itself the post may exist (unknown, then reconcile);
* code 9007 / subcode 2207027, the container is not ready to publish yet: sent again;
* anything else (an image Instagram cannot fetch or use, a caption it refuses): failed, in
  Instagram's own words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from clarion.platforms import transport
from clarion.platforms.facebook import graph
from clarion.platforms.facebook.graph import Answer, GraphError, NoAnswer
from clarion.platforms.outcomes import Failed, Outcome, RetryLater, Unknown
from clarion.secrets import redact

#: The Instagram API with Instagram Login: no Facebook Page needed (``api_base`` may name
#: ``https://graph.facebook.com`` for the Instagram API with Facebook Login; the paths are the
#: same): https://developers.facebook.com/docs/instagram-platform/overview
DEFAULT_API_BASE = "https://graph.instagram.com"
VERSION = graph.GRAPH_VERSION

LIMIT_CODE, LIMIT_SUBCODE = 9, 2207042
SPAM_SUBCODE = 2207051
NOT_READY_SUBCODE = 2207027
THROTTLE_CODES = frozenset({4, 17, 32, 613, LIMIT_CODE})
TRY_AGAIN_CODES = frozenset({-2, -1, 1, 2})


def describe(err: GraphError) -> str:
    """Instagram's own words, with what identifies the error."""
    return dataclasses.replace(err, label="Instagram").describe()


def limit_reached(err: GraphError) -> bool:
    return err.code == LIMIT_CODE or err.subcode == LIMIT_SUBCODE


def throttled(answer: Answer, err: GraphError, what: str = "") -> RetryLater:
    """Refused for a limit: nothing was done; not before the usage headers say, if they do."""
    when = graph.regain_access_at(answer.headers)
    words = redact(describe(err))
    if limit_reached(err):
        detail = (
            "the account's limit of posts published through the API in 24 hours is reached; "
            f"{words}"
        )
        return transport.rate_limited("Instagram", when, what=what, detail=detail)
    detail = f"Instagram is throttling requests: {words}"
    return transport.rate_limited("Instagram", when, what=what, detail=detail)


def outcome_of(answer: Answer | NoAnswer, posting: bool, what: str = "") -> Outcome | None:
    """What an answer means; None when it succeeded. ``posting``: this request is
    ``media_publish`` (before it, only containers were made: no post exists)."""
    if isinstance(answer, NoAnswer):
        why = redact(answer.reason)
        if not answer.sent:
            return transport.unreachable("Instagram", why)
        if posting:
            return Unknown(f"no answer from Instagram after asking it to publish: {why}")
        return RetryLater(
            f"no answer from Instagram {what or 'while preparing'}: {why}; nothing was posted"
        )
    err = graph.error_of(answer)
    if err is None:
        return None
    words = redact(describe(err))
    if err.subcode == SPAM_SUBCODE:
        return Failed(words)
    if limit_reached(err) or err.code in THROTTLE_CODES or (err.code is None and err.status == 429):
        return throttled(answer, err)
    if err.auth:
        return Failed(words, auth=True)
    if err.subcode == NOT_READY_SUBCODE:
        return RetryLater(f"Instagram had not finished the media yet: {words}")
    if err.code in TRY_AGAIN_CODES or err.status >= 500:
        if posting:
            return Unknown(f"the post may or may not have been published: {words}")
        return RetryLater(f"{words}; nothing was posted")
    return Failed(words)


def data_of(answer: Answer) -> dict[str, Any]:
    return answer.data if isinstance(answer.data, dict) else {}


def instant(value: Any) -> dt.datetime | None:
    """Instagram's ``timestamp`` ("2026-07-06T09:00:03+0000") as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
