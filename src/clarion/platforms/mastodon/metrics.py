"""A Mastodon account's counts of its statuses, as its own server knows them.

Where each piece comes from:

* ``GET /api/v1/statuses?id[]=..&id[]=..`` (docs.joinmastodon.org/methods/statuses/#index, "View
  multiple statuses", added in 4.3.0): the statuses asked for; "there can be fewer records than
  requested if the requested statuses do not exist". At most 20 ids a request: the controller's
  ``check_statuses_limit`` refuses more than ``Api::BaseController::DEFAULT_STATUSES_LIMIT``
  (20) with 422. Mastodon.py's ``Mastodon.statuses`` makes it (``@api_version("4.3.0")``).
* ``GET /api/v1/statuses/:id`` (methods/statuses/#get), on servers without the former (Mastodon
  before 4.3, snac, which answers it 404): one status a request, 404 "Record not found" when it is
  gone. Mastodon.py's ``Mastodon.status``.
* The Status entity (entities/Status): ``favourites_count``, ``reblogs_count``,
  ``replies_count``; ``quotes_count`` "How many accepted quotes this status has", added in 4.5.0
  (Mastodon.py's ``return_types.Status``), left out where a server does not give it. Mastodon
  counts no views.

A server that answers the many-statuses request with 404 (or another "no such request": 400, 405,
422, 501) is asked one status at a time from then on (the adapter keeps the answer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from clarion.platforms.mastodon import _answers
from clarion.platforms.metrics import (
    CountsOutcome,
    CountsRead,
    PostCounts,
    Target,
    counts_of,
)
from clarion.platforms.outcomes import Failed, RetryLater
from clarion.secrets import redact

FIELDS = {
    "favourites_count": "likes",
    "reblogs_count": "reposts",
    "replies_count": "replies",
    "quotes_count": "quotes",
}
#: Statuses one ``GET /api/v1/statuses`` reads (Mastodon's limit).
BATCH = 20
#: Answers to ``GET /api/v1/statuses?id[]=`` of a server that has no such request.
_NO_SUCH_REQUEST = frozenset({400, 404, 405, 422, 501})


def read(
    client: Callable[[str], Any], posts: Sequence[Target], batched: bool
) -> tuple[CountsOutcome, bool]:
    """The counts of ``posts``; and whether the server reads many statuses at once (asked
    again only when it did). ``client(version)`` makes a Mastodon.py client."""
    from mastodon.errors import MastodonAPIError, MastodonNotFoundError, MastodonVersionError

    ids = list(dict.fromkeys(p.post_id for p in posts))
    found: list[PostCounts] = []
    gone: list[str] = []
    calls = 0
    if batched and len(ids) > 1:
        c = client("4.3.0")
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            calls += 1
            try:
                answer = c.statuses(chunk)
            except MastodonVersionError:
                batched = False
            except MastodonAPIError as exc:
                if _answers.status_code(exc) not in _NO_SUCH_REQUEST or found:
                    return _refused(c, exc), batched
                batched = False
            except Exception as exc:
                return _refused(c, exc), batched
            else:
                read_now = _found(answer, chunk)
                known = {p.post_id for p in read_now}
                found += read_now
                gone += [i for i in chunk if i not in known]
                continue
            break
        if batched:
            return CountsRead(tuple(found), tuple(gone), calls=calls), True
    c = client("4.0.0")
    for post_id in ids:
        calls += 1
        try:
            status = c.status(post_id)
        except MastodonNotFoundError:
            gone.append(post_id)  # "Record not found": deleted, or removed by a moderator
            continue
        except Exception as exc:
            return _refused(c, exc), batched
        found += _found([status], [post_id])
    return CountsRead(tuple(found), tuple(gone), calls=calls), batched


def _found(answer: Any, ids: list[str]) -> list[PostCounts]:
    out = []
    for status in answer or []:
        if isinstance(status, dict) and str(status.get("id")) in ids:
            out.append(PostCounts(str(status["id"]), counts_of(status, FIELDS)))
    return out


def _refused(client: Any, exc: BaseException) -> CountsOutcome:
    from mastodon.errors import MastodonNetworkError, MastodonRatelimitError, MastodonServerError

    if isinstance(exc, MastodonRatelimitError):
        return _answers.rate_limited(client, "while reading counts")
    if isinstance(exc, MastodonNetworkError | MastodonServerError):
        return RetryLater(f"the Mastodon server did not answer: {redact(_answers.describe(exc))}")
    known = _answers.api_outcome(exc)
    if isinstance(known, Failed):
        return known
    return Failed(f"could not read the counts: {redact(_answers.describe(exc))}")
