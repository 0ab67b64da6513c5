"""Posting to a Facebook Page through the Graph API, with plain HTTP (``requests``).

No maintained Graph client fits (the official Python SDK is unmaintained), and the Page API
needs only a handful of form posts, so :mod:`.graph` speaks HTTP itself.

Credentials (:mod:`clarion.credentials`): ``CLARION_FACEBOOK_PAGE_ID`` and
``CLARION_FACEBOOK_PAGE_TOKEN`` (a *Page* access token with ``pages_manage_posts``), and
optionally ``CLARION_FACEBOOK_GRAPH_URL`` (default ``https://graph.facebook.com``; tests point it
at a stub). ``CLARION_FACEBOOK_TIMEOUT`` (seconds) overrides :attr:`Adapter.timeout_s`. The Page id
and the Graph address, which the request shows, are read when the adapter is made (the token only
when sending or checking); without a Page id the request shows ``{page-id}``.

What is sent (``build`` says it exactly, as a list of requests; ``run-due --dry-run`` prints it):

* text: ``POST /{page-id}/feed`` with ``message``. No ``link`` field: the campaign's text already
  holds its link, and Facebook previews the first link of a message by itself; a ``link`` field
  would only repeat it (and cannot be combined with photos).
* one image: ``POST /{page-id}/photos`` with ``message``, the file as ``source`` and the alt text
  as ``alt_text_custom``: one request makes the post.
* several images: each ``POST /{page-id}/photos`` with ``published=false`` (an unpublished photo is
  not a post: a failure there is safe to retry), then ``POST /{page-id}/feed`` with ``message``
  and ``attached_media[i]={"media_fbid": "<photo i id>"}``; the placeholders are replaced by the
  ids the uploads return. A later failure leaves those photos unpublished: hidden, no post.

Facebook has no threads: the planner joins a thread into one post, so a reply never reaches this
adapter; if one does, it is refused without sending anything.
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import unicodedata
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar

from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request, parse_instant
from clarion.platforms.facebook import graph
from clarion.platforms.facebook.graph import GRAPH_VERSION, Answer, NoAnswer
from clarion.platforms.facebook.platform import Facebook
from clarion.platforms.metrics import CountsOutcome, Target
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

__all__ = ["GRAPH_VERSION", "FacebookAdapter"]

#: Where the Page id goes in a dry run's paths when it is not configured yet.
PAGE_PLACEHOLDER = "{page-id}"
#: What reconcile reads per page of ``/{page-id}/posts``, and how many pages at most.
POSTS_PER_PAGE = 50
MAX_POST_PAGES = 3
#: A post older than its due time by more than this cannot be the one sent for it.
CLOCK_MARGIN = dt.timedelta(minutes=10)


def photo_placeholder(n: int) -> str:
    return f"<id of photo {n}>"


def _same_text(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()

    return norm(a) == norm(b)


class FacebookAdapter(Adapter):
    """Publishes to one Facebook Page; see the module docstring."""

    platform: ClassVar[type[Facebook]] = Facebook
    request_settings = ("page_id", "graph_url")

    # --- credentials -------------------------------------------------------------------------

    def _graph_base(self, found: Mapping[str, str]) -> str:
        """The Graph base URL with the version."""
        base = (found.get("graph_url") or graph.DEFAULT_GRAPH_URL).rstrip("/")
        return f"{base}/{GRAPH_VERSION}"

    def _credentials(self) -> tuple[str, str, str] | str:
        """(Page id, Page token, Graph base URL), or what is missing in plain words."""
        found = self.credentials()
        page, token = found.get("page_id"), found.get("page_token")
        absent = self.missing(("page_id", "page_token"), "Facebook Page credentials")
        if absent or not page or not token:
            return absent or "no Facebook Page credentials"
        return page, token, self._graph_base(found)

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        page = self.settings.get("page_id") or PAGE_PLACEHOLDER
        base = self._graph_base(self.settings)
        steps: list[dict[str, Any]] = []
        text: dict[str, str] = {"message": d.text} if d.text else {}

        def photo(n: int, fields: dict[str, str]) -> dict[str, Any]:
            m = d.media[n]
            if m.alt:
                fields["alt_text_custom"] = m.alt
            return {
                "method": "POST",
                "path": f"/{page}/photos",
                "fields": fields,
                "files": {"source": m.file},
            }

        if len(d.media) == 1:
            steps.append(photo(0, dict(text)))
        else:
            attached: dict[str, str] = {}
            for n in range(len(d.media)):
                step = photo(n, {"published": "false"})
                step["id"] = photo_placeholder(n + 1)
                steps.append(step)
                attached[f"attached_media[{n}]"] = json.dumps(
                    {"media_fbid": photo_placeholder(n + 1)}
                )
            steps.append(
                {"method": "POST", "path": f"/{page}/feed", "fields": {**text, **attached}}
            )
        payload: dict[str, Any] = {"graph_url": base, "requests": steps}
        if d.thread_index or d.reply_to or reply_to_id:
            payload["refused"] = (
                "Facebook has no threads: a reply cannot be posted (the planner should have "
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
        if any(PAGE_PLACEHOLDER in s["path"] for s in steps):
            return Failed("the request was built without a Page id; nothing was sent", auth=True)
        ids: dict[str, str] = {}
        for n, step in enumerate(steps):
            posting = n == len(steps) - 1  # the last request is the one that makes the post
            fields = {k: self._fill(v, ids) for k, v in step["fields"].items()}
            try:
                answer = self._send(payload["graph_url"], step, fields, token)
            except OSError as exc:
                return Failed(f"could not read the image: {redact(str(exc))}; nothing was sent")
            outcome = graph.outcome_of(answer, posting)
            if outcome is not None:
                return outcome
            assert isinstance(answer, Answer)
            data = answer.data if isinstance(answer.data, dict) else {}
            if posting:
                post_id = data.get("post_id") or data.get("id")
                if not post_id:
                    return Unknown(
                        f"Facebook accepted the post without saying its id: {answer.text[:200]}"
                    )
                return Published(str(post_id), self._url(str(post_id), data))
            if not data.get("id"):
                return RetryLater(
                    "Facebook accepted an image without giving its id; nothing was posted"
                )
            ids[str(step["id"])] = str(data["id"])
        return Failed("the request holds nothing to send")  # pragma: no cover - build never

    @staticmethod
    def _fill(value: str, ids: dict[str, str]) -> str:
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value

    @staticmethod
    def _url(post_id: str, data: dict[str, Any]) -> str:
        return str(data.get("permalink_url") or f"https://www.facebook.com/{post_id}")

    def _send(
        self, base: str, step: dict[str, Any], fields: dict[str, str], token: str
    ) -> Answer | NoAnswer:
        with ExitStack() as stack:
            files: dict[str, tuple[str, Any, str]] = {}
            for name, path in (step.get("files") or {}).items():
                kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                handle = stack.enter_context(Path(path).open("rb"))
                files[name] = (Path(path).name, handle, kind)
            return graph.call(
                step["method"],
                base + step["path"],
                token,
                self.timeout_s,
                data=fields,
                files=files or None,
            )

    # --- after an unknown outcome ------------------------------------------------------------

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Look for the post among the Page's newest posts, by its text.

        Graph has no idempotency key and no look-up by anything we choose, so the only trace of
        a post is its text: ``GET /{page-id}/posts?fields=id,message,created_time,permalink_url``
        (50 at a time, newest first, at most 3 pages). A post whose ``message`` equals the sent
        text (line endings, Unicode normal form and surrounding blanks aside) is taken as ours;
        the newest such post wins.

        *Absent* (safe to send again) only when the listing was read and it proves the post is
        not there: either every post of the Page was seen (no further page), or, when the
        request says when it was due, the listing reaches back past that time (so every post
        made since was seen). A post older than the due time (less :data:`CLOCK_MARGIN`) is not
        taken as ours: an old post with the same text is another post. Anything else
        (the listing could not be read, the Page has more posts than were read, there is no
        text to look for) is *Unknown*: a person checks, rather than risk a second copy.

        Accepted risk: a post made seconds ago that Facebook does not list yet. Reconcile runs
        at the next run, at least a minute after the send, and ``/posts`` lists a post at once.
        """
        creds = self._credentials()
        if isinstance(creds, str):
            return Unknown(creds)
        page, token, _ = creds
        steps: list[dict[str, Any]] = request.payload.get("requests") or []
        text = steps[-1]["fields"].get("message") if steps else None
        if not text:
            return Unknown("the post has no text to look it up by; check the Page by hand")
        due = parse_instant(request.due)
        earliest = due - CLOCK_MARGIN if due else None
        params = {
            "fields": "id,message,created_time,permalink_url",
            "limit": str(POSTS_PER_PAGE),
        }
        url = f"{request.payload['graph_url']}/{page}/posts"
        seen = 0
        for _ in range(MAX_POST_PAGES):
            answer = graph.call("GET", url, token, self.timeout_s, params=params)
            if isinstance(answer, NoAnswer):
                return Unknown(f"could not read the Page's posts: {redact(answer.reason)}")
            err = graph.error_of(answer)
            if err is not None:
                words = redact(err.describe())
                if err.throttled:
                    return graph.throttled(answer, words, "while reading the Page's posts")
                return Unknown(f"could not read the Page's posts: {words}")
            data = answer.data if isinstance(answer.data, dict) else {}
            posts = [p for p in data.get("data") or [] if isinstance(p, dict)]
            seen += len(posts)
            for post in posts:
                created = parse_instant(post.get("created_time"))
                if earliest and created and created < earliest:
                    continue
                if isinstance(post.get("message"), str) and _same_text(post["message"], text):
                    return Published(str(post["id"]), self._url(str(post["id"]), post))
            times = [t for t in (parse_instant(p.get("created_time")) for p in posts) if t]
            if earliest and times and min(times) < earliest:
                return Absent(f"not among the Page's posts since {earliest.isoformat()}")
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return Absent(f"not among the Page's {seen} posts")
            params = {**params, "after": str(after)}
        return Unknown(
            f"not among the Page's newest {seen} posts, and the Page has more; check it by hand"
        )

    # --- the account -------------------------------------------------------------------------

    def check(self) -> AccountStatus:
        """``GET /me`` with the Page token (a Page token's ``/me`` is the Page), then
        ``GET /debug_token`` for its expiry and permissions (``expires_at`` 0: never)."""
        name, acct = self.platform.name, self.account
        creds = self._credentials()
        if isinstance(creds, str):
            return AccountStatus(name, acct, False, problem=creds)
        page, token, base = creds
        me = graph.call("GET", f"{base}/me", token, self.timeout_s, params={"fields": "id,name"})
        if isinstance(me, NoAnswer):
            return AccountStatus(
                name, acct, False, problem=redact(f"could not ask Facebook: {me.reason}")
            )
        err = graph.error_of(me)
        if err is not None:
            lead = "Facebook refused the Page token: " if err.auth else ""
            return AccountStatus(name, acct, False, problem=redact(lead + err.describe()))
        who = me.data if isinstance(me.data, dict) else {}
        page_name = str(who.get("name") or who.get("id") or "?")
        details = {"page_id": page}
        if str(who.get("id")) != page:
            return AccountStatus(
                name,
                acct,
                False,
                posts_as=page_name,
                problem=f"the token is for {page_name} (id {who.get('id')}), not the Page {page} "
                "set as page_id: use that Page's own access token",
                details=details,
            )
        expires, expires_at, problems = self._token_facts(base, token, details)
        return AccountStatus(
            name,
            acct,
            not problems,
            posts_as=page_name,
            expires=expires,
            problem="; ".join(problems) or None,
            details=details,
            expires_at=expires_at,
        )

    def _token_facts(
        self, base: str, token: str, details: dict[str, str]
    ) -> tuple[str | None, dt.datetime | None, list[str]]:
        """(expiry in words, expiry as an instant, problems) from ``/debug_token``; an
        inspection that fails is noted in ``details`` but is no problem by itself (``/me``
        already proved the token works)."""
        answer = graph.call(
            "GET", f"{base}/debug_token", token, self.timeout_s, params={"input_token": token}
        )
        if isinstance(answer, NoAnswer):
            details["token"] = redact(f"could not inspect the token: {answer.reason}")
            return None, None, []
        err = graph.error_of(answer)
        body = answer.data if isinstance(answer.data, dict) else {}
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        if err is not None or data is None:
            what = err.describe() if err else "no data"
            details["token"] = redact(f"could not inspect the token: {what}")
            return None, None, []
        problems: list[str] = []
        if data.get("is_valid") is False:
            problems.append("Facebook says the token is not valid")
        expires: str | None = None
        expires_at: dt.datetime | None = None
        at = data.get("expires_at")
        if isinstance(at, int | float) and not isinstance(at, bool):
            if at == 0:
                expires = "never"
            else:
                try:
                    expires_at = dt.datetime.fromtimestamp(at, dt.UTC)
                except (OverflowError, OSError, ValueError):  # beyond any date: not an expiry
                    expires_at = None
                else:
                    expires = expires_at.isoformat(timespec="seconds")
        scopes = data.get("scopes")
        if isinstance(scopes, list):
            details["scopes"] = ", ".join(str(s) for s in scopes)
            if "pages_manage_posts" not in scopes:
                problems.append(
                    "the token lacks the pages_manage_posts permission (it has: "
                    + (details["scopes"] or "none")
                    + "); create a Page token that has it"
                )
        return expires, expires_at, problems

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        """Reactions, comments, shares and views, 50 posts a request (:mod:`.metrics`)."""
        from clarion.platforms.facebook import metrics

        creds = self._credentials()
        if isinstance(creds, str):
            return Failed(creds, auth=True)
        return metrics.read(creds[2], creds[1], self.timeout_s, posts)
