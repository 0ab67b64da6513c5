"""What every platform declares: its limits, its counting rules, how a post is shaped for it.

One class per platform (in its own module) subclasses :class:`Platform`. Validation, the planner,
the preview and (later) the publisher all read limits and counts from these classes, so each fact
about a platform is written down exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple


class LengthCheck(NamedTuple):
    """How long a text is by a platform's rules, and any limit it breaks."""

    length: int
    limit: int
    #: Plain-words descriptions of every limit the text breaks ("312 characters, the limit is 300").
    over: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return not self.over


class Platform:
    """A social platform: limits and counting rules. Subclasses set every ``ClassVar``."""

    #: Short name used in campaign files and delivery keys ("x", "mastodon").
    name: ClassVar[str]
    #: Name people know it by ("X", "Facebook Page").
    label: ClassVar[str]
    #: Main text limit, in :attr:`length_unit`.
    max_length: ClassVar[int]
    #: What :attr:`max_length` counts ("weighted characters", "characters", "graphemes").
    length_unit: ClassVar[str] = "characters"
    #: Images one post can carry.
    max_images: ClassVar[int]
    #: Largest image file the platform accepts, in bytes.
    max_image_bytes: ClassVar[int]
    #: Image MIME types the platform accepts.
    image_types: ClassVar[frozenset[str]]
    #: Whether the platform shows alt text for images.
    supports_alt_text: ClassVar[bool] = True
    #: Longest alt text the platform accepts, in characters.
    max_alt_length: ClassVar[int] = 1000
    #: Whether a post can be answered by its own follow-up parts (a thread).
    supports_threads: ClassVar[bool] = True

    @classmethod
    def count(cls, text: str) -> int:
        """The length of ``text`` by this platform's own rules."""
        raise NotImplementedError

    @classmethod
    def check_length(cls, text: str) -> LengthCheck:
        """Count ``text`` and describe every limit it breaks, in plain words."""
        length = cls.count(text)
        over: tuple[str, ...] = ()
        if length > cls.max_length:
            over = (f"{length} {cls.length_unit}, the limit is {cls.max_length}",)
        return LengthCheck(length, cls.max_length, over)

    @classmethod
    def join_thread(cls, parts: Sequence[str]) -> str:
        """For platforms without threads: the single post a thread's parts become."""
        return "\n\n".join(parts)
