"""What every platform declares: its limits, its counting rules, how a post is shaped for it, how
its card looks, which post addresses it can quote, which credentials it needs and which adapter
talks to its API.

One class per platform, in the platform's own folder (``clarion/platforms/<name>/``), subclasses
:class:`Platform`, in the style of apprise's service classes: the class declares the facts, the
base class does the shared work. Validation, the planner, the previews, ``accounts`` and the
publisher all read these classes, so each fact about a platform is written down exactly once and
nothing outside the platform's folder names it (the registry, :mod:`clarion.platforms`, lists it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, NamedTuple

if TYPE_CHECKING:
    from clarion.platforms.metrics import Metric


class LengthCheck(NamedTuple):
    """How long a text is by a platform's rules, and any limit it breaks."""

    length: int
    limit: int
    #: Plain-words descriptions of every limit the text breaks ("312 characters, the limit is 300").
    over: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return not self.over


class Entity(NamedTuple):
    """A link, hashtag, mention or cashtag a platform marks in a post's text."""

    start: int  # index into the text (code points)
    end: int
    kind: str  # "link", "tag", "mention", "cashtag"
    href: str  # the link's target ("" for tags and mentions)
    #: How many of its characters the platform shows (the rest stays in the page, hidden, with
    #: the whole on hover): Mastodon shows ``@user@server`` as ``@user``. 0: all of them.
    shown: int = 0


#: What a card style value may not contain: it is written into the page's style sheet.
_UNSAFE_CSS = re.compile(r"[;{}<>\\]|/\*|\*/")


class CardStyle:
    """How the HTML preview draws a platform's cards (CSS values). Empty: the page's default.

    A plain class rather than a dataclass: every platform module makes one at import, and
    building a dataclass costs start-up time (``clarion validate``)."""

    __slots__ = (
        "avatar",
        "avatar_radius",
        "border",
        "brand",
        "font",
        "link",
        "radius",
        "shadow",
        "text",
        "underline_links",
    )

    def __init__(
        self,
        *,
        brand: str,
        link: str,
        avatar: str = "",
        avatar_radius: str = "",
        border: str = "",
        radius: str = "",
        shadow: str = "",
        font: str = "",
        text: str = "",
        underline_links: bool = False,
    ) -> None:
        #: The platform's colour: the label on its cards and its badge in the week at a glance.
        self.brand = brand
        #: Links, hashtags, mentions and cashtags.
        self.link = link
        #: The avatar's background (default: :attr:`brand`).
        self.avatar = avatar
        self.avatar_radius = avatar_radius
        self.border = border
        self.radius = radius
        self.shadow = shadow
        self.font = font
        self.text = text
        self.underline_links = underline_links
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, str) and _UNSAFE_CSS.search(value):
                raise ValueError(f"card style {name}={value!r} is not a plain CSS value")

    def css(self, name: str) -> str:
        """The style sheet's rules for cards and badges of platform ``name``."""
        p = f".p-{name}"
        card = [
            f"{prop}:{value}"
            for prop, value in (
                ("border-radius", self.radius),
                ("border-color", self.border),
                ("box-shadow", self.shadow),
                ("font-family", self.font),
                ("color", self.text),
            )
            if value
        ]
        avatar = [f"border-radius:{self.avatar_radius}"] if self.avatar_radius else []
        avatar.append(f"background:{self.avatar or self.brand}")
        rules = [f".b-{name},{p} .plat{{background:{self.brand}}}"]
        if card:
            rules.append(f"{p}{{{';'.join(card)}}}")
        rules.append(f"{p} .av{{{';'.join(avatar)}}}")
        kinds = ",".join(f"{p} .{kind}" for kind in ("lnk", "tag", "mention", "cashtag"))
        rules.append(f"{kinds}{{color:{self.link}}}")
        if self.underline_links:
            rules.append(f"{p} .lnk{{text-decoration:underline}}")
        return "\n".join(rules)


#: What a :class:`WriteLimit` counts (the keys of :meth:`Platform.write_cost`).
POSTS = "posts"
REQUESTS = "requests"
MEDIA_UPLOADS = "media uploads"
POINTS = "points"


class WriteLimit(NamedTuple):
    """One of a platform's published limits on writing: at most ``most`` ``unit`` in any
    ``window_s`` seconds (a sliding window)."""

    most: int
    window_s: int
    #: :data:`POSTS`, :data:`REQUESTS`, :data:`MEDIA_UPLOADS` or :data:`POINTS`.
    unit: str
    #: Empty: each account has its own allowance. Otherwise what the platform's accounts share
    #: it through, in words ("one developer app"): every account of the platform counts together.
    shared: str = ""
    #: Anything a person should know about the figure ("a server's default; yours may differ").
    note: str = ""


class Prices(NamedTuple):
    """What a platform charges for writing, in thousandths of a US dollar (mills), and when
    Clarion's figures were last checked against the platform's price list."""

    post: int
    #: A post whose text contains a link.
    post_with_link: int
    #: Setting one image's alt text (a request of its own), 0 when free.
    alt_text: int
    #: The date the figures were checked (ISO), and where.
    checked: str
    source: str
    #: Reading one post (its counts, for ``clarion report``), 0 when free.
    read_post: int = 0


class Platform:
    """A social platform. Subclasses set every ``ClassVar`` without a default."""

    # --- who it is ---------------------------------------------------------------------------

    #: Short name used in campaign files, delivery keys and variable names (``[a-z][a-z0-9_]*``).
    name: ClassVar[str]
    #: Name people know it by ("X", "Facebook Page").
    label: ClassVar[str]
    #: A label for narrow tables (at most 9 characters; default: :attr:`label`).
    short_label: ClassVar[str] = ""
    #: A badge's text in the HTML week at a glance ("FB"; default: :attr:`short_label`).
    abbreviation: ClassVar[str] = ""
    #: Other names people write for it ("twitter"): suggested when a campaign uses one.
    aliases: ClassVar[tuple[str, ...]] = ()
    #: How its cards look in the HTML preview.
    style: ClassVar[CardStyle] = CardStyle(brand="#3b4754", link="#1a6dbf")

    # --- limits and counting -----------------------------------------------------------------

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
    #: Most pixels (width × height) an image is sent with; larger photos are scaled down to fit
    #: (:mod:`clarion.platforms.images`). None: no limit.
    max_image_pixels: ClassVar[int | None] = None
    #: Longest side, in pixels, an image is sent with (larger ones are scaled down); None: none.
    max_image_side: ClassVar[int | None] = None
    #: Narrowest and widest shape (width / height) an image is sent with, e.g. (0.8, 1.91);
    #: others are padded to fit (:mod:`clarion.platforms.images`). None: any shape.
    image_aspect: ClassVar[tuple[float, float] | None] = None
    #: The platform publishes no post without an image (Instagram): validation refuses one.
    needs_image: ClassVar[bool] = False
    #: The platform fetches each image from a public address instead of taking an upload
    #: (:mod:`clarion.platforms.public_media`): the account's ``media_base_url``.
    media_by_url: ClassVar[bool] = False
    #: Whether the platform shows alt text for images.
    supports_alt_text: ClassVar[bool] = True
    #: Longest alt text the platform accepts, in characters.
    max_alt_length: ClassVar[int] = 1000
    #: Whether a post can be answered by its own follow-up parts (a thread).
    supports_threads: ClassVar[bool] = True
    #: How many characters of a link (after ``https://www.``) a post shows before cutting it
    #: with an ellipsis; None: links show as written.
    shown_url_chars: ClassVar[int | None] = None

    @classmethod
    def shown_link(cls, url: str) -> str | None:
        """The words a post shows for the link ``url`` when the platform writes links other
        than as they are typed (Bluesky shows a tagged link short); None: as typed."""
        return None

    # --- write limits and prices ------------------------------------------------------------

    #: The platform's published limits on writing (``validate`` and ``accounts check`` warn
    #: before the week when a plan would go over one); empty: none known.
    write_limits: ClassVar[tuple[WriteLimit, ...]] = ()
    #: What writing costs, where the platform charges for it (None: it does not).
    prices: ClassVar[Prices | None] = None

    # --- what it counts (``clarion report``) -----------------------------------------------

    #: The counts it gives for a post (:mod:`clarion.platforms.metrics`); empty: Clarion cannot
    #: read its counts.
    metrics: ClassVar[tuple[Metric, ...]] = ()
    #: Most posts one call reads the counts of.
    metrics_batch: ClassVar[int] = 1
    #: Calls for counts made at once, per account, within the platform's rate limits.
    metrics_parallel: ClassVar[int] = 2
    #: What its counts leave out or mean differently, in plain words, for the report's
    #: "what the numbers mean" ("Mastodon counts no views").
    metrics_note: ClassVar[str] = ""

    # --- quoting -----------------------------------------------------------------------------

    #: Regular expressions of its post addresses (groups ``author`` and ``post``); empty: its
    #: posts cannot quote another post. Compiled on first use (:mod:`clarion.platforms.quoting`).
    quote_urls: ClassVar[tuple[str, ...]] = ()
    #: What such an address looks like, for error messages.
    quote_example: ClassVar[str] = ""

    # --- publishing --------------------------------------------------------------------------

    #: Secret credential names (``clarion.credentials``: ``CLARION_<PLATFORM>_<NAME>``), e.g.
    #: ("access_token",). ``clarion accounts login`` asks for these, without echo.
    secret_names: ClassVar[tuple[str, ...]] = ()
    #: Settings that are not secret (a server's address, an account id); shown, never redacted.
    setting_names: ClassVar[tuple[str, ...]] = ()
    #: How a person renews an account's key before it expires (``{account}`` is replaced by
    #: the account's name); empty: the general advice (a new key, then ``accounts login``).
    renew_steps: ClassVar[str] = ""
    #: The adapter that talks to its API, as "module:Class", imported only when a run sends
    #: (``CLARION_ADAPTERS`` overrides it); "" when Clarion cannot publish there yet.
    adapter: ClassVar[str] = ""
    #: ``clarion accounts login --oauth2``: "module:function" of the platform's browser login,
    #: called as ``function(account, port=..., paste=..., echo=...)`` and returning an exit
    #: status; "" when it has none.
    oauth2_login: ClassVar[str] = ""
    #: Credential names only that login asks for (the plain ``accounts login`` skips them).
    oauth2_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        label = getattr(cls, "label", "")
        if "short_label" not in cls.__dict__ and not cls.short_label:
            cls.short_label = label
        if "abbreviation" not in cls.__dict__ and not cls.abbreviation:
            cls.abbreviation = cls.short_label or label

    @classmethod
    def with_quota(cls, most: int, window_s: int) -> type[Platform]:
        """This platform with the publishing quota the platform reported for one account
        (``accounts check`` saves it, :mod:`clarion.platforms.limits`): its posts limit
        replaced, so the week's plan is measured against the account's own figure."""
        kept = tuple(w for w in cls.write_limits if w.unit != POSTS)
        note = "the quota the platform reported for this account (`accounts check`)"
        limit = WriteLimit(most, window_s, POSTS, note=note)
        return type(cls.__name__, (cls,), {"write_limits": (limit, *kept)})

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
    def write_cost(cls, images: int) -> dict[str, int]:
        """What sending one post (or thread reply) with ``images`` images uses of each unit a
        :class:`WriteLimit` counts. The default: one post, each image uploaded by a request of
        its own, then the post's request."""
        return {POSTS: 1, REQUESTS: 1 + images, MEDIA_UPLOADS: images}

    @classmethod
    def join_thread(cls, parts: Sequence[str]) -> str:
        """For platforms without threads: the single post a thread's parts become."""
        return "\n\n".join(parts)

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        """What the platform marks in ``text`` (the HTML preview highlights them), in any order.

        The default: links written with ``http(s)://`` and ``#hashtags``, as most platforms
        mark them. Platforms with their own rules override this."""
        from clarion.platforms import _text, _urls

        found: list[Entity] = []
        if "://" in text:
            for m in _urls.finditer(text, protocol_required=True):
                start, end = m.span("url")
                found.append(Entity(start, end, "link", text[start:end]))
        if "#" in text:
            found += [
                Entity(m.start(), m.end(), "tag", "")
                for m in _text.pattern(_HASHTAG).finditer(text)
            ]
        return found


#: A hashtag most platforms would mark: ``#`` then letters, digits or ``_``, one of them a letter.
_HASHTAG = r"(?<![\w&#/])#\w*[\p{L}_]\w*"


def link_href(url: str) -> str:
    """A link's target: as written when it has a scheme, else with ``https://``."""
    return url if re.match(r"https?://", url, re.IGNORECASE) else "https://" + url
