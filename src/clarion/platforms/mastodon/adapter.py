"""The Mastodon adapter: posts statuses with Mastodon.py (imported inside the methods only, so
importing this module stays light)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlsplit

from clarion.delivery import Delivery
from clarion.platforms import transport
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.mastodon.rules import Mastodon
from clarion.platforms.outcomes import (
    Failed,
    Outcome,
    Published,
    ReconcileOutcome,
    RetryLater,
    Unknown,
)
from clarion.secrets import redact


def _server_words(exc: BaseException) -> str | None:
    """The server's own error text from a Mastodon.py API error
    (its args are ``(message, status code, reason phrase, server's error)``)."""
    args = exc.args
    if len(args) >= 4 and args[3]:
        return str(args[3])
    return None


def _status_code(exc: BaseException) -> int | None:
    args = exc.args
    if len(args) >= 2 and isinstance(args[1], int):
        return args[1]
    return None


def _describe(exc: BaseException) -> str:
    """Plain words for an API error: the status, the reason phrase, the server's words."""
    args = exc.args
    code, words = _status_code(exc), _server_words(exc)
    if code is None:
        return str(exc) or type(exc).__name__
    phrase = f"{code} {args[2]}" if len(args) >= 3 and args[2] else str(code)
    return f"Mastodon answered {phrase}" + (f": {words}" if words else "")


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
    key (within an hour, per account) with the status it already made, so a retry after a server
    error cannot post twice.
    """

    platform = Mastodon
    #: Seconds between looks at an uploaded image still being processed.
    poll_interval_s: float = 1.0
    #: Longest wait for an uploaded image to be processed, in seconds.
    media_wait_s: float = 120.0

    def __init__(self, account: str = "default", **given: Any) -> None:
        super().__init__(account, **given)
        #: The language of posts whose campaign names none (``CLARION_MASTODON_LANGUAGE``).
        self.language = self.env.platform_value(self.platform.name, "language")

    # --- credentials -------------------------------------------------------------------------

    def _credentials(self) -> tuple[str, str] | str:
        """(base URL, token), or what is missing in plain words."""
        found = self.credentials()
        base, token = found.get("base_url"), found.get("access_token")
        absent = self.missing(("base_url", "access_token"), "Mastodon credentials")
        if absent or not base or not token:
            return absent or "no Mastodon credentials"
        return base, token

    def _client(self, base_url: str, token: str) -> Any:
        import requests
        from mastodon import Mastodon as MastodonClient

        class FreshConnections(requests.Session):
            """A new connection for every request. A server may close a kept-alive connection
            after its answer without saying so (snac does, every time); a request written to
            it then fails as if it had been sent, and a status never made would be "unknown"."""

            def request(self, *args: Any, **kwargs: Any) -> requests.Response:
                try:
                    return super().request(*args, **kwargs)
                finally:
                    self.close()

        # A fixed version with "created" checks: Mastodon.py asks the server nothing extra
        # (no /api/v1/instance round trip) and uses the v2 media endpoint (Mastodon >= 3.1.4).
        return MastodonClient(
            api_base_url=base_url,
            access_token=token,
            request_timeout=self.timeout_s,
            ratelimit_method="throw",
            mastodon_version="4.0.0",
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
        try:
            media_ids = self._upload_media(client, payload.get("media") or [])
        except Exception as exc:
            return self._media_outcome(client, exc)
        if isinstance(media_ids, RetryLater):
            return media_ids
        try:
            status = client.status_post(
                status=payload["status"],
                in_reply_to_id=reply_to,
                media_ids=media_ids or None,
                visibility=payload.get("visibility"),
                language=payload.get("language"),
                idempotency_key=payload.get("idempotency_key"),
            )
        except Exception as exc:
            return self._status_outcome(client, exc)
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

    def _rate_limited(self, client: Any, what: str) -> RetryLater:
        reset = getattr(client, "ratelimit_reset", None)
        when = dt.datetime.fromtimestamp(reset, dt.UTC) if reset else None
        return transport.rate_limited("Mastodon", when, what=what)

    def _api_outcome(self, exc: BaseException) -> Outcome | None:
        """Outcomes that read the same at any stage: refused credentials, refused content."""
        from mastodon.errors import MastodonAPIError, MastodonServerError

        if not isinstance(exc, MastodonAPIError) or isinstance(exc, MastodonServerError):
            return None
        code, words = _status_code(exc), _server_words(exc)
        if code in (401, 403):
            return Failed(redact(words or _describe(exc)), auth=True)
        if code is not None and 400 <= code < 500:
            return Failed(redact(words or _describe(exc)))
        return None

    def _media_outcome(self, client: Any, exc: BaseException) -> Outcome:
        """An image upload failed: no status was sent, so a retry cannot post twice."""
        from mastodon.errors import (
            MastodonIllegalArgumentError,
            MastodonIOError,
            MastodonNetworkError,
            MastodonRatelimitError,
            MastodonServerError,
        )

        if isinstance(exc, MastodonRatelimitError):
            return self._rate_limited(client, "while uploading an image")
        if isinstance(exc, MastodonNetworkError | MastodonServerError):
            return RetryLater(
                f"uploading an image failed, nothing was posted: {redact(_describe(exc))}",
                before_send=True,
            )
        if isinstance(exc, MastodonIOError | MastodonIllegalArgumentError):
            return Failed(f"could not read the image: {redact(str(exc))}")
        known = self._api_outcome(exc)
        if known is not None:
            return known
        return Unknown(f"uploading an image failed: {type(exc).__name__}: {redact(str(exc))}")

    def _status_outcome(self, client: Any, exc: BaseException) -> Outcome:
        from mastodon.errors import (
            MastodonNetworkError,
            MastodonRatelimitError,
            MastodonServerError,
        )

        if isinstance(exc, MastodonRatelimitError):
            return self._rate_limited(client, "")
        if isinstance(exc, MastodonNetworkError):
            if transport.never_sent(exc):
                return transport.unreachable("the Mastodon server", redact(str(exc)))
            return Unknown(f"no answer from the Mastodon server after sending: {redact(str(exc))}")
        if isinstance(exc, MastodonServerError):
            # Mastodon keeps the Idempotency-Key: a re-send returns the status if it was made.
            return RetryLater(redact(_describe(exc)), before_send=False)
        known = self._api_outcome(exc)
        if known is not None:
            return known
        return Unknown(f"{type(exc).__name__}: {redact(str(exc))}")

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """Always Unknown: the post is left for a person to check.

        Mastodon has no lookup by idempotency key, and re-posting with the same key is only
        safe while the server still remembers it (up to one hour, per account). The request
        does not say when the first attempt was sent, and reconcile also runs hours or days
        later (after downtime), when a re-post would make a second copy of a post that was
        in fact published. A duplicate public post is worse than a delivery waiting for a
        person, so this adapter never re-sends from here."""
        return Unknown(
            "Mastodon gives no way to look a post up by its idempotency key, and re-sending is "
            "only safe within an hour of the first try; check the account's posts by hand"
        )

    def check(self) -> AccountStatus:
        creds = self._credentials()
        if isinstance(creds, str):
            return AccountStatus(self.platform.name, self.account, False, problem=creds)
        base_url, token = creds
        try:
            me = self._client(base_url, token).account_verify_credentials()
        except Exception as exc:
            from mastodon.errors import MastodonAPIError

            code = _status_code(exc)
            # verify_credentials sends nothing but the token. snac answers a token it does not
            # know with 422 (Mastodon: 401), and Mastodon uses 422 for an unconfirmed account.
            if isinstance(exc, MastodonAPIError) and code in (401, 403, 422):
                words = _server_words(exc) or _describe(exc)
                problem = f"Mastodon refused the access token ({words})"
            elif isinstance(exc, MastodonAPIError):
                problem = _describe(exc)
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
