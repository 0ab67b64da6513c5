"""The Threads API over plain HTTP: one call, and what its answer (or its failure) means.

``requests`` is imported inside :func:`call` only: importing this module stays cheap.

The Threads API is served by Meta's Graph infrastructure (graph.threads.net, Overview page,
https://developers.facebook.com/documentation/threads/overview) and answers errors in Graph's
shape, ``{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"fbtrace_id"}}`` (Graph's error handling guide,
https://developers.facebook.com/docs/graph-api/guides/error-handling). The ``code`` decides:

* 190 (token expired, revoked or invalid), 102 (session), 10 and 200-299 (permissions), or an
  HTTP 401: the credentials are refused; the account is paused.
* 4 (app), 17 (user), 32 (Page), 613 (call rate), or an HTTP 429: throttling. Nothing was done;
  sent again later, not before a ``Retry-After`` / reset header's instant when there is one.
* 1 and 2 (unknown / temporary) and HTTP 5xx: nothing sure. Before ``threads_publish`` nothing is
  published (a container is no post), so the delivery is sent again; on ``threads_publish`` the
  post may exist (Threads has no idempotency key): Unknown.
* anything else (100 invalid parameter, THREADS_API__LINK_LIMIT_EXCEEDED, ...) is about this one
  post: it fails with Threads' own words.

The token goes in the ``Authorization: Bearer`` header, never in a URL or form field. The Threads
documentation's examples pass ``access_token`` as a parameter and do not mention the header;
Clarion sends the header as it does to Facebook's Graph API (the same servers), which keeps the
token out of logs, proxies and the previewed form bodies. If Meta ever refuses it, this is the one
place to change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from clarion.platforms import http, transport
from clarion.platforms.facebook import graph
from clarion.platforms.http import Answer as Answer  # (re-exported: one shape for all)
from clarion.platforms.http import NoAnswer as NoAnswer
from clarion.platforms.outcomes import Failed, RetryLater, Unknown
from clarion.secrets import redact

#: The Threads API version every path names (Posts page examples: ``/v1.0/``).
VERSION = "v1.0"
DEFAULT_BASE = "https://graph.threads.net"
LABEL = "Threads"

#: Threads answers errors in Graph's shape: read as the Graph API's are, named as Threads'.
ApiError = graph.GraphError


def error_of(answer: Answer) -> ApiError | None:
    """The error in ``answer``; None for a success (:func:`.graph.error_of`)."""
    return graph.error_of(answer, LABEL)


def call(
    method: str,
    url: str,
    token: str,
    timeout: float,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
) -> Answer | NoAnswer:
    """One request, the token in the ``Authorization`` header, a timeout on connecting and on
    every read. ``data`` is sent form-encoded, in its own order (what the preview shows)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    form = dict(data) if data is not None else None
    return http.request(method, url, headers, timeout, params=params, data=form)


def throttled(answer: Answer, words: str, what: str = "") -> RetryLater:
    when: dt.datetime | None = transport.reset_time(answer.headers)
    return transport.rate_limited(LABEL, when, what=what, detail=words)


def before_publish(answer: Answer | NoAnswer, what: str) -> RetryLater | Failed | None:
    """What a failed request before ``threads_publish`` means (``what``: "creating the post's
    container"); None when it succeeded. Nothing can have been published yet."""
    if isinstance(answer, NoAnswer):
        why = redact(answer.reason)
        if not answer.sent:
            return transport.unreachable(LABEL, why)
        return RetryLater(f"{what} got no answer, nothing was published: {why}", before_send=False)
    err = error_of(answer)
    if err is None:
        return None
    words = redact(err.describe())
    if err.auth:
        return Failed(words, auth=True)
    if err.throttled:
        return throttled(answer, words, f"while {what}")
    if err.uncertain:
        return RetryLater(f"{what} failed, nothing was published: {words}", before_send=False)
    return Failed(words)


def on_publish(answer: Answer | NoAnswer) -> RetryLater | Failed | Unknown | None:
    """What a failed ``threads_publish`` means; None when it succeeded."""
    if isinstance(answer, NoAnswer):
        why = redact(answer.reason)
        if not answer.sent:
            return transport.unreachable(LABEL, why)
        return Unknown(f"no answer from Threads after asking it to publish: {why}")
    err = error_of(answer)
    if err is None:
        return None
    words = redact(err.describe())
    if err.auth:
        return Failed(words, auth=True)
    if err.throttled:
        return throttled(answer, words, "when publishing")
    if err.uncertain:
        return Unknown(f"the post may or may not have been published: {words}")
    return Failed(words)
