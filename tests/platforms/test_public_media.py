"""Images at a public address (:mod:`clarion.platforms.public_media`) and images fitted to a
platform's shapes (``image_aspect``: centred on white, :mod:`clarion.platforms.images`).

A real HTTP server on 127.0.0.1 plays the team's web site: it serves the right bytes, other
bytes, an error page, or nothing at all."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion.platforms import images, public_media
from clarion.platforms._pixels import padded
from clarion.platforms.base import Platform
from tests.net import Serving, closed_port


class Site(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        Site.hits.append(self.path)
        body = Site.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>Not found</h1>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[str]:
    Site.files, Site.hits = {}, []
    with Serving(Site) as served:
        yield served.url


class Tall(Platform):
    name = "talltest"
    label = "Tall"
    max_length = 100
    max_images = 1
    max_image_bytes = 8_000_000
    image_types = frozenset({"image/jpeg"})
    image_aspect = (0.8, 1.91)

    @classmethod
    def count(cls, text: str) -> int:
        return len(text)


def test_the_address_is_named_by_the_bytes_and_checked_against_them(site: str) -> None:
    data = b"\xff\xd8 a prepared photo \xff\xd9"
    digest = hashlib.sha256(data).hexdigest()
    url = public_media.address(site + "/media/", digest, "image/jpeg")
    assert url == f"{site}/media/{digest}.jpg"
    Site.files[f"/media/{digest}.jpg"] = data
    seen = public_media.Verified()
    assert seen.check(url, digest) is None
    assert seen.check(url, digest) is None
    assert Site.hits == [f"/media/{digest}.jpg"]  # fetched once a run


def test_other_bytes_an_error_page_or_no_site_say_what_to_do(site: str) -> None:
    digest = hashlib.sha256(b"the previewed image").hexdigest()
    url = public_media.address(site, digest, "image/jpeg")
    missing = public_media.verify(url, digest)
    assert missing is not None and "answered 404 Not Found" in missing.reason
    assert "clarion media export FOLDER" in missing.reason
    Site.files[f"/{digest}.jpg"] = b"an older version of the image"
    other = public_media.verify(url, digest)
    assert other is not None and "serves other bytes than the image Clarion previewed" in (
        other.reason
    )
    gone = public_media.verify(f"http://127.0.0.1:{closed_port()}/x.jpg", digest, timeout=5)
    assert gone is not None and "could not be fetched" in gone.reason
    assert public_media.verify("file:///etc/passwd", digest) is not None


@pytest.mark.parametrize(
    ("base", "problem"),
    [
        ("https://charity.example/media", None),
        ("http://127.0.0.1:8080/media", None),
        ("http://charity.example/media", "must start with https://"),
        ("https://charity.example/media?x=1", "without ? or #"),
        ("https:///media", "names no web site"),
    ],
)
def test_the_base_address_must_be_a_public_folder(base: str, problem: str | None) -> None:
    found = public_media.base_problem(base)
    assert (found is None) if problem is None else (found is not None and problem in found)


@given(st.integers(1, 5000), st.integers(1, 5000))
def test_a_canvas_always_has_a_shape_the_platform_takes_and_holds_the_image(
    width: int, height: int
) -> None:
    w, h = padded(width, height, Tall)
    assert w >= width and h >= height
    assert 0.8 - 1e-9 <= w / h <= 1.91 + 1e-9
    if 0.8 <= width / height <= 1.91:
        assert (w, h) == (width, height)


@pytest.mark.parametrize(("size", "shape"), [((1000, 3000), 0.8), ((3000, 1000), 1.91)])
def test_a_photo_too_tall_or_too_wide_is_centred_on_white(
    size: tuple[int, int], shape: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    original = tmp_path / "photo.jpg"
    Image.new("RGB", size, (200, 30, 30)).save(original, quality=95)
    made = images.prepare(original, Tall)
    assert abs(made.width / made.height - shape) < 0.002
    assert made.done[0].startswith("centred on a white")
    with Image.open(made.file) as out:
        corner = out.convert("RGB").getpixel((0, 0))
        middle = out.convert("RGB").getpixel((out.width // 2, out.height // 2))
    assert min(corner) >= 250  # the padding is white
    assert middle[0] > 150 and middle[1] < 80  # the photo is in the middle


class Gallery(Tall):
    """A platform that takes no post without an image (as Instagram)."""

    name = "gallerytest"
    label = "Gallery"
    needs_image = True
    media_by_url = True
    supports_threads = False


def test_a_post_without_an_image_is_refused_for_a_platform_that_needs_one(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from clarion import platforms
    from clarion.cli import cli
    from tests.conftest import png

    (tmp_path / "card.png").write_bytes(png(40, 40))
    (tmp_path / "week.yaml").write_text(
        "version: 1\nname: Gallery week\nslug: gallery\ntimezone: UTC\n"
        "dates: {start: 2036-07-07, end: 2036-07-08}\nplatforms: [gallerytest]\nposts:\n"
        "  - id: words\n    at: 2036-07-07 09:00\n    text: Only words here\n"
        "  - id: photo\n    at: 2036-07-07 10:00\n    text: A photo\n"
        "    images: [{path: card.png, alt: A small square}]\n"
    )
    platforms.register(Gallery)
    try:
        done = CliRunner().invoke(cli, ["validate", str(tmp_path / "week.yaml")])
    finally:
        platforms.unregister("gallerytest")
    assert done.exit_code == 1, done.output
    assert "week.yaml:10:" in done.output  # the text of the post without one
    assert "Gallery takes no post without an image" in done.output
    assert done.output.count("takes no post without an image") == 1  # the photo post is fine


def test_media_export_writes_each_image_as_it_will_be_sent_named_by_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from PIL import Image

    from clarion import platforms
    from clarion.cli import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    Image.new("RGB", (1000, 3000), (10, 120, 60)).save(tmp_path / "tall.png")
    (tmp_path / "week.yaml").write_text(
        "version: 1\nname: Gallery week\nslug: gallery\ntimezone: UTC\n"
        "dates: {start: 2036-07-07, end: 2036-07-08}\nplatforms: [gallerytest]\nposts:\n"
        "  - id: one\n    at: 2036-07-07 09:00\n    text: A photo\n"
        "    images: [{path: tall.png, alt: A green banner}]\n"
        "  - id: two\n    at: 2036-07-07 10:00\n    text: The same photo again\n"
        "    images: [{path: tall.png, alt: A green banner}]\n"
    )
    out = tmp_path / "site" / "media"
    platforms.register(Gallery)
    try:
        first = CliRunner().invoke(
            cli, ["media", "export", str(tmp_path / "week.yaml"), "-o", str(out)]
        )
        again = CliRunner().invoke(
            cli, ["media", "export", str(tmp_path / "week.yaml"), "-o", str(out)]
        )
        made = images.prepare(tmp_path / "tall.png", Gallery)
    finally:
        platforms.unregister("gallerytest")
    assert first.exit_code == 0, first.output
    assert "Wrote 1 images" in first.output and "Gallery 2" in first.output
    (written,) = out.iterdir()
    assert written.name == f"{made.sha256}.jpg"
    assert hashlib.sha256(written.read_bytes()).hexdigest() == made.sha256
    assert "Wrote 0 images" in again.output and "1 were there already" in again.output


def test_media_export_says_when_no_platform_fetches_by_address(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from clarion.cli import cli
    from tests.conftest import EXAMPLE

    done = CliRunner().invoke(cli, ["media", "export", str(EXAMPLE), "-o", str(tmp_path / "m")])
    assert done.exit_code == 0, done.output
    assert "None of these campaigns' posts go to a platform that fetches images" in done.output
