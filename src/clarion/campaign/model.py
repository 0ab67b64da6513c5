"""The campaign file format, version 1, as pydantic models.

Field-level rules (types, required fields, unknown fields) live here; rules that need the whole
campaign, the clock or the file system live in :mod:`clarion.campaign.validate`. The docs in
``docs/campaign-format.md`` describe every field; ``clarion schema`` prints the JSON Schema built
from these classes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Annotated, Any, Literal

# Clarion uses no pydantic plugins; looking for them scans every installed package's metadata
# (about 20 ms at each start). A plugin the user really wants can still be named explicitly.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from clarion.durations import FIRST_YEAR, LAST_YEAR

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
#: A BCP 47 language tag: "en", "en-GB", "cy", "zh-Hant".
_LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
#: The longest campaign, in days (a leap year), and the most deliveries one file may make.
MAX_DAYS = 366
MAX_DELIVERIES = 50_000
_AT_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def _parse_time(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        m = _TIME_RE.match(value.strip())
        if m:
            return dt.time(int(m.group(1)), int(m.group(2)))
    raise ValueError(
        f'"{value}" is not a time of day; write it as "HH:MM" in 24-hour time, e.g. "09:00".'
    )


def _parse_duration(value: Any) -> Any:
    from clarion.durations import GRACE, parse_ms

    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**6:
        raise ValueError(f"Give `grace` with a unit, e.g. {value}m for {value} minutes.")
    if not isinstance(value, str):
        raise ValueError("Give `grace` as a duration with a unit, e.g. 15m or 1h.")
    return parse_ms(value, GRACE)


def _in_years(value: Any) -> Any:
    """A date or date-time from :data:`FIRST_YEAR` to :data:`LAST_YEAR`."""
    if isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"The year {value.year} is outside what Clarion plans for ({FIRST_YEAR} to "
            f"{LAST_YEAR}). Check the date, e.g. 2022-07-04."
        )
    return value


def _day_number(value: Any) -> Any:
    """A day of the campaign: 1 to :data:`MAX_DAYS` (a campaign is at most that long)."""
    if isinstance(value, int) and not 1 <= value <= MAX_DAYS:
        shown = value if abs(value) < 10**9 else "so large a number"
        raise ValueError(
            f"Day {shown} cannot be a day of a campaign: days are numbered from 1 (the first "
            f"day), and a campaign has at most {MAX_DAYS} days."
        )
    return value


def _parse_at(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(
                "Write the local time without a UTC offset (e.g. 2022-07-04 09:00); "
                "the campaign's `timezone` says which zone it is in."
            )
        return value
    if isinstance(value, str):
        m = _AT_RE.match(value.strip())
        if m:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                return dt.datetime(y, mo, d, h, mi, s)
            except ValueError as exc:
                raise ValueError(f'"{value}" is not a real date and time: {exc}.') from None
        if re.search(r"(Z|[+-]\d\d:?\d\d)$", value.strip()):
            raise ValueError(
                "Write the local time without a UTC offset (e.g. 2022-07-04 09:00); "
                "the campaign's `timezone` says which zone it is in."
            )
    raise ValueError(
        f'"{value}" is not a date and time; write it as YYYY-MM-DD HH:MM, e.g. 2022-07-04 09:00.'
    )


LocalTime = Annotated[
    dt.time,
    BeforeValidator(_parse_time),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$", "examples": ["09:00"]}
    ),
]
LocalDateTime = Annotated[
    dt.datetime,
    AfterValidator(_in_years),
    BeforeValidator(_parse_at),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?$",
            "examples": ["2022-07-04 09:00"],
        }
    ),
]
Text = Annotated[str, StringConstraints(min_length=1)]
DurationMs = Annotated[
    int,
    BeforeValidator(_parse_duration),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+\s*(h|m|s|ms)\s*)+$", "examples": ["15m"]}),
]
Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN, max_length=64)]
Day = Annotated[
    int,
    AfterValidator(_day_number),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_DAYS}),
]
CampaignDate = Annotated[dt.date, AfterValidator(_in_years)]


# Default factories are plain functions rather than ``list`` and ``dict``: pydantic inspects each
# factory's signature, and for a builtin that means parsing its text signature with ``tokenize``
# (compiling tokenize's patterns first), some 7 ms at each start for the same empty list or dict.
def _new_list() -> list[Any]:
    return []


def _new_dict() -> dict[str, Any]:
    return {}


class _Strict(BaseModel):
    # defer_build: the validator is built on first use, so only Campaign's is built on the way to
    # validating a file (its nested models' schemas are generated inside it) instead of one per
    # model class at import.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True
    )


class Image(_Strict):
    """An image attached to a post, with its alt text."""

    path: Text = Field(description="Image file, relative to the campaign file's folder.")
    alt: str | None = Field(
        None, description="Alt text: what the image shows, for people who cannot see it."
    )


class Variant(_Strict):
    """Per-platform replacement of a post's text, link, images or hashtags."""

    text: Text | None = None
    link: str | None = None
    images: list[Image] | None = None
    hashtags: list[str] | None = None
    quote_of: str | None = Field(None, description="URL of the post to quote on this platform.")


class ThreadPart(_Strict):
    """A reply that follows its post, in order."""

    text: Text
    images: list[Image] = Field(default_factory=_new_list)


class Post(_Strict):
    """One post of the week, sent to each of its platforms."""

    id: Id | None = Field(None, description="Stable id; default post-N (N = 1-based position).")
    at: LocalDateTime | None = Field(
        None, description="Local wall time in the campaign timezone: YYYY-MM-DD HH:MM."
    )
    day: Day | None = Field(None, description="Day of the campaign (1 = first day); with `time`.")
    time: LocalTime | None = Field(None, description='Local time on `day`, "HH:MM".')
    text: Text
    link: str | None = Field(None, description="A link appended after the text.")
    images: list[Image] = Field(default_factory=_new_list)
    platforms: list[str] | None = Field(None, description="Overrides the campaign's platforms.")
    hashtags: list[str] | None = Field(
        None, description="Overrides the campaign's hashtags; [] = none."
    )
    variants: dict[str, Variant] = Field(default_factory=_new_dict)
    thread: list[ThreadPart] = Field(default_factory=_new_list)
    quote_of: str | None = Field(
        None, description="URL of a post to quote (X and Bluesky); per platform in `variants`."
    )


class QuoteItem(_Strict):
    """One quote: a person's words, placed in the next free quote slot."""

    id: Id | None = Field(None, description="Stable id; default quote-N.")
    quote: Text
    name: Text
    role: str | None = None
    short: Text | None = Field(
        None,
        description="A shorter line for {quote} on platforms where the whole quote is too "
        "long; the quote card still shows it all. Needs `quotes.card`.",
    )
    images: list[Image] = Field(default_factory=_new_list)
    platforms: list[str] | None = None
    hashtags: list[str] | None = None
    variants: dict[str, Variant] = Field(default_factory=_new_dict)


class Card(_Strict):
    """A picture of each quote (its words, name, role and a logo), attached to its posts."""

    background: Text = Field("#ffffff", description='Background colour, "#RRGGBB".')
    text_colour: Text = Field("#1a1a1a", description='Colour of the words, "#RRGGBB".')
    logo: Text | None = Field(
        None, description="Logo image in the bottom corner, relative to the campaign file's folder."
    )
    size: Text = Field("1080x1080", description='Width and height in pixels, "WIDTHxHEIGHT".')
    font: Text | None = Field(
        None,
        description="A TrueType or OpenType font file to use instead of the DejaVu Sans shipped "
        "with Clarion (absolute, or relative to the campaign file).",
    )


class Quotes(_Strict):
    """Quote posts spread over daily slots, filled day by day, slot by slot."""

    template: Text = Field(description='How a quote reads, e.g. "“{quote}” — {name}, {role}".')
    times: list[LocalTime] = Field(min_length=1, description='Slots on each day, "HH:MM".')
    days: list[Day] | None = Field(
        None, description="Days of the campaign with quotes; default all."
    )
    items: list[QuoteItem] = Field(default_factory=_new_list)
    card: Card | None = Field(None, description="Draw each quote into a picture for its posts.")


class Dates(_Strict):
    start: CampaignDate
    end: CampaignDate

    @model_validator(mode="after")
    def _at_most_a_year(self) -> Dates:
        days = (self.end - self.start).days + 1
        if days > MAX_DAYS:
            raise ValueError(
                f"This campaign runs {days:,} days ({self.start} to {self.end}); a campaign may "
                f"span at most {MAX_DAYS} days. Check the years, or split it into several files."
            )
        return self


_UTM_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _utm_word(value: str) -> str:
    if not _UTM_WORD.match(value) or len(value) > 100:
        raise ValueError(
            f'"{value}" cannot be a word of a tagged link: use letters, digits and - _ . + only '
            "(no spaces), e.g. summer-2030."
        )
    return value


def _utm_switch(value: Any) -> Any:
    """``true`` is the defaults (an empty block), ``false`` none."""
    if value is True:
        return {}
    if value is False or value is None:
        return None
    if isinstance(value, dict):
        return value
    raise ValueError(
        "Write `utm: true` to tag every link, or a block such as `utm: {medium: email}`."
    )


#: A word in a tagged link: letters, digits and ``- _ . +`` (no spaces: analytics groups by it).
UtmWord = Annotated[str, AfterValidator(_utm_word)]


class Utm(_Strict):
    """Tagged links: each key given replaces that parameter's default with a fixed word."""

    source: UtmWord | None = Field(None, description="utm_source; default: the platform's name.")
    medium: UtmWord | None = Field(None, description="utm_medium; default: social.")
    campaign: UtmWord | None = Field(None, description="utm_campaign; default: the slug.")
    content: UtmWord | None = Field(None, description="utm_content; default: the post's id.")


_UTM_SCHEMA = {
    "anyOf": [
        {"type": "boolean"},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                k: {"type": "string", "pattern": _UTM_WORD.pattern}
                for k in ("source", "medium", "campaign", "content")
            },
        },
    ]
}


class Campaign(_Strict):
    """A campaign file (format version 1)."""

    version: Literal[1] = Field(description="Format version; always 1.")
    name: Text
    slug: Annotated[str, StringConstraints(pattern=_SLUG_PATTERN, max_length=80)] | None = Field(
        None, description="Short name used in delivery keys; default: the file name."
    )
    timezone: Text = Field(description="IANA time zone, e.g. Europe/London.")
    dates: Dates
    platforms: list[str] = Field(min_length=1)
    hashtags: list[str] = Field(default_factory=_new_list)
    overflow: Literal["error", "thread"] = "error"
    grace: DurationMs | None = Field(
        None,
        description="How late a post may still go out (e.g. 15m, 1h); default 15m.",
    )
    accounts: dict[str, Id] = Field(
        default_factory=_new_dict,
        description="Which named account posts on each platform, e.g. {x: press-office}; "
        "default: the account called `default`.",
    )
    language: Annotated[str, StringConstraints(pattern=_LANGUAGE_PATTERN)] | None = Field(
        None, description='Language of the posts, e.g. "en" or "cy" (Mastodon and Bluesky).'
    )
    visibility: Literal["public", "unlisted", "followers"] = Field(
        "public", description="Who sees the posts on Mastodon (other platforms: always public)."
    )
    approval: Literal["required", "none"] = Field(
        "none",
        description="`required`: only posts a manager approved with `clarion approve` are sent; "
        "a post changed after its approval waits for a new sign-off. Default: none.",
    )
    utm: Annotated[Utm | None, BeforeValidator(_utm_switch), WithJsonSchema(_UTM_SCHEMA)] = Field(
        None,
        description="Tag every link with utm_source (the platform), utm_medium (social), "
        "utm_campaign (the slug) and utm_content (the post's id); a mapping replaces any of them.",
    )
    posts: list[Post] = Field(default_factory=_new_list)
    quotes: Quotes | None = None
