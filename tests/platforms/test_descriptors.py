"""What each platform's descriptor declares, and what the shared code makes of it."""

from __future__ import annotations

import pytest

from clarion import platforms
from clarion.platforms.base import CardStyle
from clarion.render._html_card import abbreviation, platform_css
from clarion.render._html_text import highlight


@pytest.mark.parametrize("name", list(platforms.BUILTIN))
def test_every_platform_declares_itself(name: str) -> None:
    cls = platforms.get(name)
    assert cls.name == name and cls.label
    assert 0 < len(cls.short_label) <= 9  # the table's column
    assert cls.abbreviation
    assert cls.adapter.startswith(f"clarion.platforms.{name}.")
    assert cls.secret_names
    assert bool(cls.quote_urls) == bool(cls.quote_example)


def test_labels_and_aliases_as_they_were() -> None:
    short = {n: platforms.get(n).short_label for n in platforms.BUILTIN}
    assert short == {
        "x": "X",
        "facebook": "Facebook",
        "mastodon": "Mastodon",
        "bluesky": "Bluesky",
        "instagram": "Instagram",
        "linkedin": "LinkedIn",
        "threads": "Threads",
    }
    assert [abbreviation(n) for n in platforms.BUILTIN] == [
        "X",
        "FB",
        "Masto",
        "Bsky",
        "IG",
        "in",
        "Thr",
    ]
    assert abbreviation("carrier-pigeon") == "carrier-pigeon"
    assert dict(platforms.ALIASES) == {
        "twitter": "x",
        "tw": "x",
        "tweet": "x",
        "x (twitter)": "x",
        "twitter/x": "x",
        "fb": "facebook",
        "meta": "facebook",
        "masto": "mastodon",
        "fediverse": "mastodon",
        "bsky": "bluesky",
        "ig": "instagram",
        "insta": "instagram",
        "li": "linkedin",
        "linked-in": "linkedin",
        "linkedin page": "linkedin",
        "threads.net": "threads",
        "threads.com": "threads",
        "meta threads": "threads",
        "instagram threads": "threads",
    }


def test_card_css_comes_from_each_platform_style() -> None:
    css = platform_css(platforms.NAMES)
    assert ".b-x,.p-x .plat{background:#000}" in css
    assert ".p-facebook{border-radius:8px;border-color:#dddfe2;box-shadow:0 1px 2px" in css
    assert ".p-mastodon .av{border-radius:8px;background:#563acc}" in css
    assert ".p-mastodon .lnk{text-decoration:underline}" in css
    assert ".p-bluesky .lnk,.p-bluesky .tag,.p-bluesky .mention" in css
    assert platform_css(["not-a-platform"]) == ""


def test_a_style_value_cannot_break_out_of_the_style_sheet() -> None:
    for bad in ("#000;}body{display:none", "red</style><script>", "/* x */"):
        with pytest.raises(ValueError, match="not a plain CSS value"):
            CardStyle(brand=bad, link="#000")


def test_the_text_finders_are_the_platforms_own() -> None:
    text = "See https://www.example.org/a/very/long/path/indeed #Tag @a@b.social"
    mastodon = highlight("mastodon", text)
    assert '<span class="mention" title="@a@b.social">@a<span class="invisible">@b.social' in (
        mastodon
    )
    assert '<span class="ellipsis">example.org/a/very/long/path/i</span>' in mastodon  # 30
    assert '<span class="ellipsis">example.org/a/very/long/p</span>' in highlight("x", text)  # 25
    assert "https://www.example.org/a/very/long/path/indeed</a>" in highlight("bluesky", text)
    # A platform Clarion does not know marks nothing.
    assert highlight("carrier-pigeon", text) == text
