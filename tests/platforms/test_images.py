"""Photos fixed for each platform (:mod:`clarion.platforms.images`): upright, without their
location, within each platform's limits; validation says what will be done; the preview shows
the prepared image, which is what the adapters send."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from clarion import platforms
from clarion.cli import cli
from clarion.platforms import images
from clarion.platforms.mastodon import Mastodon
from tests.conftest import Run, png

RED = (230, 20, 20)


def phone_photo(width: int = 4032, height: int = 3024, orientation: int = 6) -> bytes:
    """A phone's photo: ~5 MB of JPEG as the sensor stored it (a red block at its top left),
    with EXIF saying how to turn it (6: 90° clockwise), the camera and where it was taken."""
    noise = Image.effect_noise((width // 8, height // 8), 64).convert("L")
    r = Image.linear_gradient("L").resize((width, height))
    g = noise.resize((width, height), Image.Resampling.BICUBIC)
    b = Image.effect_noise((width, height), 40).convert("L")
    im = Image.merge("RGB", (r, g, b))
    im.paste(RED, (0, 0, width // 8, height // 8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Phone maker"
    exif[0x0110] = "Phone 12"
    exif[0x0131] = "Camera app 1.0"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo_bytes() -> bytes:
    data = phone_photo()
    assert 4_500_000 < len(data) < 6_500_000
    return data


@pytest.fixture
def photo(tmp_path: Path, photo_bytes: bytes) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo_bytes)
    return path


def test_a_phone_photo_for_bluesky_is_upright_small_enough_and_has_no_location(
    photo: Path,
) -> None:
    bluesky = platforms.get("bluesky")
    made = images.prepare(photo, bluesky)
    data = Path(made.file).read_bytes()
    assert made.bytes == len(data) <= 1_000_000
    assert made.sha256 == hashlib.sha256(data).hexdigest()
    assert (made.width, made.height, made.mime) == (1500, 2000, "image/jpeg")
    assert (made.original_width, made.original_height) == (3024, 4032)
    assert made.changed and made.had_location
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.size == (1500, 2000)
        exif = im.getexif()
        assert 0x8825 not in exif and 0x010F not in exif and 0x0112 not in exif
        assert "exif" not in im.info
        rgb = im.convert("RGB")
        # the sensor's top-left block is at the top right once turned 90° clockwise
        assert _near(rgb.getpixel((1500 - 40, 40)), RED)
        assert not _near(rgb.getpixel((40, 40)), RED)
    assert made.done[0] == "turned upright (as the camera recorded)"
    assert "resized from 3,024 × 4,032 to 1,500 × 2,000" in made.done
    assert "its location (GPS) and camera details removed" in made.done
    assert Path(made.file).name == "photo.jpg"  # the name people gave it, in the cache folder
    assert Path(made.file).is_relative_to(images.folder())


def test_preparing_is_deterministic_and_cached(photo: Path) -> None:
    bluesky = platforms.get("bluesky")
    first = images.prepare(photo, bluesky)
    again = images.prepare(photo, bluesky)  # from the cache
    assert again == first
    shutil.rmtree(images.folder())
    remade = images.prepare(photo, bluesky)  # made anew: the same bytes
    assert (remade.sha256, remade.bytes) == (first.sha256, first.bytes)


def test_each_platform_gets_its_own_fit(photo: Path) -> None:
    sizes = {}
    for name in ("x", "mastodon", "facebook", "bluesky"):
        p = platforms.get(name)
        made = images.prepare(photo, p)
        assert made.bytes <= p.max_image_bytes
        assert p.max_image_side is None or max(made.width, made.height) <= p.max_image_side
        assert p.max_image_pixels is None or made.width * made.height <= p.max_image_pixels
        with Image.open(made.file) as im:
            assert 0x8825 not in im.getexif()
        sizes[name] = (made.width, made.height)
    assert sizes["x"] == sizes["facebook"] == (3024, 4032)  # within their pixels: only turned
    assert sizes["mastodon"][0] * sizes["mastodon"][1] <= 8_294_400 < 3024 * 4032


def test_a_png_within_limits_passes_untouched(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(png(40, 30))
    made = images.prepare(path, platforms.get("bluesky"))
    assert made.untouched and made.file == str(path)
    assert made.sha256 == hashlib.sha256(png(40, 30)).hexdigest()


def test_a_png_with_metadata_loses_only_its_metadata(tmp_path: Path) -> None:
    im = Image.new("RGBA", (64, 48), (10, 200, 30, 128))
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jo Bloggs, 12 Some Street")
    out = io.BytesIO()
    im.save(out, "PNG", pnginfo=info)
    path = tmp_path / "badge.png"
    path.write_bytes(out.getvalue())
    made = images.prepare(path, platforms.get("bluesky"))
    assert made.done == ("its metadata removed",) and not made.changed
    with Image.open(made.file) as sent:
        assert sent.format == "PNG" and sent.mode == "RGBA" and sent.size == (64, 48)
        assert not sent.text
        assert sent.tobytes() == im.tobytes()


def test_a_transparent_png_over_the_limit_stays_png(tmp_path: Path) -> None:
    im = Image.effect_noise((1400, 1400), 90).convert("RGBA")
    im.putalpha(Image.linear_gradient("L").resize((1400, 1400)))
    path = tmp_path / "cutout.png"
    im.save(path)
    assert path.stat().st_size > 1_000_000
    made = images.prepare(path, platforms.get("bluesky"))
    assert made.mime == "image/png" and made.bytes <= 1_000_000
    with Image.open(made.file) as sent:
        assert sent.mode == "RGBA"


def test_a_type_the_platform_refuses_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "scan.bmp"
    Image.new("RGB", (300, 200), (90, 90, 200)).save(path)
    made = images.prepare(path, platforms.get("x"))
    assert made.mime == "image/jpeg" and "converted from BMP to JPEG" in made.done
    assert Path(made.file).suffix == ".jpg"


def test_what_cannot_be_read_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "pic.bmp"
    path.write_bytes(b"BM" + b"\0" * 64)
    with pytest.raises(images.ImageError, match="cannot read it as an image"):
        images.prepare(path, platforms.get("x"))


def test_a_servers_pixel_limit_only_ever_lowers_the_stock_one() -> None:
    assert Mastodon.with_limits(max_image_pixels=33_177_600).max_image_pixels == 8_294_400
    assert Mastodon.with_limits(max_image_pixels=2_073_600).max_image_pixels == 2_073_600


# --- validation ---------------------------------------------------------------------------------

CAMPAIGN = """\
version: 1
name: Week
slug: week
timezone: Europe/London
dates: {start: 2030-05-13, end: 2030-05-19}
platforms: PLATFORMS
posts:
  - id: hello
    at: 2030-05-13 09:00
    text: Hello
    images:
      - {path: IMAGE, alt: A group of volunteers}
"""


def campaign(platforms_: str, image: str) -> str:
    return CAMPAIGN.replace("PLATFORMS", platforms_).replace("IMAGE", image)


def test_validate_says_what_will_be_done_and_stops_nothing(run: Run, photo_bytes: bytes) -> None:
    result = run(campaign("[bluesky, x]", "photo.jpg"), files={"photo.jpg": photo_bytes})
    assert result.problems == []
    notes = [w.message for w in result.warnings]
    size = images.human(len(photo_bytes))
    made = images.prepare(result.deliveries[0].media[0].file, platforms.get("bluesky"))
    assert (
        f"note: `photo.jpg` will be resized to 1,500 × 2,000 and saved at "
        f"{images.human(made.bytes)} for Bluesky (it is {size}, 3,024 × 4,032; Bluesky takes up "
        "to 977 KB and 2,000 pixels a side)."
    ) in notes
    assert any(m.startswith("note: `photo.jpg` will be saved at") and "for X" in m for m in notes)
    assert (
        "note: `photo.jpg` records where it was taken (GPS); Clarion removes that, and the "
        "camera's details, from every photo it sends."
    ) in notes
    assert all(w.line == 12 for w in result.warnings)


def test_validate_still_refuses_what_cannot_be_fixed(run: Run, tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    result = run(campaign("[x]", "logo.svg"))
    (problem,) = result.problems
    assert "`logo.svg` is a SVG image; X accepts" in problem.message
    assert "Clarion cannot convert this one (it is not a photo Clarion can read)" in problem.message
    text = campaign("[x]", "photo.png").replace("alt: A group of volunteers", "alt: ''")
    missing = run(text, files={"photo.png": png()})
    assert [p.message for p in missing.problems] == [
        "The image `photo.png` has no alt text. Add `alt:` describing what it shows, for people "
        "who use screen readers."
    ]


def test_a_bmp_for_x_is_a_note_not_a_problem(run: Run) -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 90, 200)).save(out, "BMP")
    result = run(campaign("[x]", "scan.bmp"), files={"scan.bmp": out.getvalue()})
    assert result.problems == []
    (note,) = [w.message for w in result.warnings]
    assert note.startswith("note: `scan.bmp` will be converted to JPEG and saved at ")


# --- what the preview shows is what is sent -----------------------------------------------------


def test_the_requests_preview_shows_the_prepared_image(tmp_path: Path, photo_bytes: bytes) -> None:
    (tmp_path / "photo.jpg").write_bytes(photo_bytes)
    path = tmp_path / "week.yaml"
    path.write_text(textwrap.dedent(campaign("[bluesky]", "photo.jpg")), encoding="utf-8")
    env = {"CLARION_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}", "CLARION_ADAPTERS": ""}
    runner = CliRunner()
    out = runner.invoke(cli, ["preview", str(path), "--format", "requests"], env=env)
    assert out.exit_code == 0, out.output
    (request,) = json.loads(out.stdout)["requests"]
    (shown,) = request["images"]
    made = images.prepare(tmp_path / "photo.jpg", platforms.get("bluesky"))
    assert shown == {"path": "photo.jpg", **made.as_json()}
    assert shown["bytes"] <= 1_000_000 and (shown["width"], shown["height"]) == (1500, 2000)
    (upload,) = request["payload"]["uploads"]
    assert upload["file"] == made.file and upload["bytes"] == made.bytes
    assert upload["aspectRatio"] == {"width": 1500, "height": 2000}
    listed = runner.invoke(cli, ["preview", str(path), "--format", "json"], env=env)
    items = json.loads(listed.stdout)
    assert items[0]["images"][0]["sent"]["sha256"] == made.sha256


def _near(got: object, want: tuple[int, int, int]) -> bool:
    assert isinstance(got, tuple)
    return all(abs(int(a) - b) < 40 for a, b in zip(got, want, strict=False))


def test_a_heic_photo_pillow_cannot_read_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.heic"
    path.write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    with pytest.raises(images.ImageError, match="export it as JPEG"):
        images.prepare(path, platforms.get("mastodon"))


# --- the engine: the original is checked, then prepared ------------------------------------------


def test_just_before_sending_an_image_that_cannot_be_prepared_stops_the_delivery(
    tmp_path: Path, photo_bytes: bytes
) -> None:
    import datetime as dt

    from clarion.delivery import Content, Delivery, Media
    from clarion.engine import checks

    def delivery(name: str, data: bytes) -> Delivery:
        (tmp_path / name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        media = (Media(name, "Alt", str((tmp_path / name).resolve()), digest),)
        at = dt.datetime(2030, 5, 13, 8, tzinfo=dt.UTC)
        content = Content("Hello", media)
        return Delivery("w:p:bluesky", "w", "p", "bluesky", "default", at, "UTC", 0, None, content)

    assert checks.before_send(delivery("photo.jpg", photo_bytes), tmp_path) is None
    prepared = images.prepare(tmp_path / "photo.jpg", platforms.get("bluesky"))
    assert Path(prepared.file).exists()  # made now: the adapter sends this one
    damaged = photo_bytes[:20_000]
    why = checks.before_send(delivery("cut.jpg", damaged), tmp_path)
    assert why is not None and why.startswith("`cut.jpg` cannot be sent to Bluesky: ")
    assert why.endswith("(nothing was sent)")


def test_a_mastodon_servers_matrix_limit_read_by_accounts_check_is_used(photo: Path) -> None:
    from clarion.platforms import limits

    limits.save("mastodon", "default", "https://social.example", {"max_image_pixels": 2_073_600})
    server = limits.for_account("mastodon", "default")
    assert server.max_image_pixels == 2_073_600
    made = images.prepare(photo, server)
    assert made.width * made.height <= 2_073_600
    assert made.sha256 != images.prepare(photo, platforms.get("mastodon")).sha256


def test_a_dry_run_says_each_image_as_it_will_be_sent(tmp_path: Path, photo_bytes: bytes) -> None:
    (tmp_path / "photo.jpg").write_bytes(photo_bytes)
    path = tmp_path / "week.yaml"
    path.write_text(campaign("[bluesky]", "photo.jpg"), encoding="utf-8")
    env = {"CLARION_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}", "CLARION_ADAPTERS": ""}
    runner = CliRunner()
    assert runner.invoke(cli, ["schedule", str(path)], env=env).exit_code == 0
    out = runner.invoke(cli, ["run-due", "--dry-run", "--now", "2030-05-13T08:00:30Z"], env=env)
    assert out.exit_code == 0, out.output
    made = images.prepare(tmp_path / "photo.jpg", platforms.get("bluesky"))
    assert (
        f"  image photo.jpg: sent as 1,500 × 2,000, {made.bytes:,} bytes, sha256 {made.sha256}"
    ) in out.stdout.splitlines()
