"""What validation says of photos: which can be made fit for each platform (Clarion prepares
every photo it sends, :mod:`clarion.platforms.images`), and notes of what will be done to them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

from clarion import platforms
from clarion.campaign import media
from clarion.campaign.items import item_platforms
from clarion.campaign.items import items as _items
from clarion.campaign.load import Loaded
from clarion.campaign.model import Campaign, Image, Post
from clarion.campaign.problems import Problem
from clarion.campaign.yamlsafe import Path_
from clarion.platforms.base import Platform

#: A platform as one account's server sets it (:func:`clarion.platforms.limits.for_account`).
PlatformFor = Callable[[str, str], type[Platform]]


def image_groups(c: Campaign) -> list[tuple[Path_, Sequence[Image], list[str]]]:
    """Every list of images in the campaign: where it is, and the platforms it goes to."""
    groups: list[tuple[Path_, Sequence[Image], list[str]]] = []
    for path, item in _items(c):
        targets = [p for p in item_platforms(c, item) if p in platforms.REGISTRY]
        overridden = {n for n, v in item.variants.items() if v.images is not None}
        groups.append(((*path, "images"), item.images, [t for t in targets if t not in overridden]))
        for name, variant in item.variants.items():
            if variant.images is not None and name in targets:
                groups.append(((*path, "variants", name, "images"), variant.images, [name]))
        if isinstance(item, Post):
            for j, part in enumerate(item.thread):
                groups.append(((*path, "thread", j, "images"), part.images, targets))
    return groups


def notes(loaded: Loaded, platform_for: PlatformFor) -> list[Problem]:
    """What will be done to each photo before it is sent (resized, converted, saved smaller,
    its location removed), one note per image and platform: shown, stopping nothing. Only for a
    campaign without problems (every image has been checked and can be prepared)."""
    from clarion.platforms import images as photos

    c = loaded.campaign
    out: list[Problem] = []
    said: set[tuple[str, str]] = set()
    for gpath, group, names in image_groups(c):
        for j, image in enumerate(group):
            try:
                file = media.resolve(loaded.source.folder, image.path)
                seen = photos.look(file)
            except (OSError, media.MediaError, photos.ImageError):
                continue
            where = (*gpath, j, "path")
            for name in names:
                p = platform_for(name, c.accounts.get(name, "default"))
                if (image.path, p.name) in said or not photos.reshaped(seen, p):
                    continue
                said.add((image.path, p.name))
                try:
                    made = photos.prepare(file, p)
                except (OSError, photos.ImageError):
                    continue
                out.append(loaded.source.at(where, "note: " + _reshaped_words(image, made, p)))
            if seen.located and (image.path, "") not in said:
                said.add((image.path, ""))
                out.append(
                    loaded.source.at(
                        where,
                        f"note: `{image.path}` records where it was taken (GPS); Clarion "
                        "removes that, and the camera's details, from every photo it sends.",
                    )
                )
    return out


def _reshaped_words(image: Image, made: object, p: type[Platform]) -> str:
    from clarion.platforms.images import Prepared, name_of

    assert isinstance(made, Prepared)
    steps = []
    centred = any(d.startswith("centred on") for d in made.done)
    if centred:
        steps.append(f"centred on white to a shape {p.label} takes")
    if (made.width, made.height) != (made.original_width, made.original_height):
        verb = "made" if centred else "resized to"
        steps.append(f"{verb} {made.width:,} × {made.height:,}")
    if any(d.startswith("converted") for d in made.done):
        steps.append(f"converted to {name_of(made.mime)}")
    steps.append(f"saved at {media.human_size(made.bytes)}")
    limits = [media.human_size(p.max_image_bytes)]
    if p.max_image_side:
        limits.append(f"{p.max_image_side:,} pixels a side")
    elif p.max_image_pixels:
        limits.append(f"{p.max_image_pixels:,} pixels")
    return (
        f"`{image.path}` will be {' and '.join(steps)} for {p.label} (it is "
        f"{media.human_size(made.original_bytes)}, {made.original_width:,} × "
        f"{made.original_height:,}; {p.label} takes up to {' and '.join(limits)})."
    )


def unfixable(info: media.MediaFile, p: type[Platform]) -> str | None:
    """Why ``info`` cannot be made fit for ``p`` (Clarion prepares every photo: upright, without
    its location, within the platform's limits), or None when it can be."""
    if info.mime == "image/svg+xml" or info.mime is None:
        return "it is not a photo Clarion can read"
    from clarion.platforms import images as photos

    try:
        seen = photos.look(info.file)
        if photos.reshaped(seen, p):  # (removing metadata alone cannot fail: not tried here)
            photos.prepare(info.file, p)
    except photos.ImageError as exc:
        return str(exc)
    except OSError as exc:
        return f"Clarion could not read it: {exc.strerror}"
    return None


def warm(loaded: Loaded, platform_for: PlatformFor) -> None:
    """Prepare, side by side (Pillow works outside Python's lock), every photo that will have to
    be resized or saved smaller for a platform, so the checks that follow find them made: a
    week of phone photos for four platforms takes half the time on two cores. What fails is left
    for those checks to report."""
    from concurrent.futures import ThreadPoolExecutor

    from clarion.platforms import images as photos

    c = loaded.campaign
    work: dict[tuple[str, str], tuple[object, type[Platform]]] = {}
    for _, group, names in image_groups(c):
        for image in group:
            try:
                file = media.resolve(loaded.source.folder, image.path)
                seen = photos.look(file)
            except (OSError, media.MediaError, photos.ImageError):
                continue
            for name in names:
                p = platform_for(name, c.accounts.get(name, "default"))
                if photos.reshaped(seen, p):
                    work.setdefault((str(file), photos.limits_key(p)), (file, p))
    if len(work) < 2:
        return

    def make(job: tuple[object, type[Platform]]) -> None:
        file, p = job
        with contextlib.suppress(OSError, photos.ImageError):
            photos.prepare(str(file), p)

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(make, work.values()))
