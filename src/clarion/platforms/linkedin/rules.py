"""LinkedIn Pages: post length, images and what a post marks.

A post's ``commentary`` is written in LinkedIn's little text format (:mod:`.little`): reserved
characters escaped, hashtags as templates. The 3,000-character limit applies to the text as
LinkedIn *shows* it, before escaping: the escapes and templates are never shown, and the limit is
the one a member meets typing a post. LinkedIn's Posts API reference states no length for
``commentary`` (learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/
posts-api); 3,000 is the figure LinkedIn's composer enforces and every scheduler documents
(docs.ayrshare.com/rest-api/endpoints/post/linkedin: "accepts up to 3,000 characters";
docs.postsyncer.com/platforms/linkedin: "The text takes 3,000 characters"). It is counted in
UTF-16 code units of the NFC text, as a web composer's ``String.length`` counts: an emoji counts
two, so a post that fits here fits by any count LinkedIn could use.

LinkedIn has no threads: a thread's parts become one post, separated by blank lines.
"""

from __future__ import annotations

import unicodedata

from clarion.platforms.base import MEDIA_UPLOADS, POSTS, REQUESTS, CardStyle, Entity, Platform


class LinkedIn(Platform):
    name = "linkedin"
    label = "LinkedIn Page"
    short_label = "LinkedIn"
    abbreviation = "in"
    aliases = ("li", "linked-in", "linkedin page")
    # LinkedIn's blue (#0a66c2) on white cards with a light grey border and 8px corners.
    style = CardStyle(
        brand="#0a66c2",
        link="#0a66c2",
        avatar_radius="4px",
        border="#e0dfdc",
        radius="8px",
        shadow="0 0 0 1px rgba(0,0,0,.08)",
        text="#191919",
    )
    secret_names = ("access_token",)
    setting_names = ("organization_id", "api_base")
    adapter = "clarion.platforms.linkedin.adapter:LinkedInAdapter"
    # A member's access token lasts 60 days; a refresh token (for approved partners only) 365:
    # https://learn.microsoft.com/en-us/linkedin/shared/authentication/
    # authorization-code-flow (checked 2026-12-03).
    renew_steps = (
        "LinkedIn access tokens last 60 days. In the LinkedIn Developer Portal, open your app's "
        "Auth tab, use the OAuth 2.0 tools to generate a new token for a Page administrator "
        "with the w_organization_social scope (and rw_organization_admin for the Page's name), "
        "save it with `clarion accounts login linkedin --account {account}` and run "
        "`clarion accounts check` again"
    )
    max_length = 3000
    length_unit = "characters"
    # A MultiImage post holds 2 to 20 images: https://learn.microsoft.com/en-us/linkedin/
    # marketing/community-management/shares/multiimage-post-api (checked 2026-12-03).
    max_images = 20
    # The Images API takes JPG, GIF and PNG of fewer than 36,152,320 pixels (a GIF of at most
    # 250 frames): https://learn.microsoft.com/en-us/linkedin/marketing/community-management/
    # shares/images-api ("Image restrictions"). It documents no file size; 5 MB is Clarion's
    # choice (LinkedIn's own composer refuses larger photos), and larger ones are recompressed.
    image_types = frozenset({"image/jpeg", "image/png", "image/gif"})
    max_image_pixels = 36_152_319
    max_image_bytes = 5 * 1024 * 1024
    supports_alt_text = True
    # The Posts API's media content ``altText`` takes at most 4,086 characters (the Media
    # schema of https://learn.microsoft.com/en-us/linkedin/marketing/community-management/
    # shares/posts-api).
    max_alt_length = 4086
    supports_threads = False
    # LinkedIn's limits are per application and per member, per UTC day, but "standard rate
    # limits are not published in documentation" (only the app's Analytics tab in the Developer
    # Portal shows them): https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/
    # rate-limits. No figure is known before the week, so none is declared.
    write_limits = ()

    @classmethod
    def write_cost(cls, images: int) -> dict[str, int]:
        """Each image: an ``initializeUpload`` request and the upload itself; then the post."""
        return {POSTS: 1, REQUESTS: 1 + 2 * images, MEDIA_UPLOADS: images}

    @classmethod
    def count(cls, text: str) -> int:
        return len(unicodedata.normalize("NFC", text).encode("utf-16-le")) // 2

    @classmethod
    def entities(cls, text: str) -> list[Entity]:
        """Links written with ``http(s)://`` (LinkedIn links them and previews the first when the
        post has no image) and the hashtags Clarion sends as templates (:data:`.little.HASHTAG`)."""
        from clarion.platforms import _urls
        from clarion.platforms.linkedin.little import HASHTAG

        found: list[Entity] = []
        if "://" in text:
            for m in _urls.finditer(text, protocol_required=True):
                start, end = m.span("url")
                found.append(Entity(start, end, "link", text[start:end]))
        found += [Entity(m.start(), m.end(), "tag", "") for m in HASHTAG.finditer(text)]
        return found
