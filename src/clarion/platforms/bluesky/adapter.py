"""Posts to Bluesky (any PDS) with the atproto SDK, without needing an AppView.

Credentials (:mod:`clarion.credentials`): ``CLARION_BLUESKY_HANDLE``,
``CLARION_BLUESKY_APP_PASSWORD`` (secret) and ``CLARION_BLUESKY_SERVICE`` (default
``https://bsky.social``); for an account other than ``default``, ``CLARION_BLUESKY_<ACCOUNT>_...``.
The handle, which the request shows, is read when the adapter is made; the app password only when
logging in. The session is kept between runs in the token store and renewed
(:mod:`._session`): a week of runs logs in a handful of times.
Every call goes to that service (a PDS, or bsky.social, which passes repository calls on to the
account's PDS); counts may come from an AppView (:mod:`.metrics`).

The request (``build``) is ``com.atproto.repo.createRecord`` with a record key derived from the
delivery (:func:`post_rkey`): a second create of the same delivery is refused by the PDS, and an
unknown outcome is settled by fetching that one record (``reconcile``). What only the server can
say is written as ``<...>`` placeholders and filled in when sending: the account's DID, the time
of sending (``createdAt``), mentioned accounts' DIDs, the content ids (CIDs) of the posts replied
to or quoted, the uploaded images' blob references. A post's id is its ``at://`` URI.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clarion.delivery import Delivery
from clarion.platforms import transport
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.bluesky import _record, _session, _xrpc, metrics
from clarion.platforms.bluesky._rules import Bluesky
from clarion.platforms.bluesky._xrpc import POST, api_error, describe, post_rkey
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
from clarion.tokens import TokenStore, TokenStoreError

__all__ = ["DEFAULT_SERVICE", "BlueskyAdapter", "post_rkey"]

DEFAULT_SERVICE = "https://bsky.social"
log = logging.getLogger("clarion.platforms.bluesky")
_AUTH_ERRORS = frozenset(
    {"AuthenticationRequired", "ExpiredToken", "InvalidToken", "AccountTakedown", "AuthMissing"}
)


class _Stop(Exception):
    """Ends a send early with an outcome (raised inside publish's steps)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class BlueskyAdapter(Adapter):
    platform = Bluesky
    request_settings = ("handle",)

    def __init__(self, account: str = "default", **given: Any) -> None:
        super().__init__(account, **given)
        self._client: Any = None
        self._did: str | None = None
        self._handle: str | None = None
        #: The access JWT the server refused mid-run: not to be reused from the store.
        self._refused_jwt: str | None = None

    # --- credentials and session -------------------------------------------------------------

    def _settings(self) -> dict[str, str]:
        """The account's credentials and settings (loaded once), with the default service."""
        found = dict(self.credentials())
        found.setdefault("service", DEFAULT_SERVICE)
        if "handle" in found:
            found["handle"] = found["handle"].removeprefix("@")
        return found

    def _login(self) -> Any:
        """A client with a session, kept for later calls: the saved one, renewed, or a new one
        (``com.atproto.server.createSession``) when there is none (:mod:`._session`).

        The SDK's ``Client.login`` would move every later call to the PDS named in the account's
        DID document; the session is set on the client here without that, so all calls go to
        the configured service, and no AppView is asked for the profile."""
        if self._client is not None:
            return self._client
        found = self._settings()
        missing = self.missing(("handle",), "Bluesky credentials")
        if missing:
            raise _Stop(Failed(missing, auth=True))
        import httpx

        # (imported by name: the SDK ships no type information)
        xrpc_request = importlib.import_module("atproto_client.request").Request
        service = found["service"].rstrip("/")
        timeout = httpx.Timeout(self.timeout_s)
        client = importlib.import_module("atproto_client").Client(
            service, request=xrpc_request(timeout=timeout)
        )
        store = self._store()
        login = _session.Login(self.account, service, found["handle"], found.get("app_password"))
        session = _session.establish(
            store,
            login,
            refused=self._refused_jwt,
            renew=lambda refresh: _session.renew(client, refresh),
            create=lambda: self._create(client, found),
        )
        client._set_or_update_session(session, f"{service}/xrpc")
        if store is not None:  # the SDK renews by itself near the end of a long run: keep that
            client.on_session_change(_session.keeper(store, login))
        self._client, self._did, self._handle = client, session.did, session.handle
        return client

    def _store(self) -> TokenStore | None:
        try:
            return TokenStore(self.env)
        except TokenStoreError as exc:
            log.warning("Bluesky session not kept: %s", exc)
            return None

    def _create(self, client: Any, found: dict[str, str]) -> Any:
        """``com.atproto.server.createSession`` with the app password."""
        missing = self.missing(("handle", "app_password"), "Bluesky credentials")
        if missing:
            raise _Stop(Failed(missing, auth=True))
        sdk = importlib.import_module("atproto_client")
        return client.com.atproto.server.create_session(
            sdk.models.ComAtprotoServerCreateSession.Data(
                identifier=found["handle"], password=found["app_password"]
            ),
            ignore_session_check=True,
        )

    def _call(self, nsid: str, body: bytes | None = None, mime: str = "", **params: Any) -> Any:
        """One XRPC call with the session; the answer's JSON (a dict). A session kept from an
        earlier call that the server no longer takes (expired, revoked) is replaced once: a
        request refused for its token was not carried out."""
        kept = self._client is not None
        try:
            return self._call_once(nsid, body, mime, params)
        except Exception as exc:
            err = api_error(exc)
            if not (kept and err is not None and err.error in ("ExpiredToken", "InvalidToken")):
                raise
        self._refused_jwt = getattr(getattr(self._client, "_session", None), "access_jwt", None)
        self._client = None
        return self._call_once(nsid, body, mime, params)

    def _call_once(self, nsid: str, body: bytes | None, mime: str, params: dict[str, Any]) -> Any:
        client = self._login()
        if body is None:
            dot_dict = importlib.import_module("atproto_client.models.dot_dict").DotDict
            answer = client.invoke_query(nsid, params=dot_dict(params))
        else:
            answer = client.invoke_procedure(nsid, content=body, headers={"Content-Type": mime})
        return _xrpc.strip_types(answer.content)

    def _get_record(self, repo: str, rkey: str, collection: str = POST) -> dict[str, Any] | None:
        """``com.atproto.repo.getRecord``; None when the server says there is no such record."""
        try:
            found = self._call(
                "com.atproto.repo.getRecord", repo=repo, collection=collection, rkey=rkey
            )
        except Exception as exc:
            err = api_error(exc)
            if err is not None and err.status == 400 and err.error == "RecordNotFound":
                return None
            raise
        return found if isinstance(found, dict) else None

    # --- the request -------------------------------------------------------------------------

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        handle = self.settings.get("handle", "the account").removeprefix("@")
        return _record.payload(d, reply_to_id, handle)

    # --- sending -----------------------------------------------------------------------------

    def publish(self, request: Request) -> Outcome:
        payload = request.payload
        try:
            self._login()
            record = self._complete(payload)
        except _Stop as stop:
            return stop.outcome
        except Exception as exc:
            return self._before_create(exc)
        data = {"repo": self._did, "collection": POST, "rkey": payload["rkey"], "record": record}
        try:
            answer = self._call(
                "com.atproto.repo.createRecord", json.dumps(data).encode(), "application/json"
            )
        except Exception as exc:
            return self._after_create(exc, payload)
        return self._published(str(answer["uri"]), payload["rkey"])

    def _published(self, uri: str, rkey: str, probable: bool = False) -> Published:
        return Published(uri, _xrpc.post_url(self._handle or str(self._did), rkey), probable)

    def _complete(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The record as sent: placeholders filled, images uploaded (in this order, so nothing is
        uploaded for a post that cannot be sent)."""
        record = json.loads(json.dumps(payload["record"]))
        record["createdAt"] = _xrpc.now_iso()
        kept = []
        for facet in record.get("facets", []):
            feature = facet["features"][0]
            m = _record.DID_OF.match(str(feature.get("did", "")))
            if m:
                did = self._resolve(m["handle"])
                if did is None:
                    continue  # an unknown handle stays plain text
                feature["did"] = did
            kept.append(facet)
        if "facets" in record:
            record["facets"] = kept
            if not kept:
                del record["facets"]
        if "reply" in record:
            record["reply"] = self._reply_refs(record["reply"]["parent"]["uri"])
        embed = record.get("embed")
        if payload.get("quote_of"):
            quoted = self._strong_ref(payload["quote_of"])
            target = embed["record"] if embed["$type"].endswith("recordWithMedia") else embed
            target["record"] = quoted
        uploads = payload.get("uploads") or []
        if uploads:
            images = embed["media"] if embed["$type"].endswith("recordWithMedia") else embed
            for entry, upload in zip(images["images"], uploads, strict=True):
                entry["image"] = self._upload_blob(upload)
        return dict(record)

    def _resolve(self, handle: str) -> str | None:
        try:
            found = self._call("com.atproto.identity.resolveHandle", handle=handle)
        except Exception as exc:
            err = api_error(exc)
            if err is not None and err.status == 400:
                return None
            raise
        return str(found["did"])

    def _reply_refs(self, parent_uri: str) -> dict[str, Any]:
        if parent_uri.startswith("<"):
            raise _Stop(Failed(f"the post this one replies to has no id yet ({parent_uri})"))
        found = self._post(parent_uri)
        parent = {"uri": str(found["uri"]), "cid": str(found["cid"])}
        root = (found.get("value") or {}).get("reply", {}).get("root")
        return {"root": root or parent, "parent": parent}

    def _strong_ref(self, address: str) -> dict[str, str]:
        found = self._post(address)
        return {"uri": str(found["uri"]), "cid": str(found["cid"])}

    def _post(self, address: str) -> dict[str, Any]:
        """The post an ``at://`` URI or a bsky.app URL names (getRecord: uri, cid, value)."""
        target = _xrpc.post_address(address)
        if target is None:
            raise _Stop(Failed(f"{address} is not the address of a Bluesky post"))
        found = self._get_record(*target)
        if found is None:
            raise _Stop(Failed(f"Bluesky has no post at {address}; nothing was sent"))
        return found

    def _upload_blob(self, upload: dict[str, Any]) -> Any:
        try:
            data = Path(upload["file"]).read_bytes()
        except OSError as exc:
            raise _Stop(Failed(f"could not read the image {upload['file']}: {exc}")) from None
        if len(data) > Bluesky.max_image_bytes:
            raise _Stop(
                Failed(
                    f"the image {upload['file']} has {len(data):,} bytes; Bluesky takes at most "
                    f"{Bluesky.max_image_bytes:,}"
                )
            )
        return self._call("com.atproto.repo.uploadBlob", data, upload["mime"])["blob"]

    # --- what went wrong ---------------------------------------------------------------------

    def _refused(self, exc: BaseException) -> Outcome | None:
        """Answers that mean the same at every step: refused credentials, rate limits, refusals."""
        err = api_error(exc)
        if err is None:
            return None
        words = redact(err.words())
        if err.status in (401, 403) or err.error in _AUTH_ERRORS:
            return Failed(f"Bluesky refused the credentials: {words}", auth=True)
        if err.status == 429 or err.error == "RateLimitExceeded":
            return transport.rate_limited(
                "Bluesky", transport.reset_time(err.headers), detail=words
            )
        if err.status == 413 or err.error in ("BlobTooLarge", "PayloadTooLarge"):
            return Failed(f"Bluesky refused an image as too large: {words}")
        if err.status is not None and 400 <= err.status < 500:
            return Failed(f"Bluesky refused the post: {words}")
        return None

    def _before_create(self, exc: BaseException) -> Outcome:
        """Logging in, resolving or uploading failed: no post was created, a retry is safe."""
        known = self._refused(exc)
        if known is not None:
            return known
        return RetryLater(f"nothing was posted: {redact(describe(exc))}", before_send=True)

    def _after_create(self, exc: BaseException, payload: dict[str, Any]) -> Outcome:
        err = api_error(exc)
        rkey = payload["rkey"]
        if err is not None and err.status == 400 and _already_exists(err.message):
            return self._look_up(payload, "the record key is taken")
        known = self._refused(exc)
        if known is not None:
            return known
        if transport.never_sent(exc):
            return transport.unreachable("Bluesky", redact(describe(exc)))
        # A server error or a lost answer: the post may exist. Look once, right away.
        try:
            found = self._look_up(payload, "")
        except Exception:
            found = None
        if isinstance(found, Published):
            return found
        return Unknown(
            f"no clear answer after sending ({redact(describe(exc))}); the post, if made, has "
            f"record key {rkey}"
        )

    def _look_up(self, payload: dict[str, Any], why: str) -> Outcome:
        """The record at this delivery's key: ours (same text) -> Published."""
        rkey = payload["rkey"]
        found = self._get_record(str(self._did), rkey)
        if found is None:
            return Unknown(f"{why}, yet no record was found at {rkey}")
        text = (found.get("value") or {}).get("text")
        if text != payload["record"]["text"]:
            return Failed(f"record key {rkey} holds a different post; nothing was sent")
        return self._published(str(found["uri"]), rkey)

    # --- after an unknown outcome, and the account check -------------------------------------

    def reconcile(self, request: Request) -> ReconcileOutcome:
        payload = request.payload
        try:
            self._login()
            found = self._get_record(str(self._did), payload["rkey"])
        except _Stop as stop:
            return Unknown(getattr(stop.outcome, "reason", "cannot log in"))
        except Exception as exc:
            outcome = self._refused(exc)
            if isinstance(outcome, RetryLater):
                return outcome
            return Unknown(f"could not look the post up: {redact(describe(exc))}")
        if found is None:
            return Absent(f"Bluesky has no record {payload['rkey']} in this account")
        if (found.get("value") or {}).get("text") != payload["record"]["text"]:
            return Unknown(f"record {payload['rkey']} holds a different text; check by hand")
        return self._published(str(found["uri"]), payload["rkey"])

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        """From the AppView (:mod:`.metrics`), with the session if it is the account's service."""
        own = self._settings()["service"].rstrip("/")
        return metrics.counts(self.env, own, self.timeout_s, posts, session=self._call)

    def check(self) -> AccountStatus:
        name, account = self.platform.name, self.account
        try:  # the saved session (or a new one) asked who it is: it works, or is replaced
            self._call("com.atproto.server.getSession")
        except _Stop as stop:
            reason = getattr(stop.outcome, "reason", "")
            return AccountStatus(name, account, False, problem=redact(reason))
        except Exception as exc:
            err = api_error(exc)
            if err is not None and (err.status in (400, 401, 403) or err.error in _AUTH_ERRORS):
                problem = f"Bluesky refused the handle or app password ({err.words()})"
            else:
                problem = f"could not log in: {describe(exc)}"
            return AccountStatus(name, account, False, problem=redact(problem))
        service = self._settings()["service"]
        return AccountStatus(
            name,
            account,
            True,
            posts_as=f"@{self._handle} ({self._did})",
            details={"service": service, "session": "kept between runs, renewed by Clarion"},
        )


def _already_exists(message: str | None) -> bool:
    return bool(message) and "already exists" in str(message).lower()
