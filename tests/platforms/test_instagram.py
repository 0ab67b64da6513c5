"""Instagram's caption and image rules, its descriptor, and validation of campaigns for it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from clarion import platforms
from clarion.cli import cli
from clarion.platforms.base import MEDIA_UPLOADS, POSTS
from clarion.platforms.instagram import Instagram
from clarion.platforms.instagram.rules import hashtags, mentions
from tests.conftest import png


def test_the_descriptor_states_instagrams_facts() -> None:
    assert platforms.get("instagram") is Instagram
    assert (Instagram.name, Instagram.label) == ("instagram", "Instagram")
    assert Instagram.max_length == 2200
    assert Instagram.image_types == frozenset({"image/jpeg"})
    assert Instagram.max_image_bytes == 8 * 1024 * 1024
    assert Instagram.image_aspect == (0.8, 1.91)
    assert Instagram.max_images == 10
    assert Instagram.needs_image and Instagram.media_by_url
    assert not Instagram.supports_threads
    assert Instagram.secret_names == ("access_token",)
    assert Instagram.setting_names == ("user_id", "api_base", "media_base_url")
    assert Instagram.adapter == "clarion.platforms.instagram.adapter:InstagramAdapter"
    [posts, containers] = Instagram.write_limits
    assert (posts.most, posts.window_s, posts.unit) == (100, 86400, POSTS)
    assert (containers.most, containers.unit) == (400, MEDIA_UPLOADS)
    assert Instagram.write_cost(1)[MEDIA_UPLOADS] == 1
    assert Instagram.write_cost(3) == {POSTS: 1, "requests": 5, MEDIA_UPLOADS: 4}


def test_a_caption_of_2200_characters_fits_and_one_more_does_not() -> None:
    assert Instagram.check_length("a" * 2200).fits
    assert Instagram.check_length("a" * 2201).over == ("2201 characters, the limit is 2200",)


def test_an_accent_typed_as_a_separate_mark_counts_once() -> None:
    assert Instagram.count("cafe\u0301") == 4


def test_thirty_hashtags_fit_and_thirty_one_do_not() -> None:
    tags = " ".join(f"#tag{n}" for n in range(31))
    assert Instagram.check_length(tags.rsplit(" ", 1)[0]).fits
    assert Instagram.check_length(tags).over == ("31 hashtags, the limit is 30",)


def test_twenty_mentions_fit_and_twenty_one_do_not() -> None:
    names = " ".join(f"@user_{n}" for n in range(21))
    assert Instagram.check_length(names.rsplit(" ", 1)[0]).fits
    assert Instagram.check_length(names).over == ("21 @ mentions, the limit is 20",)


def test_every_limit_broken_is_said() -> None:
    text = " ".join(f"#t{n} @u{n}" for n in range(40)) + " " + "x" * 2000
    assert len(Instagram.check_length(text).over) == 3


def test_an_email_address_and_a_number_are_no_mention_or_hashtag() -> None:
    assert mentions("write to team@example.org") == []
    assert hashtags("we are #1 and #carers") == [(14, 21)]
    assert mentions("thanks @carers.uk.") == [(7, 17)]


def test_the_preview_marks_tags_and_mentions_but_not_links() -> None:
    kinds = sorted(e.kind for e in Instagram.entities("#Carers @team https://example.org"))
    assert kinds == ["mention", "tag"]


@given(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), max_size=40))
def test_hashtags_are_counted_one_each(words: list[str]) -> None:
    text = " ".join(f"#{w}" for w in words)
    assert len(hashtags(text)) == len(words)
    assert Instagram.check_length(text).fits == (len(words) <= 30 and len(text) <= 2200)


@given(st.lists(st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True), max_size=30))
def test_mentions_are_counted_one_each(names: list[str]) -> None:
    text = " ".join(f"@{n}" for n in names)
    assert len(mentions(text)) == len(names)
    assert Instagram.check_length(text).fits == (len(names) <= 20)


@given(st.text(max_size=2500))
def test_any_text_is_counted_and_its_entities_lie_inside_it(text: str) -> None:
    found = Instagram.check_length(text)
    assert found.length == Instagram.count(text)
    for e in Instagram.entities(text):
        assert 0 <= e.start < e.end <= len(text)


CAMPAIGN = (
    "version: 1\nname: Instagram week\nslug: ig\ntimezone: UTC\n"
    "dates: {start: 2036-07-07, end: 2036-07-08}\nplatforms: [instagram]\nposts:\n"
    "  - id: words\n    at: 2036-07-07 09:00\n    text: Only words here\n"
    "  - id: photo\n    at: 2036-07-07 10:00\n    text: A photo\n"
    "    images: [{path: photo.png, alt: A small square}]\n"
)
QUOTES = (
    'quotes:\n  template: "“{quote}” — {name}"\n  times: ["12:00"]\n'
    "  card: {size: 1080x1080}\n"
    "  items:\n    - {quote: Being heard changed everything, name: Sam}\n"
)


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "photo.png").write_bytes(png(40, 40))
    (tmp_path / "week.yaml").write_text(text)
    done = CliRunner().invoke(cli, ["validate", str(tmp_path / "week.yaml")])
    return done.exit_code, done.output


def test_validation_refuses_a_text_only_post_where_it_is_written(tmp_path: Path) -> None:
    code, output = validate(tmp_path, CAMPAIGN)
    assert code == 1, output
    assert "week.yaml:10:11: Instagram takes no post without an image" in output
    assert output.count("takes no post without an image") == 1  # the photo post is fine


def test_a_photo_only_campaign_passes(tmp_path: Path) -> None:
    code, output = validate(
        tmp_path,
        CAMPAIGN.split("  - id: words")[0] + "  - id: photo" + CAMPAIGN.split("  - id: photo")[1],
    )
    assert code == 0, output


def test_a_quote_post_with_its_card_passes(tmp_path: Path) -> None:
    photo_only = (
        CAMPAIGN.split("  - id: words")[0] + "  - id: photo" + CAMPAIGN.split("  - id: photo")[1]
    )
    code, output = validate(tmp_path, photo_only + QUOTES)
    assert code == 0, output
