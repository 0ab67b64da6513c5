"""Publishing to Threads through the Threads API, with plain HTTP (:mod:`.api`).

Credentials (:mod:`clarion.credentials`): ``CLARION_THREADS_ACCESS_TOKEN`` (a long-lived Threads
user token with ``threads_basic`` and ``threads_content_publish``), ``CLARION_THREADS_USER_ID`` (the
Threads user id, ``GET /me``), optionally ``CLARION_THREADS_API_BASE`` (default
``https://graph.threads.net``; tests point it at a stub) and, for posts with images,
``CLARION_THREADS_MEDIA_BASE_URL`` (the public folder the images are copied to: Threads fetches
each image itself, :mod:`clarion.platforms.public_media`). ``CLARION_THREADS_TIMEOUT`` (seconds)
overrides :attr:`Adapter.timeout_s`, for each answer and for the wait on a container.

What is sent (``build`` says it exactly, as a list of requests; the preview and
``run-due --dry-run`` print it); Posts page, https://developers.facebook.com/documentation/
threads/posts:

1. ``POST /{user-id}/threads``: a media container, form fields ``media_type`` (``TEXT``, ``IMAGE``
   or ``CAROUSEL``), ``text``, ``image_url`` and ``alt_text`` (accessibility page), ``reply_to_id``
   for a thread's later parts (Create Replies page), ``link_attachment`` for a text post's link
   (Posts page, "Topic Tags, Links, and GIFs": a link preview on a text-only post). Several images:
   one ``IMAGE`` container each with ``is_carousel_item=true``, then the ``CAROUSEL`` container
   with ``children`` (their ids, comma-separated) and the text.
2. ``GET /{container-id}?fields=status,error_message`` until ``FINISHED``, for at most the timeout
   (Troubleshooting page, https://developers.facebook.com/documentation/threads/troubleshooting:
   ``IN_PROGRESS``, ``FINISHED``, ``ERROR``, ``EXPIRED``, ``PUBLISHED``).
3. ``POST /{user-id}/threads_publish`` with ``creation_id``: the post ("Threads Media ID").
4. ``GET /{media-id}?fields=permalink``: its address.

Nothing is published before step 3, so any failure before it is safe to send again (a container
that is never published expires after 24 hours). Before step 1, each image's public address is
fetched and compared with the previewed bytes; a mismatch sends nothing.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from clarion import secrets
from clarion.delivery import Delivery
from clarion.platforms import public_media
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.outcomes import (
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from clarion.platforms.threads import api
from clarion.platforms.threads.api import Answer
from clarion.platforms.threads.rules import Threads
from clarion.secrets import redact

__all__ = ["ThreadsAdapter"]

#: Where the user id goes in a dry run's paths when it is not configured yet.
USER_PLACEHOLDER = "{threads-user-id}"
CONTAINER = "<id of container>"
POST = "<id of post>"
STATUS_FIELDS = "status,error_message"


def item_placeholder(n: int) -> str:
    return f"<id of item {n}>"


def mime_of(path: str) -> str:
    """The image's type from its first bytes (a prepared file may keep any name)."""
    try:
        with Path(path).open("rb") as f:
            head = f.read(8)
    except OSError:
        head = b""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


class ThreadsAdapter(Adapter):
    """Publishes to one Threads profile; see the module docstring."""

    platform: ClassVar[type[Threads]] = Threads
    request_settings = ("user_id", "api_base", "media_base_url")
    #: The first wait between two looks at a container's status, in seconds (it doubles, up to
    #: :attr:`poll_most_s`); the whole wait is at most :attr:`timeout_s`.
    poll_every_s: float = 0.5
    poll_most_s: float = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Public image addresses already found to serve the previewed bytes (this run).
        self.verified = public_media.Verified()
        self._stop = threading.Event()

    # --- settings ----------------------------------------------------------------------------

    @staticmethod
    def api_base(found: Mapping[str, str]) -> str:
        return f"{(found.get('api_base') or api.DEFAULT_BASE).rstrip('/')}/{api.VERSION}"

    def _variable(self, name: str) -> str:
        from clarion import credentials

        return credentials.env_name(self.platform.name, self.account, name)

    def _token(self) -> str | Failed:
        found = self.credentials()
        token = found.get("access_token")
        absent = self.missing(("access_token", "user_id"), "Threads credentials")
        if absent or not token:
            return Failed(absent or "no Threads access token", auth=True)
        secrets.register(token)  # redacted wherever it turns up, however it was given
        return token

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        user = self.settings.get("user_id") or USER_PLACEHOLDER
        media_base = (self.settings.get("media_base_url") or "").strip()
        refused: list[str] = []
        verify: list[dict[str, str]] = []

        def image(n: int) -> dict[str, str]:
            m = d.media[n]
            mime = mime_of(m.file)
            if media_base:
                url = public_media.address(media_base, m.sha256, mime)
                verify.append({"url": url, "sha256": m.sha256})
            else:
                url = f"{{media_base_url}}/{m.sha256}{public_media.extension(mime)}"
            fields = {"media_type": "IMAGE", "image_url": url}
            if len(d.media) > 1:
                fields["is_carousel_item"] = "true"
            if m.alt:
                fields["alt_text"] = m.alt
            return fields

        def container(fields: dict[str, str], ident: str) -> list[dict[str, Any]]:
            create = {"method": "POST", "path": f"/{user}/threads", "fields": fields, "id": ident}
            status = {"method": "GET", "path": f"/{ident}", "query": {"fields": STATUS_FIELDS}}
            return [create, {**status, "until": "FINISHED"}]

        steps: list[dict[str, Any]] = []
        if not d.media:
            main: dict[str, str] = {"media_type": "TEXT", "text": d.text}
            link = d.content.link
            if link and link in d.text:
                main["link_attachment"] = link
        elif len(d.media) == 1:
            main = image(0)
            if d.text:
                main["text"] = d.text
        else:
            for n in range(len(d.media)):
                steps += container(image(n), item_placeholder(n + 1))
            children = ",".join(item_placeholder(n + 1) for n in range(len(d.media)))
            main = {"media_type": "CAROUSEL", "children": children}
            if d.text:
                main["text"] = d.text
        if d.thread_index or d.reply_to or reply_to_id:
            main["reply_to_id"] = reply_to_id or f"<id of {d.reply_to}>"
        steps += container(main, CONTAINER)
        steps.append(
            {
                "method": "POST",
                "path": f"/{user}/threads_publish",
                "fields": {"creation_id": CONTAINER},
                "id": POST,
            }
        )
        steps.append({"method": "GET", "path": f"/{POST}", "query": {"fields": "permalink"}})
        if d.media and not media_base:
            refused.append(
                "Threads fetches each image from a public address, and none is set: copy the "
                "images (`clarion media export FOLDER`) to your web site and set "
                f"{self._variable('media_base_url')} to that folder's address; nothing was sent"
            )
        elif d.media and (problem := public_media.base_problem(media_base)):
            refused.append(f"{problem}; set {self._variable('media_base_url')}; nothing was sent")
        payload: dict[str, Any] = {"api_base": self.api_base(self.settings), "requests": steps}
        if verify:
            payload["verify"] = verify
        if refused:
            payload["refused"] = "; ".join(refused)
        return payload

    # --- sending -----------------------------------------------------------------------------

    def publish(self, request: Request) -> Outcome:
        payload = request.payload
        if payload.get("refused"):
            return Failed(str(payload["refused"]))
        token = self._token()
        if isinstance(token, Failed):
            return token
        steps: list[dict[str, Any]] = payload["requests"]
        if any(USER_PLACEHOLDER in s["path"] for s in steps):
            return Failed("the request was built without a Threads user id; nothing was sent", True)
        if any(
            "<id of " in str(s["fields"].get("reply_to_id", "")) for s in steps if "fields" in s
        ):
            return Failed("the post it answers has no Threads id yet; nothing was sent")
        for image in payload.get("verify") or ():
            mismatch = self.verified.check(image["url"], image["sha256"], self.timeout_s)
            if mismatch is not None:
                return Failed(mismatch.reason)
        base = str(payload["api_base"])
        ids: dict[str, str] = {}
        for step in steps:
            path = self._fill(step["path"], ids)
            if step["method"] == "GET" and step.get("until"):
                waited = self._wait(base + path, token)
                if waited is not None:
                    return waited
                continue
            if step["method"] == "GET":  # the permalink: the post is published by now
                return self._published(base + path, token, ids[POST])
            fields = {k: self._fill(v, ids) for k, v in step["fields"].items()}
            answer = api.call("POST", base + path, token, self.timeout_s, data=fields)
            publishing = step["id"] == POST
            outcome = (
                api.on_publish(answer)
                if publishing
                else api.before_publish(answer, "creating the post's container")
            )
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            made = answer.body.get("id")
            if not made:
                words = f"Threads answered without an id: {redact(answer.text[:200])}"
                return Unknown(words) if publishing else RetryLater(words, before_send=False)
            ids[str(step["id"])] = str(made)
        return Failed("the request holds nothing to send")  # pragma: no cover - build never

    @staticmethod
    def _fill(value: str, ids: dict[str, str]) -> str:
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value

    def _wait(self, url: str, token: str) -> Outcome | None:
        """Look at a container until it is FINISHED (None), for at most :attr:`timeout_s`."""
        import time

        deadline = time.monotonic() + self.timeout_s
        pause = self.poll_every_s
        while True:
            answer = api.call("GET", url, token, self.timeout_s, params={"fields": STATUS_FIELDS})
            outcome = api.before_publish(answer, "checking the post's container")
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            status = str(answer.body.get("status") or "")
            if status in ("FINISHED", "PUBLISHED"):
                return None
            if status in ("ERROR", "EXPIRED"):
                why = answer.body.get("error_message") or "no reason given"
                return Failed(f"Threads could not prepare the post: {status} ({redact(str(why))})")
            if time.monotonic() + pause > deadline:
                return RetryLater(
                    f"Threads was still preparing the post after {self.timeout_s:g} s "
                    f"(status {status or 'unknown'}); nothing was published",
                    before_send=False,
                )
            self._stop.wait(pause)
            pause = min(pause * 2, self.poll_most_s)

    def _published(self, url: str, token: str, post_id: str) -> Published:
        """The post is published: its permalink, when Threads gives it (else no URL)."""
        answer = api.call("GET", url, token, self.timeout_s, params={"fields": "permalink"})
        link = answer.body.get("permalink") if isinstance(answer, Answer) else None
        return Published(post_id, str(link) if link else None)

    # --- after an unknown outcome, and the account ---------------------------------------------

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Look for the post among the profile's newest threads or replies, by its text
        (:func:`.lookup.find`)."""
        from clarion.platforms.threads import lookup

        token = self._token()
        if isinstance(token, Failed):
            return Unknown(token.reason)
        user = self.credentials().get("user_id", "")
        return lookup.find(request, str(request.payload["api_base"]), user, token, self.timeout_s)

    def check(self) -> AccountStatus:
        """Who the token posts as, and the publishing quota (:func:`.lookup.check`)."""
        from clarion.platforms.threads import lookup

        found = self.credentials()
        token = self._token()
        if isinstance(token, Failed):
            return AccountStatus(self.platform.name, self.account, False, problem=token.reason)
        return lookup.check(
            self.platform.name,
            self.account,
            self.api_base(found),
            found.get("user_id", ""),
            token,
            self.timeout_s,
        )
