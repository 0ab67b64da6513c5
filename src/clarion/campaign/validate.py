"""Checks that need the whole campaign: time zone, dates, times, ids, platforms, links, images.

Every problem is collected (never just the first) and points at the YAML node it is about. The
checks that need a plan (lengths) or drawn quote cards are run by :mod:`clarion.checking`, which
calls these first.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfoNotFoundError

from clarion import platforms
from clarion.campaign import media, photos, publishing
from clarion.campaign.items import item_ids, item_platforms
from clarion.campaign.items import items as _items
from clarion.campaign.load import Loaded
from clarion.campaign.model import Campaign, Image, Post
from clarion.campaign.problems import Problem
from clarion.campaign.schedule import LocalTimeError, slots, to_utc, zone
from clarion.campaign.yamlsafe import Path_
from clarion.platforms.base import Platform

_HASHTAG = re.compile(r"^#\w+$")
_LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


PlatformFor = Callable[[str, str], type[Platform]]


def check(loaded: Loaded, add: AddFn) -> None:
    """Every problem of one loaded campaign that needs no drawn card, no plan and no image file:
    time zone, dates, times, platforms, hashtags, ids, templates, accounts, quotes, links."""
    c = loaded.campaign
    tz_ok = _check_timezone(c, add)
    dates_ok = c.dates.end >= c.dates.start
    if not dates_ok:
        add(
            ("dates", "end"),
            f"The campaign ends ({c.dates.end}) before it starts "
            f"({c.dates.start}). Swap the dates or correct one of them.",
        )
    _check_platforms(c, add)
    _check_hashtags(c, add)
    _check_ids(c, add)
    _check_template(c, add)
    publishing.check(c, list(_items(c)), add)
    for path, item in _items(c):
        if isinstance(item, Post) and item.link is not None:
            _check_link(item.link, (*path, "link"), add)
        for name, variant in item.variants.items():
            if variant.link is not None:
                _check_link(variant.link, (*path, "variants", name, "link"), add)
    placed, slot_problems = slots(c)
    for sp in slot_problems if dates_ok else ():  # with the dates reversed, no post can fit:
        add(sp.path, sp.message)  # one problem (the dates), not one more for every post
    if tz_ok:
        tz = zone(c.timezone)
        for slot in placed:
            try:
                to_utc(slot.local, tz)
            except LocalTimeError as exc:
                add(slot.time_path, str(exc))


def adder(loaded: Loaded, out: list[Problem]) -> AddFn:
    """An ``add(path, message)`` that records a problem at ``path``'s place in the file."""

    def add(path: Path_, message: str, *, key: bool = False) -> None:
        out.append(loaded.source.at(path, message, key=key))

    return add


class AddFn(Protocol):
    def __call__(self, path: Path_, message: str, *, key: bool = False) -> None: ...


def _check_timezone(c: Campaign, add: AddFn) -> bool:
    try:
        zone(c.timezone)
    except ZoneInfoNotFoundError:
        from clarion.campaign.zonewords import unknown_zone

        add(("timezone",), unknown_zone(c.timezone))
        return False
    if c.timezone in ("GMT", "EST"):  # the names people write for London's or New York's clock
        from clarion.campaign.zonewords import fixed_zone

        said = fixed_zone(c.timezone, c.dates.start, c.dates.end)
        if said is not None:
            add(("timezone",), said)
            return False
    return True


def _unknown_platform(name: str) -> str:
    hint = platforms.suggest(name)
    known = ", ".join(platforms.NAMES)
    return (
        f"Clarion doesn't know the platform `{name}`."
        + (f" Did you mean `{hint}`?" if hint else "")
        + f" Platforms: {known}."
    )


def _check_platforms(c: Campaign, add: AddFn) -> None:
    lists: list[tuple[Path_, list[str]]] = [(("platforms",), c.platforms)]
    for path, item in _items(c):
        if item.platforms is not None:
            lists.append(((*path, "platforms"), item.platforms))
            if not item.platforms:
                add(
                    (*path, "platforms"),
                    "This list of platforms is empty; remove the line to "
                    "use the campaign's platforms, or name at least one.",
                )
        targets = item_platforms(c, item)
        # With a platform misspelt (`twitter`), a variant for the one meant (`x`) is no second
        # problem: the misspelt name is the one to fix.
        misspelt = any(t not in platforms.REGISTRY for t in targets)
        for name in item.variants:
            vpath = (*path, "variants", name)
            if name not in platforms.REGISTRY:
                add(vpath, _unknown_platform(name), key=True)
            elif name not in targets and not misspelt:
                add(
                    vpath,
                    f"There is a variant for {name}, but this post does not go to {name}. "
                    f"Add {name} to its `platforms` or remove the variant.",
                    key=True,
                )
    for path, names in lists:
        seen: set[str] = set()
        for j, name in enumerate(names):
            if name not in platforms.REGISTRY:
                add((*path, j), _unknown_platform(name))
            elif name in seen:
                add((*path, j), f"`{name}` is listed twice.")
            seen.add(name)


def _check_hashtags(c: Campaign, add: AddFn) -> None:
    lists: list[tuple[Path_, list[str]]] = [(("hashtags",), c.hashtags)]
    for path, item in _items(c):
        if item.hashtags is not None:
            lists.append(((*path, "hashtags"), item.hashtags))
        for name, variant in item.variants.items():
            if variant.hashtags is not None:
                lists.append(((*path, "variants", name, "hashtags"), variant.hashtags))
    for path, tags in lists:
        for j, tag in enumerate(tags):
            if not _HASHTAG.match(tag):
                fixed = "#" + re.sub(r"[^\w]", "", tag)
                add(
                    (*path, j),
                    f"`{tag}` is not a hashtag: a hashtag starts with # and has no "
                    f'spaces or punctuation, e.g. "{fixed}". Quote it: "#Tag" (YAML reads an '
                    "unquoted # as the start of a comment).",
                )


def _check_ids(c: Campaign, add: AddFn) -> None:
    seen: dict[str, Path_] = {}
    for path, item_id in item_ids(c):
        if item_id in seen:
            first = seen[item_id]
            add(
                (*path, "id") if _explicit_id(c, path) else path,
                f"The id `{item_id}` is used twice (also by the "
                f"{'quote' if first[0] == 'quotes' else 'post'} number {first[-1] + 1}"  # type: ignore[operator]
                "). Ids must be unique within a campaign: change one.",
            )
        else:
            seen[item_id] = path


def _explicit_id(c: Campaign, path: Path_) -> bool:
    if path[0] == "posts":
        return c.posts[path[1]].id is not None  # type: ignore[index]
    assert c.quotes is not None
    return c.quotes.items[path[2]].id is not None  # type: ignore[index]


def _check_template(c: Campaign, add: AddFn) -> None:
    if c.quotes is None:
        return
    try:
        parsed = [
            (f, spec, conv) for _, f, spec, conv in string.Formatter().parse(c.quotes.template)
        ]
    except ValueError:
        add(
            ("quotes", "template"),
            "The template has an unmatched `{` or `}`. Use {quote}, "
            "{name} and {role}; write {{ or }} for a literal brace.",
        )
        return
    fields = {f for f, _, _ in parsed if f is not None}
    for f, spec, conv in parsed:
        if f is not None and (spec or conv):  # {quote:>99999} would pad, {quote!z} cannot be
            add(
                ("quotes", "template"),
                f"The template writes `{{{f}{'!' + conv if conv else ''}"
                f"{':' + spec if spec else ''}}}`; Clarion fills in only plain {{quote}}, "
                "{name} and {role}. Remove what follows the name inside the braces.",
            )
            return
    unknown = sorted(fields - {"quote", "name", "role"})
    if unknown:
        add(
            ("quotes", "template"),
            f"The template uses {{{unknown[0]}}}, which Clarion cannot "
            "fill in. Use only {quote}, {name} and {role}.",
        )
    if "quote" not in fields:
        add(("quotes", "template"), "The template never shows the quote: put {quote} in it.")
    if "role" in fields:
        for k, item in enumerate(c.quotes.items):
            if not item.role:
                add(
                    ("quotes", "items", k),
                    "This quote has no `role`, but the template uses "
                    "{role}. Add a `role:` or give this quote a variant text.",
                )


def _check_link(link: str, path: Path_, add: AddFn) -> None:
    if not _LINK.match(link):
        add(path, f"`{link}` is not a web link; write it in full, starting with https://.")


def check_images(loaded: Loaded, platform_for: PlatformFor, add: AddFn) -> None:
    c = loaded.campaign
    inspected: dict[str, media.MediaFile | str] = {}
    photos.warm(loaded, platform_for)
    for gpath, images, names in photos.image_groups(c):
        for name in names:
            p = platform_for(name, c.accounts.get(name, "default"))
            if len(images) > p.max_images:
                add(
                    gpath,
                    f"{len(images)} images, but {p.label} takes at most "
                    f"{p.max_images} per post. Remove some, or give {name} a variant "
                    "with fewer images.",
                )
        for j, image in enumerate(images):
            _check_image(loaded, image, (*gpath, j), names, inspected, platform_for, add)


def _check_image(
    loaded: Loaded,
    image: Image,
    path: Path_,
    names: list[str],
    inspected: dict[str, media.MediaFile | str],
    platform_for: PlatformFor,
    add: AddFn,
) -> None:
    if not (image.alt or "").strip():
        add(
            path,
            f"The image `{image.path}` has no alt text. Add `alt:` describing what it "
            "shows, for people who use screen readers.",
        )
    else:
        for name in names:
            p = platform_for(name, loaded.campaign.accounts.get(name, "default"))
            if len(image.alt or "") > p.max_alt_length:
                add(
                    (*path, "alt"),
                    f"This alt text is {len(image.alt or '')} characters; "
                    f"{p.label} accepts at most {p.max_alt_length}.",
                )
    if image.path not in inspected:
        try:
            inspected[image.path] = media.inspect(media.resolve(loaded.source.folder, image.path))
        except media.MediaError as exc:
            inspected[image.path] = str(exc)
        except OSError as exc:
            inspected[image.path] = f"Clarion could not read `{image.path}`: {exc.strerror}."
    info = inspected[image.path]
    if isinstance(info, str):
        add((*path, "path"), info)
        return
    for name in names:
        p = platform_for(name, loaded.campaign.accounts.get(name, "default"))
        why = photos.unfixable(info, p)
        if why is None:
            continue
        if info.mime not in p.image_types:
            accepted = ", ".join(sorted(media.NAMES.get(t, t) for t in p.image_types))
            add(
                (*path, "path"),
                f"`{image.path}` is {media.describe(info.mime)}; {p.label} "
                f"accepts {accepted}, and Clarion cannot convert this one ({why}). Convert "
                f"it, or give {name} a variant with another image.",
            )
        else:
            add(
                (*path, "path"),
                f"`{image.path}` cannot be sent to {p.label}: {why}. Save it again as a JPEG "
                f"or PNG photo, or give {name} a variant with another image.",
            )


def no_image(p: type[Platform]) -> str:
    """What to say of a post without an image for a platform that takes none without."""
    return (
        f"{p.label} takes no post without an image. Give this post an image (`images:` with "
        f"`alt:`), or a quote card, or leave {p.label} out of its `platforms`."
    )


def too_long(c: Campaign, p: type[Platform], over: tuple[str, ...]) -> str:
    """What to say of a text longer than ``p`` allows."""
    words = " and ".join(over)
    ways = f"add a shorter {p.label} variant (`variants: {{{p.name}: {{text: ...}}}}`)"
    if p.supports_threads and c.overflow != "thread":
        ways += ", or set `overflow: thread` to split it into a numbered thread"
    elif not p.supports_threads:
        ways += f" ({p.label} has no threads, so it cannot be split)"
    return f"Too long for {p.label}: {words}. Shorten it, {ways}."
