"""Publishing to an Instagram professional account through the Instagram API's content publishing
(https://developers.facebook.com/docs/instagram-platform/content-publishing/), plain HTTP.

Credentials (:mod:`clarion.credentials`): ``CLARION_INSTAGRAM_ACCESS_TOKEN`` (an Instagram User
token with ``instagram_business_basic`` and ``instagram_business_content_publish``),
``CLARION_INSTAGRAM_USER_ID`` (the professional account's id), ``CLARION_INSTAGRAM_MEDIA_BASE_URL``
(the web folder where the team publishes ``clarion media export``'s files) and optionally
``CLARION_INSTAGRAM_API_BASE`` (default ``https://graph.instagram.com``; tests point it at a stub).

Instagram takes no upload: it fetches each image from a public address. The address of an image
is the media folder and the SHA-256 of the prepared bytes (:mod:`clarion.platforms.public_media`),
and before the first request every address is fetched and compared with the bytes Clarion
previewed: a site that serves anything else stops the post before Instagram is asked.

What is sent (``build`` says it exactly; the preview and ``run-due --dry-run`` show it):

* one image: ``POST /{ig-user-id}/media`` with ``image_url``, ``caption`` and ``alt_text``;
* several: ``POST /{ig-user-id}/media`` per image with ``image_url``, ``is_carousel_item=true``
  and ``alt_text``, then one with ``media_type=CAROUSEL``, ``children`` (the ids, comma
  separated) and ``caption``;
* each container is polled (``GET /{container-id}?fields=status_code,status``) until FINISHED;
* ``POST /{ig-user-id}/media_publish`` with ``creation_id``: the one request that makes a post;
* ``GET /{media-id}?fields=permalink`` for the post's address.

A container is no post (it expires unpublished after 24 hours), so a failure before
``media_publish`` is safe to send again; after it, only :meth:`reconcile` can tell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import unicodedata
from pathlib import Path
from typing import Any, ClassVar

from clarion.delivery import Delivery
from clarion.platforms import public_media
from clarion.platforms.adapter import AccountStatus, Adapter, Request, parse_instant
from clarion.platforms.facebook import graph
from clarion.platforms.facebook.graph import Answer, NoAnswer
from clarion.platforms.instagram import _api
from clarion.platforms.instagram.rules import Instagram
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

__all__ = ["InstagramAdapter"]

USER_PLACEHOLDER = "{ig-user-id}"
MEDIA_PLACEHOLDER = "{media-base-url}"
CAROUSEL = "<id of the carousel container>"
STATUS_FIELDS = "status_code,status"
LISTING_FIELDS = "id,caption,timestamp,permalink"
POSTS_PER_PAGE = 50
MAX_POST_PAGES = 3
#: A post older than its due time by more than this cannot be the one sent for it.
CLOCK_MARGIN = dt.timedelta(minutes=10)
NO_MEDIA_BASE = (
    "Instagram fetches every image from a public address, and this account has none: export "
    "the prepared images with `clarion media export FOLDER`, copy that folder to your web site, "
    "and set CLARION_INSTAGRAM_MEDIA_BASE_URL to its address (https://...); nothing was sent"
)


def container(n: int) -> str:
    return f"<id of container {n}>"


def mime_of(path: str) -> str:
    """The type of a prepared file, from its first bytes (it is JPEG unless preparing failed)."""
    try:
        with Path(path).open("rb") as f:
            head = f.read(8)
    except OSError:
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"


def same_text(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()

    return norm(a) == norm(b)


class InstagramAdapter(Adapter):
    """Publishes to one Instagram professional account; see the module docstring."""

    platform: ClassVar[type[Instagram]] = Instagram
    request_settings = ("user_id", "api_base", "media_base_url")
    #: The first wait before a container's status is asked again, doubled up to the longest.
    poll_first_s: float = 0.25
    poll_longest_s: float = 5.0
    #: How long a container may stay IN_PROGRESS before the send is retried later.
    media_wait_s: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Image addresses already found to serve the previewed bytes (one check per run).
        self.verified = public_media.Verified()

    # --- the request -------------------------------------------------------------------------

    @staticmethod
    def api_base(found: Any) -> str:
        base = (found.get("api_base") or _api.DEFAULT_API_BASE).rstrip("/")
        return f"{base}/{_api.VERSION}"

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        user = self.settings.get("user_id") or USER_PLACEHOLDER
        media_base = (self.settings.get("media_base_url") or MEDIA_PLACEHOLDER).rstrip("/")
        path = f"/{user}/media"
        caption: dict[str, str] = {"caption": d.text} if d.text else {}
        steps: list[dict[str, Any]] = []
        for n, m in enumerate(d.media, 1):
            sha = m.sha256 or self._sha256(m.file)
            fields = {"image_url": public_media.address(media_base, sha, mime_of(m.file))}
            if len(d.media) > 1:
                fields["is_carousel_item"] = "true"
            elif caption:
                fields.update(caption)
            if m.alt:
                fields["alt_text"] = m.alt
            steps.append(
                {
                    "method": "POST",
                    "path": path,
                    "fields": fields,
                    "id": container(n),
                    "sha256": sha,
                }
            )
        if len(d.media) > 1:
            children = ",".join(container(n) for n in range(1, len(d.media) + 1))
            fields = {"media_type": "CAROUSEL", "children": children, **caption}
            steps.append({"method": "POST", "path": path, "fields": fields, "id": CAROUSEL})
        if steps:
            publish = {"creation_id": str(steps[-1]["id"])}
            steps.append({"method": "POST", "path": f"/{user}/media_publish", "fields": publish})
        payload: dict[str, Any] = {
            "api_base": self.api_base(self.settings),
            "requests": steps,
            "status_fields": STATUS_FIELDS,
            "permalink_fields": "permalink",
        }
        if not d.media:
            payload["refused"] = (
                "Instagram takes no post without an image (validation should have refused this "
                "one); nothing was sent"
            )
        if d.thread_index or d.reply_to or reply_to_id:
            payload["refused"] = (
                "Instagram has no threads: a reply cannot be posted (the planner should have "
                "joined this thread into one caption); nothing was sent"
            )
        return payload

    @staticmethod
    def _sha256(file: str) -> str:
        try:
            return hashlib.sha256(Path(file).read_bytes()).hexdigest()
        except OSError:
            return ""

    # --- sending -----------------------------------------------------------------------------

    def _credentials(self) -> tuple[str, str] | str:
        """(account id, token), or what is missing in plain words."""
        found = self.credentials()
        user, token = found.get("user_id"), found.get("access_token")
        absent = self.missing(("user_id", "access_token"), "Instagram credentials")
        if absent or not user or not token:
            return absent or "no Instagram credentials"
        return user, token

    def _media_problem(self, steps: list[dict[str, Any]]) -> str | None:
        base = self.credentials().get("media_base_url") or self.settings.get("media_base_url")
        urls = [s["fields"]["image_url"] for s in steps if "image_url" in s["fields"]]
        if not base or any(url.startswith(MEDIA_PLACEHOLDER) for url in urls):
            return NO_MEDIA_BASE
        problem = public_media.base_problem(base)
        if problem:
            return f"{problem}; set CLARION_INSTAGRAM_MEDIA_BASE_URL to it; nothing was sent"
        for step in steps:
            url = step["fields"].get("image_url")
            if url:
                mismatch = self.verified.check(url, str(step.get("sha256") or ""), self.timeout_s)
                if mismatch is not None:
                    return mismatch.reason
        return None

    def publish(self, request: Request) -> Outcome:
        payload = request.payload
        if payload.get("refused"):
            return Failed(str(payload["refused"]))
        creds = self._credentials()
        if isinstance(creds, str):
            return Failed(creds, auth=True)
        _, token = creds
        steps: list[dict[str, Any]] = payload["requests"]
        if any(USER_PLACEHOLDER in s["path"] for s in steps):
            return Failed("the request was built without an Instagram account id; nothing was sent")
        problem = self._media_problem(steps)
        if problem:
            return Failed(problem)
        base = str(payload["api_base"])
        ids: dict[str, str] = {}
        for step in steps:
            posting = step["path"].endswith("/media_publish")
            fields = {k: self._fill(v, ids) for k, v in step["fields"].items()}
            answer = graph.call("POST", base + step["path"], token, self.timeout_s, data=fields)
            outcome = _api.outcome_of(answer, posting)
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            made = _api.data_of(answer).get("id")
            if posting:
                if not made:
                    return Unknown(
                        f"Instagram published without saying the post's id: "
                        f"{redact(answer.text[:200])}"
                    )
                return Published(str(made), self._permalink(base, token, str(made)))
            if not made:
                return RetryLater(
                    "Instagram made a container without giving its id; nothing was posted"
                )
            waited = self._wait(base, token, str(made), fields.get("image_url"))
            if waited is not None:
                return waited
            ids[str(step["id"])] = str(made)
        return Failed("the request holds nothing to send")  # pragma: no cover - build never

    @staticmethod
    def _fill(value: str, ids: dict[str, str]) -> str:
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value

    def _wait(self, base: str, token: str, made: str, image: str | None) -> Outcome | None:
        """Poll a container until it is FINISHED (None), within :attr:`media_wait_s`."""
        deadline = time.monotonic() + self.media_wait_s
        pause = self.poll_first_s
        what = f"the image {image}" if image else "the carousel"
        while True:
            answer = graph.call(
                "GET", f"{base}/{made}", token, self.timeout_s, params={"fields": STATUS_FIELDS}
            )
            outcome = _api.outcome_of(answer, False, "while it prepared the media")
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            data = _api.data_of(answer)
            code = str(data.get("status_code") or "")
            if code in ("FINISHED", "PUBLISHED"):
                return None
            if code in ("ERROR", "EXPIRED"):
                status = redact(str(data.get("status") or "no reason given"))
                return Failed(
                    f"Instagram could not use {what}: {code} ({status}); nothing was posted"
                )
            if time.monotonic() + pause > deadline:
                return RetryLater(
                    f"Instagram was still preparing {what} after "
                    f"{self.media_wait_s:g} s; nothing was posted"
                )
            time.sleep(pause)  # the platform's own processing time, within the deadline
            pause = min(pause * 2, self.poll_longest_s)

    def _permalink(self, base: str, token: str, media_id: str) -> str | None:
        answer = graph.call(
            "GET", f"{base}/{media_id}", token, self.timeout_s, params={"fields": "permalink"}
        )
        if isinstance(answer, NoAnswer) or graph.error_of(answer) is not None:
            return None
        link = _api.data_of(answer).get("permalink")
        return str(link) if link else None

    # --- after an unknown outcome ------------------------------------------------------------

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Look for the post among the account's newest media, by its caption:
        ``GET /{ig-user-id}/media?fields=id,caption,timestamp,permalink`` (50 a page, newest
        first, at most 3 pages). Published when one has the same caption and is not older than
        the due time (less :data:`CLOCK_MARGIN`); Absent when the listing was read back past
        the due time, or to its end, without one; Unknown otherwise (a person checks)."""
        creds = self._credentials()
        if isinstance(creds, str):
            return Unknown(creds)
        user, token = creds
        steps: list[dict[str, Any]] = request.payload.get("requests") or []
        text = next((s["fields"]["caption"] for s in steps if "caption" in s["fields"]), None)
        if not text:
            return Unknown("the post has no caption to look it up by; check Instagram by hand")
        due = parse_instant(request.due)
        earliest = due - CLOCK_MARGIN if due else None
        params = {"fields": LISTING_FIELDS, "limit": str(POSTS_PER_PAGE)}
        url = f"{request.payload['api_base']}/{user}/media"
        seen = 0
        for _ in range(MAX_POST_PAGES):
            answer = graph.call("GET", url, token, self.timeout_s, params=params)
            if isinstance(answer, NoAnswer):
                return Unknown(f"could not read the account's posts: {redact(answer.reason)}")
            err = graph.error_of(answer)
            if err is not None:
                if err.throttled or err.code in _api.THROTTLE_CODES:
                    return _api.throttled(answer, err, "while reading the account's posts")
                return Unknown(f"could not read the account's posts: {redact(_api.describe(err))}")
            data = _api.data_of(answer)
            posts = [p for p in data.get("data") or [] if isinstance(p, dict)]
            seen += len(posts)
            for post in posts:
                made = _api.instant(post.get("timestamp"))
                if earliest and made and made < earliest:
                    continue
                if isinstance(post.get("caption"), str) and same_text(post["caption"], text):
                    link = post.get("permalink")
                    return Published(str(post["id"]), str(link) if link else None)
            times = [t for t in (_api.instant(p.get("timestamp")) for p in posts) if t]
            if earliest and times and min(times) < earliest:
                return Absent(f"not among the account's posts since {earliest.isoformat()}")
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return Absent(f"not among the account's {seen} posts")
            params = {**params, "after": str(after)}
        return Unknown(f"not among the account's newest {seen} posts; check Instagram by hand")

    # --- the account -------------------------------------------------------------------------

    def check(self) -> AccountStatus:
        """Who it posts as (``GET /{ig-user-id}?fields=username``), what is left of the 24-hour
        publishing limit (``GET /{ig-user-id}/content_publishing_limit``), the media address,
        and the token's expiry where Graph's ``/debug_token`` says it."""
        from clarion.platforms.instagram import _check

        return _check.check(self)
