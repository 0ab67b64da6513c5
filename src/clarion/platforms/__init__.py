"""The registry of platforms Clarion knows: the one place that lists them.

Each platform lives in its own folder (``clarion/platforms/<name>/``) and declares everything about
itself on one class (:class:`clarion.platforms.base.Platform`: labels, card style, limits and
counting rules, text entities, quote addresses, credentials, its adapter). Adding a platform is
that folder plus one line in :data:`BUILTIN`; a package outside Clarion adds one through the
``clarion.platforms`` entry point group (``pigeon = "clarion_pigeon:Pigeon"``), and tests through
:func:`register`.

Modules are imported only when a platform is actually used, so a command that touches only
Mastodon never pays for X's or Bluesky's code, and installed plugins are looked for only when a
name is not a built-in one or the whole list is needed (never by ``clarion --help`` or a
``validate`` of built-in platforms).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from clarion.platforms.base import Platform


def _warn(message: str, *args: object) -> None:
    """Log a warning (``logging`` imported only then: it is start-up time otherwise)."""
    import logging

    logging.getLogger("clarion.platforms").warning(message, *args)


#: Built-in platforms: name -> "module:Class" of its descriptor. The order is the order they are
#: shown in (plugins follow, in the order they are found).
BUILTIN: dict[str, str] = {
    "x": "clarion.platforms.x.rules:X",
    "facebook": "clarion.platforms.facebook.platform:Facebook",
    "mastodon": "clarion.platforms.mastodon.rules:Mastodon",
    "bluesky": "clarion.platforms.bluesky._rules:Bluesky",
    "instagram": "clarion.platforms.instagram.rules:Instagram",
    "linkedin": "clarion.platforms.linkedin.rules:LinkedIn",
    "threads": "clarion.platforms.threads.rules:Threads",
}

#: The entry point group through which installed packages add platforms.
ENTRY_POINT_GROUP = "clarion.platforms"

#: What a platform's name may be: it becomes part of delivery keys, CSS classes and
#: ``CLARION_<PLATFORM>_...`` variable names.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class UnknownPlatformError(KeyError):
    """Raised for a platform name that is not in :data:`REGISTRY`."""


class _Registry(Mapping[str, str]):
    """Name -> "module:Class": the built-in platforms, then registered ones, then plugins (read
    from the entry points the first time a name is not found, or the whole list is asked for)."""

    def __init__(self) -> None:
        self._specs: dict[str, str] = dict(BUILTIN)
        self._classes: dict[str, type[Platform]] = {}
        self._plugins_read = False

    def __getitem__(self, name: str) -> str:
        if name not in self._specs and not self._plugins_read:
            self._read_plugins()
        return self._specs[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name not in self._specs and not self._plugins_read:
            self._read_plugins()
        if name in BUILTIN or name in self._classes:
            return name in self._specs
        try:  # a plugin's name counts once its class loads (a broken one is unknown)
            self.get_class(name)
        except UnknownPlatformError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        self._read_plugins()
        return iter(list(self._specs))

    def __len__(self) -> int:
        self._read_plugins()
        return len(self._specs)

    def _read_plugins(self) -> None:
        if self._plugins_read:
            return
        self._plugins_read = True
        from importlib.metadata import entry_points

        try:
            found = list(entry_points(group=ENTRY_POINT_GROUP))
        except Exception as exc:  # a broken installed package must not stop Clarion
            _warn("could not read the installed platform plugins: %s", exc)
            return
        for ep in found:
            where = getattr(ep.dist, "name", None) or "an installed package"
            if not _NAME.fullmatch(ep.name):
                _warn("ignoring platform %r from %s: not a usable name", ep.name, where)
            elif ep.name in self._specs:
                _warn("ignoring platform %r from %s: Clarion has one", ep.name, where)
            else:
                self._specs[ep.name] = ep.value

    def get_class(self, name: str) -> type[Platform]:
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        try:
            target = self[name]
        except KeyError:
            raise UnknownPlatformError(name) from None
        try:
            cls = _load(name, target)
        except UnknownPlatformError:
            if name not in BUILTIN:
                self._specs.pop(name, None)  # said once (logged); unknown from now on
            raise
        self._classes[name] = cls
        return cls

    def add(self, cls: type[Platform], spec: str) -> None:
        self._specs[cls.name] = spec
        self._classes[cls.name] = cls

    def remove(self, name: str) -> None:
        """Forget ``name``; a built-in platform goes back to its own class."""
        self._classes.pop(name, None)
        if name in BUILTIN:
            self._specs[name] = BUILTIN[name]
        else:
            self._specs.pop(name, None)


def _load(name: str, target: str) -> type[Platform]:
    from clarion.platforms.base import Platform

    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # a plugin that cannot load is an unknown platform, said so once
        _warn("platform %r (%s) could not be loaded: %s", name, target, exc)
        raise UnknownPlatformError(name) from None
    if not (isinstance(cls, type) and issubclass(cls, Platform)) or cls.name != name:
        _warn("platform %r (%s) is not a Platform class named %r", name, target, name)
        raise UnknownPlatformError(name)
    return cls


#: Every platform Clarion knows: name -> "module:Class" of its descriptor.
REGISTRY = _Registry()


class _Names(Sequence[str]):
    """The names of every known platform, in order, read from :data:`REGISTRY` when used (so a
    platform registered later is in it)."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return tuple(REGISTRY)[index]

    def __len__(self) -> int:
        return len(REGISTRY)

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __contains__(self, name: object) -> bool:
        return name in REGISTRY

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        return tuple(REGISTRY).index(value, start, len(self) if stop is None else stop)

    def __repr__(self) -> str:
        return repr(tuple(REGISTRY))


class _Aliases(Mapping[str, str]):
    """Names people may write that mean a known platform ("twitter" -> "x"), from every
    platform's ``aliases`` (read, importing each descriptor, on first use: error messages only)."""

    def _table(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for name in REGISTRY:
            try:
                cls = get(name)
            except UnknownPlatformError:
                continue
            for alias in cls.aliases:
                if alias not in REGISTRY:
                    table.setdefault(alias.lower(), name)
        return table

    def __getitem__(self, alias: str) -> str:
        return self._table()[alias]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


#: The names of every known platform (built-in first, then registered and installed ones).
NAMES: Sequence[str] = _Names()
#: Other names people write for a known platform -> its name (suggested in error messages).
ALIASES: Mapping[str, str] = _Aliases()


def suggest(name: str) -> str | None:
    """The known platform someone probably meant by ``name`` (an alias, or a close spelling)."""
    import difflib

    hint = ALIASES.get(name.lower())
    if hint is None:
        close = difflib.get_close_matches(name.lower(), names(), n=1)
        hint = close[0] if close else None
    return hint


def names() -> tuple[str, ...]:
    """Every known platform's name, in order."""
    return tuple(REGISTRY)


def get(name: str) -> type[Platform]:
    """The platform class for ``name``, importing its module on first use."""
    return REGISTRY.get_class(name)


def register(platform: type[Platform] | str) -> type[Platform]:
    """Add a platform: its class, or its "module:Class". For tests and embedding programs;
    installed packages use the ``clarion.platforms`` entry point group instead. A platform of
    the same name is replaced."""
    from clarion.platforms.base import Platform

    if isinstance(platform, str):
        module_name, _, attr = platform.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        spec = platform
    else:
        cls, spec = platform, f"{platform.__module__}:{platform.__qualname__}"
    if not (isinstance(cls, type) and issubclass(cls, Platform)):
        raise TypeError(f"{spec} is not a subclass of clarion.platforms.base.Platform")
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{spec}: a platform's name is lower-case letters, digits and _")
    if not getattr(cls, "label", ""):
        raise ValueError(f"{spec}: a platform needs a label")
    REGISTRY.add(cls, spec)
    return cls


def unregister(name: str) -> None:
    """Undo :func:`register` (tests): forget ``name``, or give a built-in back its own class."""
    REGISTRY.remove(name)
