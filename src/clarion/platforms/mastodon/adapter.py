"""The Mastodon adapter: posts statuses with Mastodon.py (imported inside the methods only, so
importing this module stays light)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request, parse_instant
from clarion.platforms.mastodon import _answers, _lookup
from clarion.platforms.mastodon.rules import Mastodon
from clarion.platforms.metrics import CountsOutcome, Target
from clarion.platforms.outcomes import (
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from clarion.secrets import redact

#: A campaign's ``visibility`` -> Mastodon's word for it.
_VISIBILITY = {"public": "public", "unlisted": "unlisted", "followers": "private"}


class MastodonAdapter(Adapter):
    """Posts statuses to a Mastodon server with Mastodon.py.

    Credentials: ``CLARION_MASTODON_BASE_URL`` and ``CLARION_MASTODON_ACCESS_TOKEN``; for an
    account other than ``default``, ``CLARION_MASTODON_<ACCOUNT>_BASE_URL`` / ``_ACCESS_TOKEN``
    (upper-cased, other characters -> ``_``); from the environment, a ``.env`` file or the system
    keyring (:mod:`clarion.credentials`), loaded on the first send or check.
    ``CLARION_MASTODON_LANGUAGE`` (read when the adapter is made) is the language of posts whose
    campaign names none.
    Every send carries the delivery's ``Idempotency-Key``: Mastodon answers a repeat with the same
    key (within an hour of the status it made, per account) with that status, so a re-send within
    the hour cannot post twice. An error answer once the status was sent (5xx, no answer) is an
    unknown outcome; :meth:`reconcile` settles it (see there).
    """

    platform = Mastodon
    #: How long Mastodon remembers an Idempotency-Key: an hour after the status it made
    #: (``PostStatusService``: ``redis.setex("idempotency:status:<account>:<key>", 3600, id)``).
    idempotency_window_s: float = 3600.0
    #: Re-send with the key only this long before the window closes, at the latest.
    window_margin_s: float = 300.0
    #: Seconds between looks at an uploaded image still being processed.
    poll_interval_s: float = 1.0
    #: Longest wait for an uploaded image to be processed, in seconds.
    media_wait_s: float = 120.0

    def __init__(self, account: str = "default", **given: Any) -> None:
        super().__init__(account, **given)
        #: The language of posts whose campaign names none (``CLARION_MASTODON_LANGUAGE``).
        self.language = self.env.platform_value(self.platform.name, "language")
        #: Whether the server is Mastodon's own code (it keeps Idempotency-Key), asked once.
        self._keeps_keys: bool | None = None
        #: The account's id on the server, asked once.
        self._account_id: str | None = None
        #: Whether the server reads many statuses in one request (Mastodon >= 4.3).
        self._batched = True

    def now_ms(self) -> int:
        """The real clock (ms), against which :attr:`Request.first_sent_ms` is measured."""
        return int(time.time() * 1000)

    # --- credentials -------------------------------------------------------------------------

    def _credentials(self) -> tuple[str, str] | str:
        """(base URL, token), or what is missing in plain words."""
        found = self.credentials()
        base, token = found.get("base_url"), found.get("access_token")
        absent = self.missing(("base_url", "access_token"), "Mastodon credentials")
        if absent or not base or not token:
            return absent or "no Mastodon credentials"
        return base, token

    def _client(self, base_url: str, token: str, version: str = "4.0.0") -> Any:
        import requests
        from mastodon import Mastodon as MastodonClient

        class FreshConnections(requests.Session):
            """A new connection for every request. A server may close a kept-alive connection
            after its answer without saying so (snac does, every time); a request written to
            it then fails as if it had been sent, and a status never made would be "unknown"."""

            #: The headers of the last answer: Mastodon.py raises its rate-limit error without
            #: the response, and Retry-After is read from here.
            last_headers: Any = None

            def request(self, *args: Any, **kwargs: Any) -> requests.Response:
                try:
                    response = super().request(*args, **kwargs)
                    self.last_headers = response.headers
                    return response
                finally:
                    self.close()

        # A fixed version with "created" checks: Mastodon.py asks the server nothing extra
        # (no /api/v1/instance round trip) and uses the v2 media endpoint (Mastodon >= 3.1.4).
        return MastodonClient(
            api_base_url=base_url,
            access_token=token,
            request_timeout=self.timeout_s,
            ratelimit_method="throw",
            mastodon_version=version,
            version_check_mode="created",
            session=FreshConnections(),
        )

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        reply_to = reply_to_id
        if reply_to is None and (d.thread_index or d.reply_to):
            reply_to = f"<id of {d.reply_to}>"
        payload: dict[str, Any] = {
            "status": d.text,
            "visibility": _VISIBILITY.get(d.content.visibility or "public", "public"),
            "language": d.content.language or self.language or None,
            "in_reply_to_id": reply_to,
            "idempotency_key": d.idempotency_key,
            "media": [{"file": m.file, "description": m.alt} for m in d.media],
        }
        return payload

    def publish(self, request: Request) -> Outcome:
        creds = self._credentials()
        if isinstance(creds, str):
            return Failed(creds, auth=True)
        payload = request.payload
        reply_to = payload.get("in_reply_to_id")
        if isinstance(reply_to, str) and reply_to.startswith("<"):
            return Failed(
                f"the post this one replies to has no Mastodon id yet ({reply_to}); "
                "nothing was sent"
            )
        client = self._client(*creds)
        outcome = self._send(client, payload)
        assert outcome is not None  # no deadline: it always says
        return outcome

    def _send(
        self, client: Any, payload: dict[str, Any], post_by: float | None = None
    ) -> Outcome | None:
        """Upload the images, then post the status; None when ``post_by`` (a monotonic instant)
        had passed once the images were up, and the status was not posted."""
        try:
            media_ids = self._upload_media(client, payload.get("media") or [])
        except Exception as exc:
            return _answers.media_outcome(client, exc)
        if isinstance(media_ids, RetryLater):
            return media_ids
        if post_by is not None and time.monotonic() >= post_by:
            return None
        try:
            status = client.status_post(
                status=payload["status"],
                in_reply_to_id=payload.get("in_reply_to_id"),
                media_ids=media_ids or None,
                visibility=payload.get("visibility"),
                language=payload.get("language"),
                idempotency_key=payload.get("idempotency_key"),
            )
        except Exception as exc:
            return _answers.status_outcome(client, exc)
        return Published(str(status["id"]), status.get("url") or status.get("uri"))

    def _upload_media(self, client: Any, media: list[dict[str, str]]) -> list[str] | RetryLater:
        """Upload every image and wait until Mastodon has processed each (a status naming an
        unprocessed attachment is refused with a 422)."""
        ids: list[str] = []
        for m in media:
            attachment = client.media_post(m["file"], description=m.get("description"))
            deadline = time.monotonic() + self.media_wait_s
            while attachment.get("url") is None:
                if time.monotonic() >= deadline:
                    return RetryLater(
                        f"Mastodon was still processing {m['file']} after "
                        f"{self.media_wait_s:g} s; nothing was posted",
                        before_send=True,
                    )
                time.sleep(self.poll_interval_s)
                attachment = client.media(attachment["id"])
            ids.append(str(attachment["id"]))
        return ids

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """After an unknown outcome: while the server still remembers the Idempotency-Key (less
        than :attr:`idempotency_window_s` less :attr:`window_margin_s` since the delivery's
        first send), send it again with the same key: Mastodon answers with the status it made,
        or makes it now, once either way. After that, or on a server that is not Mastodon's own
        code (snac, GoToSocial... may not keep the key), look it up among the account's recent
        statuses (:mod:`._lookup`): Published, Absent (safe to send again) or Unknown."""
        creds = self._credentials()
        if isinstance(creds, str):
            return Unknown(creds)
        payload = request.payload
        reply_to = payload.get("in_reply_to_id")
        if isinstance(reply_to, str) and reply_to.startswith("<"):
            return Unknown(f"the post this one replies to has no Mastodon id yet ({reply_to})")
        client = self._client(*creds)
        post_by = self._key_kept_until(request)
        if post_by is not None and self._keeps_idempotency_keys(client):
            outcome = self._send(client, payload, post_by)
            if outcome is not None:
                return _answers.settled(outcome)
        return self._look_up(client, request)

    def _key_kept_until(self, request: Request) -> float | None:
        """Until when (a monotonic instant) a re-send is covered by the Idempotency-Key; None
        when it no longer is, or the first send's instant is not known."""
        if request.first_sent_ms is None:
            return None
        elapsed_s = (self.now_ms() - request.first_sent_ms) / 1000
        left = self.idempotency_window_s - self.window_margin_s - elapsed_s
        return time.monotonic() + left if left > 0 else None

    def _keeps_idempotency_keys(self, client: Any) -> bool:
        """Whether the server runs Mastodon's own code (or a fork of it), which keeps the key:
        its ``/api/v2/instance`` names a ``source_url`` whose repository is ``mastodon``."""
        if self._keeps_keys is None:
            try:
                source = str(client.instance_v2().get("source_url") or "")
            except Exception:
                return False  # not known now: look it up instead, and ask again next time
            name = urlsplit(source).path.rstrip("/").rsplit("/", 1)[-1]
            self._keeps_keys = name.lower() == "mastodon"
        return self._keeps_keys

    def _look_up(self, client: Any, request: Request) -> ReconcileOutcome:
        first = request.first_sent_ms
        due = parse_instant(request.due)
        if first is not None:  # the status cannot be older than the first send
            since = dt.datetime.fromtimestamp(first / 1000, dt.UTC)
        elif due is not None:
            since = due
        else:
            return Unknown("the request says neither when it was due nor when it was sent")
        try:
            if self._account_id is None:
                self._account_id = str(client.account_verify_credentials()["id"])
            return _lookup.find(client, self._account_id, request.payload, since)
        except Exception as exc:
            from mastodon.errors import MastodonRatelimitError

            if isinstance(exc, MastodonRatelimitError):
                return _answers.rate_limited(client, "while looking the status up")
            return Unknown(_lookup.failed_words(exc))

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        """Favourites, boosts, replies and quotes, 20 statuses a request (:mod:`.metrics`)."""
        from clarion.platforms.mastodon import metrics

        creds = self._credentials()
        if isinstance(creds, str):
            return Failed(creds, auth=True)
        answer, self._batched = metrics.read(
            lambda version: self._client(*creds, version), posts, self._batched
        )
        return answer

    def check(self) -> AccountStatus:
        creds = self._credentials()
        if isinstance(creds, str):
            return AccountStatus(self.platform.name, self.account, False, problem=creds)
        base_url, token = creds
        try:
            me = self._client(base_url, token).account_verify_credentials()
        except Exception as exc:
            from mastodon.errors import MastodonAPIError

            code = _answers.status_code(exc)
            # verify_credentials sends nothing but the token. snac answers a token it does not
            # know with 422 (Mastodon: 401), and Mastodon uses 422 for an unconfirmed account.
            if isinstance(exc, MastodonAPIError) and code in (401, 403, 422):
                words = _answers.server_words(exc) or _answers.describe(exc)
                problem = f"Mastodon refused the access token ({words})"
            elif isinstance(exc, MastodonAPIError):
                problem = _answers.describe(exc)
            else:
                problem = f"could not ask {base_url}: {exc}"
            return AccountStatus(self.platform.name, self.account, False, problem=redact(problem))
        host = urlsplit(base_url if "://" in base_url else f"https://{base_url}").netloc
        details = _remember_server_limits(self._client(base_url, token), self.account, base_url)
        return AccountStatus(
            self.platform.name,
            self.account,
            True,
            posts_as=f"@{me['acct']}@{host}",
            details=details,
        )


def _remember_server_limits(client: Any, account: str, base_url: str) -> dict[str, str]:
    """Read the server's own limits (``GET /api/v2/instance``, else ``/api/v1/instance``) and
    keep them for validation (:mod:`clarion.platforms.limits`). A server that does not say keeps
    the stock limits; failing to ask is not a reason to call the account unusable."""
    from clarion.platforms import limits

    try:
        try:
            info = client.instance_v2()
        except Exception:
            info = client.instance_v1()
        config = info.get("configuration") or {}
    except Exception:
        return {}
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}
    found = {
        "max_length": statuses.get("max_characters"),
        "max_images": statuses.get("max_media_attachments"),
        "url_length": statuses.get("characters_reserved_per_url"),
        "max_image_bytes": media.get("image_size_limit"),
        "max_image_pixels": media.get("image_matrix_limit"),
        "max_alt_length": media.get("description_limit"),
        "image_types": [
            t for t in media.get("supported_mime_types") or [] if t.startswith("image/")
        ]
        or None,
    }
    found = {k: v for k, v in found.items() if v}
    if not found:
        return {}
    limits.save("mastodon", account, base_url, found)
    shown = {k: v for k, v in found.items() if k != "image_types"}
    return {"server limits": ", ".join(f"{k} {v}" for k, v in sorted(shown.items()))}
