"""tweepy's v2 ``Client``, pointed at a configurable API base, with a timeout on every call, and
the reading of its errors: X's own words, and whether a request can have reached X at all.

tweepy (and requests) are imported inside functions only: importing this module stays cheap.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from clarion.platforms import transport
from clarion.platforms.outcomes import Failed, RetryLater, Unknown
from clarion.secrets import redact

DEFAULT_API_BASE = "https://api.x.com"

#: 403 problem types X uses for refused credentials or app permissions (not for refused content).
_AUTH_PROBLEMS = ("oauth1-permissions", "client-forbidden", "unsupported-authentication")
#: Words in a 403 that say the account or the app may not post, rather than "not this post".
_AUTH_WORDS = (
    "oauth",
    "authenticat",
    "permission",
    "not permitted to perform",
    "suspended",
    "locked",
    "token",
    "credential",
    "developer app",
    "client app",
)


@cache
def client_class() -> type[Any]:
    """A ``tweepy.Client`` whose every request goes to ``api_base`` with ``timeout``.

    tweepy 4.17 hard-codes ``https://api.twitter.com`` in ``BaseClient.request`` and sets no
    timeout; this subclass re-implements that one method (same authentication, same exceptions)
    and adds ``files``/``data`` so media uploads share the session, the signing and the timeout.
    Its log lines name the method and URL only: never headers (a Bearer token) or bodies.
    """
    import logging

    import tweepy
    from tweepy.errors import (
        BadRequest,
        Forbidden,
        HTTPException,
        NotFound,
        TooManyRequests,
        TwitterServerError,
        Unauthorized,
    )

    log = logging.getLogger("clarion.platforms.x")

    class ClarionXClient(tweepy.Client):  # type: ignore[misc]
        api_base: str = DEFAULT_API_BASE
        timeout: float = 30.0

        def request(
            self,
            method: str,
            route: str,
            params: dict[str, Any] | None = None,
            json: Any = None,
            user_auth: bool = False,
            *,
            files: Any = None,
            data: Any = None,
        ) -> Any:
            headers = {"User-Agent": self.user_agent}
            auth = None
            if user_auth:
                auth = tweepy.OAuth1UserHandler(
                    self.consumer_key,
                    self.consumer_secret,
                    self.access_token,
                    self.access_token_secret,
                ).apply_auth()
            else:
                headers["Authorization"] = f"Bearer {self.bearer_token}"
            url = self.api_base.rstrip("/") + route
            log.debug("X API request: %s %s", method, url)
            with self.session.request(
                method,
                url,
                params=params,
                json=json,
                files=files,
                data=data,
                headers=headers,
                auth=auth,
                timeout=self.timeout,
            ) as response:
                code = response.status_code
                log.debug("X API answer: %s %s", code, response.reason)
                errors: dict[int, type[Exception]] = {
                    400: BadRequest,
                    401: Unauthorized,
                    403: Forbidden,
                    404: NotFound,
                }
                if code in errors:
                    raise errors[code](response)
                if code == 429:
                    reset = response.headers.get("x-rate-limit-reset")
                    raise TooManyRequests(
                        response, reset_time=int(reset) if reset and reset.isdigit() else None
                    )
                if code >= 500:
                    raise TwitterServerError(response)
                if not 200 <= code < 300:
                    raise HTTPException(response)
                return response

    return ClarionXClient


def make_client(
    api_base: str, timeout: float, oauth1: tuple[str, str, str, str] | None, bearer: str | None
) -> Any:
    cls = client_class()
    if oauth1 is not None:
        client = cls(
            consumer_key=oauth1[0],
            consumer_secret=oauth1[1],
            access_token=oauth1[2],
            access_token_secret=oauth1[3],
            return_type=dict,
        )
    else:
        client = cls(bearer_token=bearer, return_type=dict)
    client.api_base = api_base
    client.timeout = timeout
    return client


# --- reading errors -------------------------------------------------------------------------------


def _body(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def status_code(exc: BaseException) -> int | None:
    code = getattr(getattr(exc, "response", None), "status_code", None)
    return code if isinstance(code, int) else None


def x_words(exc: BaseException) -> str:
    """X's own words for an HTTP error: the status, then the body's detail or error messages."""
    response = getattr(exc, "response", None)
    code = status_code(exc)
    if response is None or code is None:
        return str(exc) or type(exc).__name__
    body = _body(exc)
    said: list[str] = []
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            said.append(str(error["message"]))
        elif isinstance(error, str):
            said.append(error)
    if body.get("detail") and str(body["detail"]) not in said:
        said.append(str(body["detail"]))
    if not said and body.get("title"):
        said.append(str(body["title"]))
    phrase = f"{code} {response.reason}" if response.reason else str(code)
    return f"X answered {phrase}" + (f": {' '.join(said)}" if said else "")


def client_words(exc: BaseException) -> str:
    """X's words for an answer, else the exception's (no answer came)."""
    if status_code(exc) is not None:
        return x_words(exc)
    return f"{type(exc).__name__}: {exc}"


def is_duplicate(exc: BaseException) -> bool:
    return status_code(exc) == 403 and "duplicate content" in x_words(exc).lower()


def is_auth_problem(exc: BaseException) -> bool:
    """401 always; 403 when X says the credentials, the app or the account may not do this."""
    code = status_code(exc)
    if code == 401:
        return True
    if code != 403 or is_duplicate(exc):
        return False
    body = _body(exc)
    kind = str(body.get("type") or "") + " " + str(body.get("reason") or "")
    if any(problem in kind for problem in _AUTH_PROBLEMS):
        return True
    words = x_words(exc).lower()
    return any(w in words for w in _AUTH_WORDS)


def reset_time(exc: BaseException) -> dt.datetime | None:
    """When X lets the request be sent again (``x-rate-limit-reset``, ``Retry-After``)."""
    return transport.reset_time(getattr(getattr(exc, "response", None), "headers", None))


def rate_limited(exc: BaseException, what: str) -> RetryLater:
    return transport.rate_limited("X", reset_time(exc), what=what, detail=redact(x_words(exc)))


def media_outcome(exc: BaseException, what: str) -> RetryLater | Failed:
    """An image upload (or its alt text) failed: no post was created, so a retry is safe."""
    from tweepy.errors import (
        HTTPException,
        TooManyRequests,
        TwitterServerError,
    )

    if isinstance(exc, TooManyRequests):
        return rate_limited(exc, what)
    if isinstance(exc, HTTPException) and not isinstance(exc, TwitterServerError):
        if is_auth_problem(exc):
            return Failed(redact(f"{x_words(exc)} ({what})"), auth=True)
        return Failed(redact(f"{x_words(exc)} ({what}; nothing was posted)"))
    if isinstance(exc, OSError) and not _is_network(exc):
        return Failed(redact(f"could not read the image ({what}): {exc}"))
    return RetryLater(
        redact(f"{what} failed, nothing was posted: {x_words(exc)}"), before_send=True
    )


def post_outcome(exc: BaseException) -> RetryLater | Failed | Unknown:
    """``POST /2/tweets`` failed. X keeps no idempotency key, so whatever may have reached X and
    got no clear answer (a 5xx, a read timeout, a dropped connection) is Unknown."""
    from tweepy.errors import (
        HTTPException,
        TooManyRequests,
        TwitterServerError,
    )

    if isinstance(exc, TooManyRequests):
        return rate_limited(exc, "when posting")
    if isinstance(exc, TwitterServerError):
        return Unknown(
            redact(
                f"{x_words(exc)}; X keeps no idempotency key, so the post may or may not "
                "have been created"
            )
        )
    if isinstance(exc, HTTPException):
        words = redact(x_words(exc))
        if is_duplicate(exc):
            return Failed(words, duplicate=True)
        return Failed(words, auth=is_auth_problem(exc))
    if isinstance(exc, ValueError):  # a 2xx whose body is not the JSON X sends
        return Unknown(redact(f"X's answer to the post could not be read: {exc}"))
    if transport.never_sent(exc):
        return transport.unreachable("X", redact(str(exc)))
    if _is_network(exc):
        return Unknown(redact(f"no answer from X after sending the post: {exc}"))
    return Unknown(redact(f"{type(exc).__name__}: {exc}"))


def _is_network(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.exceptions.RequestException)
