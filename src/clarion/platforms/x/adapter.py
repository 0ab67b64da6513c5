"""The X adapter: posts through X API v2 with tweepy's ``Client``.

Credentials (:mod:`clarion.credentials`; environment, ``.env`` or keyring), for account
``default`` (another account: ``CLARION_X_<ACCOUNT>_...``):

- OAuth 1.0a user context: ``CLARION_X_API_KEY``, ``CLARION_X_API_SECRET``,
  ``CLARION_X_ACCESS_TOKEN``, ``CLARION_X_ACCESS_TOKEN_SECRET`` (used when all four are set), or
- an OAuth 2.0 key that renews itself, saved by ``clarion accounts login x --oauth2`` in the token
  store (:mod:`clarion.tokens`), with the app's ``CLARION_X_CLIENT_ID`` (and
  ``CLARION_X_CLIENT_SECRET`` for a confidential app): renewed before it expires
  (:mod:`._oauth2`), or
- an OAuth 2.0 user access token: ``CLARION_X_OAUTH2_TOKEN`` (sent as ``Bearer``; it needs the
  ``tweet.write``, ``tweet.read``, ``users.read`` and ``media.write`` scopes; never renewed).

Settings (not secret): ``CLARION_X_API_BASE`` (default ``https://api.x.com``; every call goes
there), ``CLARION_X_USERNAME`` (optional: the handle used in post URLs before X has been asked;
otherwise ``https://x.com/i/web/status/<id>``). ``CLARION_X_TIMEOUT`` (seconds, default 30) is the
longest wait for each answer from X.

A send is: each image ``POST /2/media/upload`` (multipart ``media`` + ``media_category``), its alt
text ``POST /2/media/metadata``, then ``POST /2/tweets`` (``tweepy.Client.create_tweet``).
``build()`` shows all of it: ``payload["tweet"]`` is the exact JSON body of ``POST /2/tweets``,
with ``"<media id N>"`` in place of the ids X gives the images, listed in ``payload["media"]``.
The timeout applies to each request (a post with 4 images makes 9), connect and read alike.

Outcomes. X keeps no idempotency key, so once ``POST /2/tweets`` may have reached X without a clear
answer (a 5xx, a read timeout, a dropped connection) the outcome is Unknown; failures before it
(image uploads, connection refused, connect timeout) are safe to retry. ``reconcile()`` then looks
the post up among the account's 100 newest posts and says Absent only when it is sure (see there);
if X's timeline lags and a post is sent again, X refuses the same text as a duplicate, which the
engine takes as "probably published".
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request, parse_instant
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
from clarion.platforms.x import _client as xapi
from clarion.platforms.x import _match, _oauth2
from clarion.platforms.x.rules import OAUTH1_NAMES, X
from clarion.secrets import redact

log = logging.getLogger("clarion.platforms.x")

#: How many recent posts reconcile reads (X's largest page).
TIMELINE_PAGE = 100
#: What reconcile asks X to return about each post.
TWEET_FIELDS = ["attachments", "created_at", "entities", "note_tweet", "referenced_tweets"]
#: Clock difference tolerated between this machine and X when comparing with the due time.
CLOCK_SKEW = dt.timedelta(minutes=10)


def media_placeholder(n: int) -> str:
    return f"<media id {n}>"


def quote_id(url: str) -> str | None:
    """The post id in a post URL (``https://x.com/user/status/123`` -> ``"123"``), or a bare id."""
    from clarion.platforms import quoting  # the same reading as the campaign's validation

    url = url.strip()
    if url.isdigit():
        return url
    found = quoting.target("x", url)
    return found.post_id if found else None


@dataclass(frozen=True)
class Credentials:
    api_base: str
    oauth1: tuple[str, str, str, str] | None = field(repr=False)
    bearer: str | None = field(repr=False)
    username: str | None
    #: The saved OAuth 2.0 key in use (renewed by Clarion), when it is one.
    oauth2: _oauth2.Access | None = None

    @property
    def user_auth(self) -> bool:
        """tweepy's ``user_auth``: True signs with OAuth 1.0a, False sends the Bearer token."""
        return self.oauth1 is not None

    @property
    def kind(self) -> str:
        if self.oauth1:
            return "OAuth 1.0a user context"
        if self.oauth2 is not None and self.oauth2.renewable:
            return "OAuth 2.0 user context, renewed by Clarion"
        return "OAuth 2.0 user token"


class XAdapter(Adapter):
    """Posts to X through API v2 with tweepy (see the module's doc for settings)."""

    platform = X

    def __init__(self, account: str = "default", **given: Any) -> None:
        super().__init__(account, **given)
        #: (user id, username) from ``GET /2/users/me``, asked once per adapter.
        self._me: tuple[str, str] | None = None

    # --- credentials -------------------------------------------------------------------------

    def _credentials(self, stale: str | None = None) -> Credentials | _oauth2.KeyProblem:
        """OAuth 1.0a keys when all four are set; else the saved OAuth 2.0 key (renewed when
        it is near its end, or when it is ``stale``: X refused it); else a static token."""
        from clarion import credentials
        from clarion.tokens import TokenStore, TokenStoreError

        found = self.credentials()
        base = (found.get("api_base") or xapi.DEFAULT_API_BASE).rstrip("/")
        oauth1 = tuple(found.get(n) for n in OAUTH1_NAMES)
        username = (found.get("username") or "").lstrip("@") or None
        if all(oauth1):
            return Credentials(base, oauth1, None, username)  # type: ignore[arg-type]
        app = None
        if found.get("client_id"):
            app = _oauth2.App(base, found["client_id"], found.get("client_secret"), self.timeout_s)
        try:
            saved = _oauth2.access_token(TokenStore(self.env), self.account, app, stale=stale)
        except TokenStoreError as exc:
            saved = _oauth2.KeyProblem(str(exc))
        if isinstance(saved, _oauth2.KeyProblem):
            return saved
        if saved is not None:
            return Credentials(base, None, saved.token, username, oauth2=saved)
        if found.get("oauth2_token"):
            return Credentials(base, None, found["oauth2_token"], username)
        missing = [n for n, v in zip(OAUTH1_NAMES, oauth1, strict=True) if not v]
        env = [credentials.env_name("x", self.account, n) for n in missing]
        token = credentials.env_name("x", self.account, "oauth2_token")
        return _oauth2.KeyProblem(
            f"no X credentials for account {self.account!r}: set {', '.join(env)} "
            f"(OAuth 1.0a), or run `{_oauth2.login_command(self.account)}` (OAuth 2.0, renewed "
            f"by Clarion), or set {token} (an OAuth 2.0 token), in the environment, a .env file, "
            "or the system keyring"
        )

    def _client(self, creds: Credentials) -> Any:
        return xapi.make_client(creds.api_base, self.timeout_s, creds.oauth1, creds.bearer)

    def _post_url(self, creds: Credentials, post_id: str) -> str:
        who = self._me[1] if self._me else creds.username
        return f"https://x.com/{who or 'i/web'}/status/{post_id}"

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        tweet: dict[str, Any] = {"text": d.text}
        reply_to = reply_to_id
        if reply_to is None and (d.thread_index or d.reply_to):
            reply_to = f"<id of {d.reply_to}>"
        if reply_to is not None:
            tweet["reply"] = {"in_reply_to_tweet_id": str(reply_to)}
        if d.content.quote_of:
            tweet["quote_tweet_id"] = quote_id(d.content.quote_of) or (
                f"<not an X post URL: {d.content.quote_of}>"
            )
        media = [
            {
                "file": m.file,
                "media_category": "tweet_image",
                "alt_text": m.alt,
                "media_id": media_placeholder(n),
            }
            for n, m in enumerate(d.media, start=1)
        ]
        if media:
            tweet["media"] = {"media_ids": [m["media_id"] for m in media]}
        payload = {"tweet": tweet, "media": media}
        return payload

    def publish(self, request: Request) -> Outcome:
        creds = self._credentials()
        if isinstance(creds, _oauth2.KeyProblem):
            return _oauth2.outcome(creds)
        tweet: dict[str, Any] = dict(request.payload["tweet"])
        media: list[dict[str, str]] = list(request.payload.get("media") or [])
        reply_to = (tweet.get("reply") or {}).get("in_reply_to_tweet_id")
        if isinstance(reply_to, str) and reply_to.startswith("<"):
            return Failed(
                f"the post this one replies to has no X id yet ({reply_to}); nothing was sent"
            )
        quoted = tweet.get("quote_tweet_id")
        if isinstance(quoted, str) and quoted.startswith("<"):
            return Failed(f"quote_of is not the URL of a post on X ({quoted}); nothing was sent")
        if len(media) > X.max_images:
            return Failed(f"X takes at most {X.max_images} images per post; nothing was sent")
        client = self._client(creds)
        try:
            outcome = self._send(client, creds, tweet, media)
        finally:
            client.session.close()
        if isinstance(outcome, Failed) and outcome.auth and creds.oauth2 is not None:
            # X refused the saved key before it had run out (revoked, or clocks apart): a refusal
            # means nothing was posted, so renew it and send once more.
            renewed = self._credentials(stale=creds.bearer)
            if isinstance(renewed, _oauth2.KeyProblem):
                return _oauth2.outcome(renewed)
            if renewed.bearer == creds.bearer:
                return outcome
            client = self._client(renewed)
            try:
                return self._send(client, renewed, tweet, media)
            finally:
                client.session.close()
        return outcome

    def _send(
        self, client: Any, creds: Credentials, tweet: dict[str, Any], media: list[dict[str, str]]
    ) -> Outcome:
        ids: dict[str, str] = {}
        for n, m in enumerate(media, start=1):
            what = f"uploading image {n} ({Path(m['file']).name})"
            try:
                ids[m["media_id"]] = self._upload(client, creds, m)
            except Exception as exc:
                return xapi.media_outcome(exc, what)
        media_ids = [ids[p] for p in (tweet.get("media") or {}).get("media_ids") or []]
        try:
            answer = client.create_tweet(
                text=tweet.get("text"),
                in_reply_to_tweet_id=(tweet.get("reply") or {}).get("in_reply_to_tweet_id"),
                quote_tweet_id=tweet.get("quote_tweet_id"),
                media_ids=media_ids or None,
                user_auth=creds.user_auth,
            )
        except Exception as exc:
            return xapi.post_outcome(exc)
        data = answer.get("data") if isinstance(answer, dict) else None
        post_id = data.get("id") if isinstance(data, dict) else None
        if not post_id:
            return Unknown(redact(f"X answered without the new post's id: {answer!r:.300}"))
        return Published(str(post_id), self._post_url(creds, str(post_id)))

    def _upload(self, client: Any, creds: Credentials, media: dict[str, str]) -> str:
        """Upload one image (simple upload), then set its alt text; X's id for it."""
        path = Path(media["file"])
        content = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = client.request(
            "POST",
            "/2/media/upload",
            files={"media": (path.name, content, mime)},
            data={"media_category": media.get("media_category") or "tweet_image"},
            user_auth=creds.user_auth,
        )
        body = response.json()
        # X API v2 answers {"data": {"id": ...}}; some recorded answers have the fields on top
        found = body.get("data") if isinstance(body.get("data"), dict) else body
        media_id = found.get("id") or found.get("media_id_string")
        if not media_id:
            raise ValueError(f"X's answer to the upload has no media id: {body!r:.300}")
        if media.get("alt_text"):
            client.request(
                "POST",
                "/2/media/metadata",
                json={"id": str(media_id), "metadata": {"alt_text": {"text": media["alt_text"]}}},
                user_auth=creds.user_auth,
            )
        return str(media_id)

    # --- after an unknown outcome ------------------------------------------------------------

    def _who(self, client: Any, creds: Credentials) -> tuple[str, str]:
        if self._me is None:
            me = client.get_me(user_auth=creds.user_auth)["data"]
            self._me = (str(me["id"]), str(me["username"]))
        return self._me

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Look the post up in the account's recent posts (``GET /2/users/:id/tweets``, the
        newest 100, replies and reposts included).

        Published: a post with the same text (compared as :mod:`._match` explains), answering
        the same post, quoting the same post, with as many images; if ``request.due`` is known,
        created no earlier than it (less a margin for clocks). Absent only when sure: no such
        post, no post that cannot be compared, and the page reaches back past the due time, or
        holds the whole timeline (X says there is no next page). Otherwise Unknown.
        """
        creds = self._credentials()
        if isinstance(creds, _oauth2.KeyProblem):
            return Unknown(creds.reason) if creds.refused else RetryLater(creds.reason)
        sent: dict[str, Any] = request.payload["tweet"]
        client = self._client(creds)
        try:
            user_id, username = self._who(client, creds)
            page = client.get_users_tweets(
                user_id,
                max_results=TIMELINE_PAGE,
                tweet_fields=TWEET_FIELDS,
                user_auth=creds.user_auth,
            )
        except Exception as exc:
            client.session.close()
            from tweepy.errors import TooManyRequests

            if isinstance(exc, TooManyRequests):
                return xapi.rate_limited(exc, "while looking the post up")
            return Unknown(
                redact(f"could not read the account's posts on X: {xapi.client_words(exc)}")
            )
        client.session.close()
        tweets = [t for t in page.get("data") or [] if isinstance(t, dict)]
        due = parse_instant(request.due)
        since = due - CLOCK_SKEW if due else None
        found, unsure = [], 0
        for tweet in tweets:
            created = parse_instant(tweet.get("created_at"))
            if since and created and created < since:
                continue
            same = _match.compare(tweet, sent)
            if same:
                found.append(tweet)
            elif same is None:
                unsure += 1
        if found:
            post_id = str(max(found, key=lambda t: int(str(t.get("id") or 0)))["id"])
            return Published(post_id, f"https://x.com/{username}/status/{post_id}")
        whole = not (page.get("meta") or {}).get("next_token")
        older = since is not None and any(
            (c := parse_instant(t.get("created_at"))) is not None and c < since for t in tweets
        )
        if unsure:
            return Unknown(
                f"{unsure} of @{username}'s recent posts on X could not be compared with this "
                "one (links X gave no details for); check the account's posts by hand"
            )
        if whole or older:
            return Absent(
                f"X has no such post: none of @{username}'s "
                + (f"{len(tweets)} posts" if whole else f"posts since {due:%Y-%m-%d %H:%M %Z}")
                + " has this text"
            )
        return Unknown(
            f"none of @{username}'s {len(tweets)} most recent posts on X has this text, but "
            "older ones were not read; check the account's posts by hand"
        )

    # --- the account -------------------------------------------------------------------------

    def check(self) -> AccountStatus:
        creds = self._credentials()
        if isinstance(creds, _oauth2.KeyProblem):
            return AccountStatus(self.platform.name, self.account, False, problem=creds.reason)
        details = {"auth": creds.kind, "api_base": creds.api_base}
        expires_at = None
        if creds.oauth2 is not None and creds.oauth2.renewable:
            details["key_lifetime"] = (
                "renewed by Clarion every 2 hours when it runs; X does not say how long an "
                "unused refresh token lasts"
            )
        elif creds.oauth2 is not None:
            expires_at = creds.oauth2.expires_at
        client = self._client(creds)
        try:
            _, username = self._who(client, creds)
        except Exception as exc:
            code = xapi.status_code(exc)
            if code in (401, 403):
                problem = f"X refused the credentials ({xapi.x_words(exc)})"
            else:
                problem = f"could not ask X ({creds.api_base}): {xapi.client_words(exc)}"
            return AccountStatus(
                self.platform.name, self.account, False, problem=redact(problem), details=details
            )
        finally:
            client.session.close()
        return AccountStatus(
            self.platform.name,
            self.account,
            True,
            posts_as=f"@{username}",
            expires=f"{expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else None,
            details=details,
            expires_at=expires_at,
        )

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        """``GET /2/tweets`` with the public (and recent posts' non-public) metrics."""
        from clarion.platforms.x import metrics

        return metrics.read(self, posts)
