"""Posting to a LinkedIn Page (an organisation) through LinkedIn's Posts API, over plain HTTP.

Credentials (:mod:`clarion.credentials`): ``CLARION_LINKEDIN_ACCESS_TOKEN`` (a member's token with
``w_organization_social``; the member an ADMINISTRATOR or CONTENT_ADMIN of the Page) and
``CLARION_LINKEDIN_ORGANIZATION_ID`` (the number in ``urn:li:organization:NUMBER``), optionally
``CLARION_LINKEDIN_API_BASE`` (default ``https://api.linkedin.com``; tests point it at a stub) and
``CLARION_LINKEDIN_TIMEOUT`` (seconds). The organisation and the API base, which the request
shows, are read when the adapter is made; the token only when sending or checking.

What is sent (``build`` says it exactly, as a list of requests; the preview and ``run-due
--dry-run`` print it), every call with the headers of :func:`.api.headers`:

* each image: ``POST /rest/images?action=initializeUpload`` with ``{"initializeUploadRequest":
  {"owner": "urn:li:organization:ID"}}``, answered ``{"value": {"uploadUrl", "image"}}``; then
  ``PUT`` of the prepared file's bytes to that ``uploadUrl`` (learn.microsoft.com/en-us/linkedin/
  marketing/community-management/shares/images-api). The ``<uploadUrl of image N>`` and ``<urn of
  image N>`` placeholders are replaced by what the answer says. An image uploaded but never used
  by a post is no post: a failure before the post is safe to retry.
* the post: ``POST /rest/posts`` with ``author``, ``commentary`` (little text, :mod:`.little`),
  ``visibility: PUBLIC``, ``distribution`` (``MAIN_FEED``), ``lifecycleState: PUBLISHED``,
  ``isReshareDisabledByAuthor: false`` and, with images, ``content.media`` ``{id, altText}`` (one)
  or ``content.multiImage.images`` (2 to 20). LinkedIn answers 201 with the post's URN in the
  ``x-restli-id`` header (learn.microsoft.com/en-us/linkedin/marketing/community-management/
  shares/posts-api). A link stays in the text: an ``article`` content needs its title and
  thumbnail set by the caller ("Article Post API does not support url scraping", learn.microsoft
  .com/en-us/linkedin/marketing/community-management/shares/article-post-api), which a campaign
  does not hold; LinkedIn links a URL written in the commentary itself.

LinkedIn has no threads: the planner joins a thread into one post, so a reply never reaches this
adapter; if one does, it is refused without sending anything.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request, parse_instant
from clarion.platforms.linkedin import api, little
from clarion.platforms.linkedin.api import LINKEDIN_VERSION, Answer, NoAnswer
from clarion.platforms.linkedin.rules import LinkedIn
from clarion.platforms.outcomes import (
    Absent,
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from clarion.secrets import redact

__all__ = ["LINKEDIN_VERSION", "LinkedInAdapter"]

#: Where the organisation's id goes in a dry run when it is not configured yet.
ORG_PLACEHOLDER = "{organization-id}"
POSTS_PATH = "/rest/posts"
IMAGES_PATH = "/rest/images?action=initializeUpload"
#: What reconcile reads per page of the organisation's posts, and how many pages at most.
POSTS_PER_PAGE = 50
MAX_POST_PAGES = 3
#: A post older than its due time by more than this cannot be the one sent for it.
CLOCK_MARGIN = dt.timedelta(minutes=10)


def upload_url(n: int) -> str:
    return f"<uploadUrl of image {n}>"


def image_urn(n: int) -> str:
    return f"<urn of image {n}>"


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def fill(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` (JSON) with every placeholder of ``ids`` replaced by what LinkedIn answered."""
    if isinstance(value, str):
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


class LinkedInAdapter(Adapter):
    """Publishes to one LinkedIn Page; see the module docstring."""

    platform: ClassVar[type[LinkedIn]] = LinkedIn
    request_settings = ("organization_id", "api_base")

    # --- credentials -------------------------------------------------------------------------

    @staticmethod
    def _base(found: Mapping[str, str]) -> str:
        return (found.get("api_base") or api.DEFAULT_API_BASE).rstrip("/")

    def _credentials(self) -> tuple[str, str, str] | str:
        """(organisation id, token, API base), or what is missing in plain words."""
        found = self.credentials()
        org, token = found.get("organization_id"), found.get("access_token")
        absent = self.missing(("organization_id", "access_token"), "LinkedIn Page credentials")
        if absent or not org or not token:
            return absent or "no LinkedIn Page credentials"
        if not org.isdigit():
            return (
                f"the LinkedIn organization_id {org!r} is not a number: set the number of the "
                "Page's urn:li:organization:NUMBER (its admin page's address shows it)"
            )
        return org, token, self._base(found)

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        org = self.settings.get("organization_id") or ORG_PLACEHOLDER
        author = f"urn:li:organization:{org}"
        json_headers = api.headers(content_type="application/json")
        steps: list[dict[str, Any]] = []
        media: list[dict[str, str]] = []
        for n, m in enumerate(d.media, 1):
            steps.append(
                {
                    "method": "POST",
                    "path": IMAGES_PATH,
                    "headers": json_headers,
                    "json": {"initializeUploadRequest": {"owner": author}},
                    "returns": {"uploadUrl": upload_url(n), "image": image_urn(n)},
                }
            )
            kind = mimetypes.guess_type(m.file)[0] or "application/octet-stream"
            steps.append(
                {
                    "method": "PUT",
                    "url": upload_url(n),
                    "headers": api.headers(content_type=kind),
                    "file": m.file,
                }
            )
            media.append({"id": image_urn(n), **({"altText": m.alt} if m.alt else {})})
        body: dict[str, Any] = {
            "author": author,
            "commentary": little.commentary(d.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(media) == 1:
            body["content"] = {"media": media[0]}
        elif media:
            body["content"] = {"multiImage": {"images": media}}
        steps.append({"method": "POST", "path": POSTS_PATH, "headers": json_headers, "json": body})
        payload: dict[str, Any] = {"api_base": self._base(self.settings), "requests": steps}
        if d.thread_index or d.reply_to or reply_to_id:
            payload["refused"] = (
                "LinkedIn has no threads: a reply cannot be posted (the planner should have "
                "joined this thread into one post); nothing was sent"
            )
        return payload

    def publish(self, request: Request) -> Outcome:
        payload = request.payload
        if payload.get("refused"):
            return Failed(str(payload["refused"]))
        creds = self._credentials()
        if isinstance(creds, str):
            return Failed(creds, auth=True)
        _, token, _ = creds
        steps: list[dict[str, Any]] = payload["requests"]
        if ORG_PLACEHOLDER in str(steps[-1]["json"].get("author")):
            return Failed("the request was built without an organization id; nothing was sent")
        ids: dict[str, str] = {}
        for step in steps:
            posting = step.get("path") == POSTS_PATH
            try:
                answer = self._send(payload["api_base"], step, ids, token)
            except OSError as exc:
                return Failed(f"could not read the image: {redact(str(exc))}; nothing was sent")
            outcome = api.outcome_of(answer, posting)
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            if posting:
                urn = answer.headers.get("x-restli-id")
                if not urn:
                    return Unknown(
                        "LinkedIn accepted the post without saying its id (no x-restli-id "
                        f"header): HTTP {answer.status}"
                    )
                return Published(urn, post_url(urn))
            returns = step.get("returns")
            if returns:
                data = answer.data if isinstance(answer.data, dict) else {}
                found = data.get("value")
                value: dict[str, Any] = found if isinstance(found, dict) else {}
                if not value.get("uploadUrl") or not value.get("image"):
                    return RetryLater(
                        "LinkedIn initialised an image upload without an uploadUrl and image "
                        "urn; nothing was posted"
                    )
                ids[returns["uploadUrl"]] = str(value["uploadUrl"])
                ids[returns["image"]] = str(value["image"])
        return Failed("the request holds nothing to send")  # pragma: no cover - build never

    def _send(
        self, base: str, step: dict[str, Any], ids: Mapping[str, str], token: str
    ) -> Answer | NoAnswer:
        if step["method"] == "PUT":
            return api.call(
                "PUT",
                fill(step["url"], ids),
                token,
                self.timeout_s,
                body=Path(step["file"]).read_bytes(),
                content_type=step["headers"].get("Content-Type"),
            )
        return api.call(
            step["method"],
            base + step["path"],
            token,
            self.timeout_s,
            body=api.encode(fill(step["json"], ids)),
            content_type="application/json",
        )

    # --- after an unknown outcome ------------------------------------------------------------

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Look for the post among the organisation's newest posts, by its commentary.

        The Posts API has no idempotency key, so the only trace of a post is its text:
        ``GET /rest/posts?author=urn:li:organization:ID&q=author&count=50&sortBy=CREATED``
        ("Find Posts by Authors", posts-api page above), at most 3 pages, newest first. A post
        whose commentary shows the same text (:func:`.little.same_post`) is ours. *Absent* only
        when the listing proves it: every post was seen (a short page), or the listing reaches
        back past the due time (less :data:`CLOCK_MARGIN`); an older post with the same text is
        another post. Anything else is *Unknown*: a person checks rather than risk a copy."""
        creds = self._credentials()
        if isinstance(creds, str):
            return Unknown(creds)
        org, token, base = creds
        steps: list[dict[str, Any]] = request.payload.get("requests") or []
        text = steps[-1]["json"].get("commentary") if steps else None
        if not text:
            return Unknown("the post has no text to look it up by; check the Page by hand")
        due = parse_instant(request.due)
        earliest = due - CLOCK_MARGIN if due else None
        author = f"urn:li:organization:{org}"
        seen = 0
        for page in range(MAX_POST_PAGES):
            params = {
                "author": author,
                "q": "author",
                "count": str(POSTS_PER_PAGE),
                "start": str(page * POSTS_PER_PAGE),
                "sortBy": "CREATED",
            }
            answer = api.call("GET", base + POSTS_PATH, token, self.timeout_s, params=params)
            if isinstance(answer, NoAnswer):
                return Unknown(f"could not read the Page's posts: {redact(answer.reason)}")
            err = api.error_of(answer)
            if err is not None:
                words = redact(err.describe())
                if err.status == 429:
                    return api.throttled(answer, words, "while reading the Page's posts")
                if err.retired:
                    return Unknown(f"{api.RETIRED} ({words})")
                return Unknown(f"could not read the Page's posts: {words}")
            data = answer.data if isinstance(answer.data, dict) else {}
            posts = [p for p in data.get("elements") or [] if isinstance(p, dict)]
            seen += len(posts)
            times: list[dt.datetime] = []
            for post in posts:
                created = _instant(post.get("createdAt"))
                if created is not None:
                    times.append(created)
                if earliest and created and created < earliest:
                    continue
                commentary = post.get("commentary")
                if isinstance(commentary, str) and little.same_post(commentary, text):
                    urn = str(post.get("id"))
                    return Published(urn, post_url(urn))
            if earliest and times and min(times) < earliest:
                return Absent(f"not among the Page's posts since {earliest.isoformat()}")
            if len(posts) < POSTS_PER_PAGE:
                return Absent(f"not among the Page's {seen} posts")
        return Unknown(
            f"not among the Page's newest {seen} posts, and the Page has more; check it by hand"
        )

    # --- the account -------------------------------------------------------------------------

    def check(self) -> AccountStatus:
        """``GET /rest/organizations/{id}`` for the Page's name (needs ``rw_organization_admin``;
        a 403 there only means the name cannot be read: the token itself was accepted).
        LinkedIn tells an API caller neither a token's expiry (only the app's own
        ``introspectToken``, with its client secret, does) nor the quota left (only the
        Developer Portal's Analytics tab): both are said to be not reported."""
        name, acct = self.platform.name, self.account
        creds = self._credentials()
        if isinstance(creds, str):
            return AccountStatus(name, acct, False, problem=creds)
        org, token, base = creds
        details = {
            "organization": f"urn:li:organization:{org}",
            "api_version": LINKEDIN_VERSION,
            "token": "LinkedIn does not report a token's expiry to the API; a token lasts 60 "
            "days from when it was made",
            "quota": "LinkedIn does not report the remaining daily quota to the API (the app's "
            "Analytics tab in the Developer Portal shows it)",
        }
        answer = api.call(
            "GET", f"{base}/rest/organizations/{org}", token, self.timeout_s, params=None
        )
        if isinstance(answer, NoAnswer):
            problem = redact(f"could not ask LinkedIn: {answer.reason}")
            return AccountStatus(name, acct, False, problem=problem, details=details)
        err = api.error_of(answer)
        if err is not None and err.status != 403:
            words = redact(err.describe())
            if err.retired:
                problem = f"{api.RETIRED} ({words})"
            elif err.status == 401:
                problem = f"LinkedIn refused the access token: {words}"
            else:
                problem = words
            return AccountStatus(name, acct, False, problem=problem, details=details)
        if err is not None:
            details["name"] = redact(f"could not read the Page's name: {err.describe()}")
            posts_as = f"urn:li:organization:{org}"
        else:
            data = answer.data if isinstance(answer.data, dict) else {}
            posts_as = str(data.get("localizedName") or data.get("vanityName") or org)
        return AccountStatus(name, acct, True, posts_as=posts_as, details=details)


def _instant(ms: Any) -> dt.datetime | None:
    if not isinstance(ms, int) or isinstance(ms, bool):
        return None
    try:
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
