"""The one small interface between the engine and a platform's API.

An adapter turns a delivery into the platform's real request (``build``: the exact payload, which
is what the preview and ``run-due --dry-run`` show), sends it (``publish``), finds out what
happened after an unknown outcome (``reconcile``), and checks its credentials (``check``). Every
answer is a typed outcome from :mod:`clarion.platforms.outcomes`.

What an adapter needs from outside is given to it, never looked up while building a request:

* the environment (:func:`clarion.settings.environ`), taken when it is made: its timeout
  (``CLARION_<PLATFORM>_TIMEOUT``) and any platform-wide setting it reads;
* the non-secret settings the request itself shows (:attr:`Adapter.request_settings`: a Page id,
  a handle), passed in or looked up once when it is made; absent ones show as placeholders;
* its credentials (:meth:`Adapter.credentials`): passed in, or loaded once, on first use by
  ``publish``, ``reconcile`` or ``check``. ``build`` never reads a secret, so a preview of the
  requests touches no secret and no keyring entry that holds one.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clarion import settings as env_settings
from clarion.delivery import Delivery
from clarion.platforms.base import Platform
from clarion.platforms.metrics import CountsOutcome, Target
from clarion.platforms.outcomes import Failed, Outcome, ReconcileOutcome, Unknown
from clarion.settings import Environment, SettingsError

log = logging.getLogger("clarion.platforms")


def parse_instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant from a platform's answer or a delivery's due time, as aware UTC
    (a time without an offset is taken as UTC); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Request:
    """What will be sent: the platform's own request, as data (JSON-serialisable)."""

    platform: str
    account: str
    key: str
    payload: dict[str, Any]
    #: When it is due, local time with offset (shown by dry runs; not part of the request).
    due: str | None = None
    #: When this delivery was first sent (ms, real clock), set by the engine and kept with the
    #: request; None before its first send. An adapter's reconcile may use it (Mastodon honours
    #: an Idempotency-Key for an hour after the status it made).
    first_sent_ms: int | None = None
    #: Each image as sent, once prepared for the platform (:mod:`clarion.platforms.images`):
    #: ``path`` as the campaign names it, the prepared ``file``, its ``sha256``, ``bytes``,
    #: ``width``, ``height``, ``mime`` and what was ``done`` to the original (not part of the
    #: platform's request; shown by the preview and dry runs).
    images: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class AccountStatus:
    platform: str
    account: str
    ok: bool
    posts_as: str | None = None
    #: When the key stops working, as people read it ("2026-07-01 09:00 UTC"); None: never/unknown.
    expires: str | None = None
    problem: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    #: The same instant as :attr:`expires`, aware UTC, for warnings and alerts ("expires within
    #: 7 days"); None when the key does not expire or the platform does not say.
    expires_at: dt.datetime | None = None


class Adapter(ABC):
    """Base class for every platform adapter."""

    #: The platform's limits and counting rules (one source of truth).
    platform: ClassVar[type[Platform]]
    #: Longest wait for one answer from the platform, in seconds. A send's lease is always
    #: longer than this, so no other run takes a send over while its request may be in flight.
    timeout_s: float = 30.0
    #: Secret credential names and settings: the platform's own (:attr:`Platform.secret_names`,
    #: :attr:`Platform.setting_names`) unless the adapter class declares its own.
    secret_names: ClassVar[tuple[str, ...]] = ()
    setting_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        platform: type[Platform] | None = getattr(cls, "platform", None)
        if platform is not None:
            if "secret_names" not in cls.__dict__:
                cls.secret_names = platform.secret_names
            if "setting_names" not in cls.__dict__:
                cls.setting_names = platform.setting_names

    #: Non-secret settings (of :attr:`setting_names`) the request itself shows, e.g. a Page id
    #: in its path: passed in or looked up once when the adapter is made, never by ``build``.
    request_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        account: str = "default",
        *,
        env: Environment | None = None,
        settings: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        """``env``: the environment snapshot (default: taken now). ``settings``: the values of
        :attr:`request_settings` (default: looked up now, in the environment, the ``.env`` file
        and the keyring). ``credentials``: every credential and setting of the account (default:
        loaded on first use by :meth:`credentials`)."""
        self.account = account
        self._env_given = env
        #: The environment when the adapter was made (its timeout, platform-wide settings).
        self.env = env_settings.environ() if env is None else env
        platform = getattr(self, "platform", None)  # the dry-run adapter has none
        if platform is not None:
            self._set_timeout(platform.name)
        self._credentials_found: dict[str, str] | None = (
            None if credentials is None else dict(credentials)
        )
        if settings is None and self.request_settings and credentials is not None:
            settings = {k: v for k, v in credentials.items() if k in self.request_settings}
        if settings is None and self.request_settings:
            settings = self._load(self.request_settings, self.request_settings, self.env)
        #: The values of :attr:`request_settings` that are known (absent ones left out).
        self.settings: Mapping[str, str] = dict(settings or {})

    def _set_timeout(self, platform: str) -> None:
        """CLARION_<PLATFORM>_TIMEOUT (seconds) overrides the default wait for one answer; an
        unusable value is said (a warning) and the default kept: a run is not stopped for it."""
        try:
            seconds = self.env.timeout(platform)
        except SettingsError as exc:
            log.warning("%s; using %g", exc, self.timeout_s)
            return
        if seconds is not None:
            self.timeout_s = seconds

    # --- credentials -------------------------------------------------------------------------

    def _load(
        self, names: Sequence[str], public: Sequence[str], env: Environment | None = None
    ) -> dict[str, str]:
        from clarion import credentials

        return credentials.load(
            self.platform_name, self.account, names=names, public=public, env=env
        )

    def credentials(self) -> Mapping[str, str]:
        """Every credential and setting of this account that is set (:attr:`secret_names`,
        :attr:`setting_names`), loaded once (the secrets registered for redaction) and kept.
        Only ``publish``, ``reconcile`` and ``check`` call it; the environment is read then (or
        the one the adapter was given), so credentials set after it was made are found."""
        if self._credentials_found is None:
            self._credentials_found = self._load(
                (*self.secret_names, *self.setting_names),
                public=self.setting_names,
                env=self._env_given,
            )
        return self._credentials_found

    def missing(self, names: Sequence[str], what: str) -> str | None:
        """None when every one of ``names`` is set; else which variables to set, in plain
        words (``what``: "Mastodon credentials")."""
        from clarion import credentials

        return credentials.missing(
            self.platform_name, self.account, self.credentials(), names, what
        )

    def build(self, d: Delivery, reply_to_id: str | None = None) -> Request:
        """The exact request for ``d``, without sending anything: what the preview, the dry run
        and the engine all use. ``reply_to_id``: the platform's id of the post ``d`` answers, once
        that is published (before then a reply shows a ``<id of KEY>`` placeholder).

        Its images are prepared for the platform here (:func:`clarion.platforms.images.prepare`:
        upright, without personal metadata, within the platform's limits), so the payload names
        the prepared files: what the preview shows is what is sent."""
        sent, images = self.prepared(d)
        payload = self.payload(sent, reply_to_id)
        return Request(
            self.platform_name,
            self.account,
            d.key,
            payload,
            due=d.at.isoformat(),
            images=images,
        )

    def descriptor(self) -> type[Platform]:
        """The platform with this account's server limits, when ``accounts check`` read them."""
        from clarion import platforms
        from clarion.platforms import limits

        try:
            return limits.for_account(self.platform_name, self.account)
        except platforms.UnknownPlatformError:
            own: type[Platform] = getattr(self, "_platform", None) or self.platform
            return own

    def prepared(self, d: Delivery) -> tuple[Delivery, tuple[dict[str, Any], ...]]:
        """``d`` with each image replaced by the file prepared for this platform, and what each
        prepared image is. An image that cannot be read or prepared is left as it is: validation
        and the engine's last check (:mod:`clarion.engine.checks`) refuse it first."""
        if not d.media:
            return d, ()
        from dataclasses import replace

        from clarion.delivery import Media
        from clarion.platforms import images

        platform = self.descriptor()
        media: list[Media] = []
        shown: list[dict[str, Any]] = []
        for m in d.media:
            try:
                p = images.prepare(m.file, platform, m.sha256 or None)
            except (OSError, images.ImageError) as exc:
                log.warning(
                    "%s: %s could not be prepared for %s: %s", d.key, m.path, platform.label, exc
                )
                media.append(m)
                continue
            media.append(Media(m.path, m.alt, p.file, p.sha256))
            shown.append({"path": m.path, **p.as_json()})
        content = replace(d.content, media=tuple(media))
        return replace(d, content=content), tuple(shown)

    @property
    def platform_name(self) -> str:
        return self.platform.name

    @abstractmethod
    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        """The platform's own request for ``d``, as JSON-serialisable data."""

    @abstractmethod
    def publish(self, request: Request) -> Outcome:
        """Send it; say what happened."""

    def reconcile(self, request: Request) -> ReconcileOutcome:
        """After an unknown outcome: does the platform have this post? Default: cannot tell."""
        return Unknown(f"{self.platform.label} gives no way to look the post up; check by hand")

    def check(self) -> AccountStatus:
        return AccountStatus(self.platform.name, self.account, False, problem="not implemented")

    def counts(self, posts: Sequence[Target]) -> CountsOutcome:
        """How each of ``posts`` did (at most the platform's ``metrics_batch`` of them, all of
        this account), read from the platform: the counts of its descriptor's ``metrics``.
        Default: the platform gives Clarion no counts."""
        return Failed(f"Clarion cannot read {self.platform.label}'s counts yet")


class DryRunAdapter(Adapter):
    """Builds a neutral payload and never sends. Used when a platform has no adapter yet."""

    def __init__(
        self, platform: type[Platform], account: str = "default", *, env: Environment | None = None
    ) -> None:
        self._platform = platform
        super().__init__(account, env=env, settings={})

    @property
    def platform_name(self) -> str:
        return self._platform.name

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": d.text}
        if d.media:
            payload["media"] = [{"file": m.file, "alt": m.alt} for m in d.media]
        if d.thread_index:
            payload["in_reply_to"] = reply_to_id or f"<id of {d.reply_to}>"
        payload["idempotency_key"] = d.idempotency_key
        return payload

    def publish(self, request: Request) -> Outcome:  # pragma: no cover - never called
        raise RuntimeError("the dry-run adapter never sends")


class AdapterError(Exception):
    """An adapter named in ``CLARION_ADAPTERS`` cannot be used; the message says what to fix."""


def adapter_class(platform: str, env: Environment | None = None) -> type[Adapter] | None:
    """The adapter class for ``platform``: ``CLARION_ADAPTERS`` overrides (``x=mod:Class,*=mod:C``)
    for tests and plugins, then the platform's own (:attr:`Platform.adapter`). None when the
    platform has none. :class:`AdapterError` (plain words) when ``CLARION_ADAPTERS`` is not of
    that form or names an adapter that cannot be loaded."""
    from clarion import platforms

    try:
        spec = platforms.get(platform).adapter
        own = True
    except platforms.UnknownPlatformError:
        spec, own = "", False
    try:
        overrides = (env_settings.environ() if env is None else env).adapters
    except SettingsError as exc:
        raise AdapterError(str(exc)) from None
    for name in ("*", platform):
        if name in overrides:
            spec, own = overrides[name], False
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except Exception as exc:
        if own:
            raise
        raise AdapterError(
            f"the adapter {spec} named in {env_settings.ADAPTERS} for {platform} cannot be "
            f"loaded ({type(exc).__name__}: {exc}); correct or remove that entry"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise AdapterError(
            f"{spec} named in {env_settings.ADAPTERS} for {platform} is not an adapter class "
            "(a subclass of clarion.platforms.adapter.Adapter)"
        )
    return cls
