"""The full, checked settings: a pydantic-settings model built from an
:class:`~clarion.settings.Environment` snapshot (see :mod:`clarion.settings` for why there are two
layers). Importing this module imports pydantic; :func:`clarion.settings.load` does it only when a
command needs every setting checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from clarion.settings import environment as env_settings
from clarion.settings.environment import Environment, SettingsError

__all__ = ["Settings", "from_environment"]


class _SnapshotSource(PydanticBaseSettingsSource):
    """Serves the model from a snapshot, raw strings as written (the validators parse them)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Environment) -> None:
        super().__init__(settings_cls)
        self._env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "timeouts":
            return self._env.timeouts(), field_name, False
        return self._env.get(f"{env_settings.PREFIX}{field_name.upper()}"), field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None and value != {}:
                found[key] = value
        return found


class Settings(BaseSettings):
    """Clarion's settings from ``CLARION_*`` variables (credentials excepted:
    :mod:`clarion.credentials`)."""

    model_config = SettingsConfigDict(env_prefix=env_settings.PREFIX, frozen=True, extra="ignore")

    #: ``CLARION_DATABASE_URL``: the ledger (None: the SQLite file in the user's data folder).
    database_url: str | None = None
    #: ``CLARION_ENV_FILE``: the ``.env`` file credentials are read from.
    env_file: Path = Field(default=Path(".env"), validate_default=True)
    #: ``CLARION_LOG_STDERR``: log to the terminal too.
    log_stderr: bool = False
    #: ``CLARION_FAILPOINTS``: where tests make a run kill itself.
    failpoints: frozenset[str] = frozenset()
    #: ``CLARION_ADAPTERS``: platform (or ``*``) -> "module:Class" of the adapter to use.
    adapters: dict[str, str] = {}
    #: ``CLARION_WORKERS``: how many deliveries one run sends at once.
    workers: int = env_settings.DEFAULT_WORKERS
    #: ``CLARION_<PLATFORM>_TIMEOUT``: platform -> seconds to wait for one answer.
    timeouts: dict[str, float] = {}
    #: ``CLARION_DIGEST_AT``: (hour, minute, zone or None) the daemon sends the daily digest.
    #: (``CLARION_NOTIFY`` holds secrets: read with the .env file and keyring by clarion.alerts.)
    digest_at: tuple[int, int, str | None] | None = None
    #: ``CLARION_TOKEN_STORE``: where renewed tokens are kept (auto, file, keyring).
    token_store: str = "auto"  # noqa: S105 (a place, not a secret)
    #: ``CLARION_BLUESKY_APPVIEW``: the Bluesky AppView counts are read from.
    bluesky_appview: str = env_settings.DEFAULT_BLUESKY_APPVIEW

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the values given (from a snapshot): never os.environ or a .env file behind the
        # snapshot's back (the .env file holds credentials, which clarion.credentials reads).
        return (init_settings,)

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        return env_settings.parse_database_url(value) if isinstance(value, str) else value

    @field_validator("env_file", mode="before")
    @classmethod
    def _env_file(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return Path(str(value).strip() or ".env").expanduser().absolute()
        return value

    @field_validator("log_stderr", mode="before")
    @classmethod
    def _log_stderr(cls, value: Any) -> Any:
        return env_settings.parse_flag(value) if isinstance(value, str) else value

    @field_validator("failpoints", mode="before")
    @classmethod
    def _failpoints(cls, value: Any) -> Any:
        return env_settings.parse_failpoints(value) if isinstance(value, str) else value

    @field_validator("adapters", mode="before")
    @classmethod
    def _adapters(cls, value: Any) -> Any:
        return env_settings.parse_adapters(value) if isinstance(value, str) else value

    @field_validator("token_store", mode="before")
    @classmethod
    def _token_store(cls, value: Any) -> Any:
        return env_settings.parse_token_store(value) if isinstance(value, str) else value

    @field_validator("digest_at", mode="before")
    @classmethod
    def _digest_at(cls, value: Any) -> Any:
        return env_settings.parse_digest_at(value) if isinstance(value, str) else value

    @field_validator("bluesky_appview", mode="before")
    @classmethod
    def _bluesky_appview(cls, value: Any) -> Any:
        return env_settings.parse_appview(value) if isinstance(value, str) else value

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: Any) -> Any:
        return env_settings.parse_workers(value) if isinstance(value, str) else value

    @field_validator("timeouts", mode="before")
    @classmethod
    def _timeouts(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        seconds: dict[str, float] = {}
        problems: list[str] = []
        for platform, raw in value.items():
            variable = env_settings.platform_variable(platform, "timeout")
            try:
                seconds[platform] = env_settings.parse_seconds(variable, str(raw))
            except SettingsError as exc:
                problems += exc.problems
        if problems:
            raise SettingsError(problems)
        return seconds


def _words(error: ValidationError) -> list[str]:
    """Plain words for each failed field: our own message, or the variable and what it needs."""
    said: list[str] = []
    for item in error.errors(include_url=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):
            said += cause.problems
            continue
        field = str(item["loc"][0]) if item.get("loc") else "a setting"
        said.append(f"{env_settings.PREFIX}{field.upper()}: {item['msg']}")
    return said


def from_environment(env: Environment) -> Settings:
    source = _SnapshotSource(Settings, env)
    try:
        return Settings(**source())
    except ValidationError as exc:
        raise SettingsError(_words(exc)) from None
