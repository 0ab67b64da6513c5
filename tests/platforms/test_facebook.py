"""Facebook Pages: code points after NFC, 63,206 of them; no threads."""

from __future__ import annotations

import pytest

from clarion.platforms import get
from clarion.platforms.facebook import Facebook


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("Join us this week!", 18),
        ("https://example.org/" + "a" * 100, 120),  # links count as written
        ("café", 4),
        ("cafe\u0301", 4),  # NFC: the combining accent joins the e
        ("日本語", 3),
        ("👍🏽", 2),  # code points: emoji and skin tone
        ("👨‍👩‍👧‍👦", 7),
    ],
)
def test_counts_code_points_after_nfc(text: str, expected: int) -> None:
    assert Facebook.count(text) == expected


def test_limit_is_63206_characters() -> None:
    assert Facebook.check_length("a" * 63_206).fits
    assert Facebook.check_length("a" * 63_207).over == ("63207 characters, the limit is 63206",)


def test_a_thread_becomes_one_post_with_blank_lines() -> None:
    assert not Facebook.supports_threads
    assert Facebook.join_thread(["Day one.", "Day two.", "Day three."]) == (
        "Day one.\n\nDay two.\n\nDay three."
    )


def test_limits() -> None:
    assert get("facebook") is Facebook
    assert (Facebook.name, Facebook.label) == ("facebook", "Facebook Page")
    assert (Facebook.max_images, Facebook.max_image_bytes) == (10, 4 * 1024 * 1024)
    assert Facebook.image_types == {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
    }
    assert (Facebook.supports_alt_text, Facebook.max_alt_length) == (True, 1000)
