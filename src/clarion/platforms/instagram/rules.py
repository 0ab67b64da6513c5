"""Instagram professional accounts: caption rules, image limits and the publishing quota.

Every fact here is from Meta's Instagram Platform documentation (the page is named next to it):

* a caption is at most 2,200 characters, with at most 30 hashtags and 20 @ mentions (the
  ``caption`` field of ``POST /<IG_ID>/media``,
  https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media).
  Meta does not say how it counts characters; this counts Unicode code points after NFC, as for
  Facebook (an accent typed as a separate mark counts once, as it shows);
* images are JPEG only, at most 8 MB ("It should be less than 8 MiB", error 36000/2207004,
  https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes),
  between 4:5 and 1.91:1 (same ``/media`` reference, image specifications), fetched by Instagram
  from a public address ("We cURL media used in publishing attempts",
  https://developers.facebook.com/docs/instagram-platform/content-publishing/);
* a carousel holds up to 10 images (same guide), and counts as one post against the limit;
* every post needs an image: Instagram has no text-only feed post (same guide: single image,
  video, reel or carousel);
* alt text for image posts (``alt_text``, added 24 March 2025, same guide).

Links in a caption are not clickable on Instagram, so the preview marks only hashtags and
mentions. Instagram has no threads: a thread's parts join into one caption, blank lines between.
"""

from __future__ import annotations

import unicodedata

from clarion.platforms.base import (
    MEDIA_UPLOADS,
    POSTS,
    REQUESTS,
    CardStyle,
    Entity,
    LengthCheck,
    Platform,
    WriteLimit,
)

#: A hashtag as Instagram marks it: ``#`` then letters, digits or ``_``, one of them not a digit.
HASHTAG = r"(?<![\w&#/])#\w*[\p{L}_]\w*"
#: An @ mention: an Instagram username is letters, digits, ``.`` and ``_``, at most 30 of them
#: (not preceded by a word character, so an e-mail address is no mention).
MENTION = r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"

MAX_HASHTAGS = 30
MAX_MENTIONS = 20


def hashtags(text: str) -> list[tuple[int, int]]:
    from clarion.platforms import _text

    if "#" not in text:
        return []
    return [m.span() for m in _text.pattern(HASHTAG).finditer(text)]


def mentions(text: str) -> list[tuple[int, int]]:
    from clarion.platforms import _text

    if "@" not in text:
        return []
    return [m.span() for m in _text.pattern(MENTION).finditer(text)]


class Instagram(Platform):
    name = "instagram"
    label = "Instagram"
    short_label = "Instagram"
    abbreviation = "IG"
    aliases = ("ig", "insta")
    # Instagram's web look: white card, light grey hairline, the dark blue it uses for tags and
    # mentions, a round avatar in the logo's gradient.
    style = CardStyle(
        brand="#c13584",
        link="#00376b",
        avatar="linear-gradient(45deg,#f09433,#dc2743 50%,#bc1888)",
        avatar_radius="50%",
        border="#dbdbdb",
        radius="8px",
        text="#000000",
    )
    max_length = 2_200
    length_unit = "characters"
    max_images = 10
    max_image_bytes = 8 * 1024 * 1024
    image_types = frozenset({"image/jpeg"})
    image_aspect = (0.8, 1.91)
    needs_image = True
    media_by_url = True
    supports_alt_text = True
    # Meta gives no limit for alt_text; 1,000 is Clarion's own default (and Facebook's).
    max_alt_length = 1000
    supports_threads = False
    secret_names = ("access_token",)
    setting_names = ("user_id", "api_base", "media_base_url")
    adapter = "clarion.platforms.instagram.adapter:InstagramAdapter"
    # A long-lived Instagram User token lasts 60 days and can be refreshed once it is 24 hours
    # old: https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
    renew_steps = (
        "Refresh the long-lived Instagram token before it expires: open https://graph.instagram"
        ".com/refresh_access_token?grant_type=ig_refresh_token&access_token=YOUR_TOKEN (it must "
        "be at least 24 hours old and still valid), take the access_token it answers, save it "
        "with `clarion accounts login instagram --account {account}` and run `clarion accounts "
        "check` again. An expired token cannot be refreshed: log in again in the app dashboard"
    )
    write_limits = (
        # "Instagram accounts are limited to 100 API-published posts within a 24-hour moving
        # period. Carousels count as a single post", enforced on media_publish:
        # https://developers.facebook.com/docs/instagram-platform/content-publishing/ (older
        # pages said 25, then 50; `accounts check` shows the account's own figure, quota_total).
        WriteLimit(
            100,
            24 * 3600,
            POSTS,
            note="Instagram's content publishing limit; `accounts check` shows what is left",
        ),
        # "An Instagram account can only create 400 containers within a rolling 24 hour period":
        # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
        WriteLimit(400, 24 * 3600, MEDIA_UPLOADS, note="media containers, one per image"),
    )

    @classmethod
    def write_cost(cls, images: int) -> dict[str, int]:
        """One post. A container per image, one more for a carousel; then the publish call."""
        containers = max(images, 1) + (1 if images > 1 else 0)
        return {POSTS: 1, REQUESTS: containers + 1, MEDIA_UPLOADS: containers}

    @classmethod
    def count(cls, text: str) -> int:
        return len(unicodedata.normalize("NFC", text))

    @classmethod
    def check_length(cls, text: str) -> LengthCheck:
        found = super().check_length(text)
        over = list(found.over)
        tags, names = len(hashtags(text)), len(mentions(text))
        if tags > MAX_HASHTAGS:
            over.append(f"{tags} hashtags, the limit is {MAX_HASHTAGS}")
        if names > MAX_MENTIONS:
            over.append(f"{names} @ mentions, the limit is {MAX_MENTIONS}")
        return LengthCheck(found.length, found.limit, tuple(over))

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        """Hashtags and mentions; links stay plain text (Instagram does not link them)."""
        found = [Entity(a, b, "tag", "") for a, b in hashtags(text)]
        found += [Entity(a, b, "mention", "") for a, b in mentions(text)]
        return found
