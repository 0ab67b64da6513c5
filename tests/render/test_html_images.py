"""The page's images: each embedded once, scaled for a card, its original's size noted; a week
with seven phone photos makes a page small enough to email."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.checking import check_files
from clarion.cli import cli
from clarion.render import _html_images, html
from tests.conftest import EXAMPLE, HEAD, png

#: What the week of seven phone photos must stay under (issue 11: a page fit to email).
LIMIT = 2_000_000


def photo(path: Path, seed: int, size: tuple[int, int] = (4032, 3024)) -> None:
    """A ~5 MB phone photo: noise (so it does not compress away) with EXIF and a GPS tag."""
    from PIL import Image

    rng = __import__("random").Random(seed)
    small = Image.frombytes(
        "RGB", (size[0] // 8, size[1] // 8), rng.randbytes(size[0] * size[1] * 3 // 64)
    )
    image = small.resize(size, Image.Resampling.BILINEAR)
    noise = Image.effect_noise(size, 64).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: shown 3,024 wide
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # a GPS position
    image.save(path, "JPEG", quality=92, exif=exif)


def test_seven_phone_photos_make_a_page_under_2_mb(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE.parent, folder)
    text = (folder / EXAMPLE.name).read_text(encoding="utf-8")
    ids = re.findall(r"^  - id: (\S+)$", text, flags=re.M)
    assert len(ids) >= 6
    sizes = []
    for n in range(7):
        target = folder / "media" / f"photo{n}.jpg"
        photo(target, n)
        sizes.append(target.stat().st_size)
    # One photo on each post (the launch post has two beside its banner).
    for n, post in enumerate(ids):
        text = text.replace(
            f"  - id: {post}\n",
            f"  - id: {post}\n    images:\n      - {{path: media/photo{n}.jpg, alt: Photo {n}}}\n"
            if "images:" not in _post(text, post)
            else f"  - id: {post}\n",
            1,
        )
    text = text.replace(
        "      - path: media/launch.png\n",
        "      - {path: media/photo0.jpg, alt: Photo 0}\n"
        "      - {path: media/photo6.jpg, alt: Photo 6}\n      - path: media/launch.png\n",
        1,
    )
    path = folder / EXAMPLE.name
    path.write_text(text, encoding="utf-8")
    assert min(sizes) > 4_000_000, sizes
    out = tmp_path / "week.html"
    result = CliRunner().invoke(cli, ["preview", str(path), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    used = set(re.findall(r'<img alt="Photo (\d)"', page))
    assert used == {str(n) for n in range(7)}, used
    size = out.stat().st_size
    print(f"seven photos of {sum(sizes):,} bytes: page {size:,} bytes")
    assert size <= LIMIT, size
    # Each photo is in the page once, however many cards show it.
    uris = re.findall(r"url\(\"(data:image/[^\"]+)\"\)", page)
    assert len(uris) == len(set(uris)) >= 8  # seven photos, the banner, the quote cards
    assert page.count("data:image/") == len(uris)
    assert "Original: 3,024 × 4,032, " in page  # EXIF orientation applied


def _post(text: str, post: str) -> str:
    start = text.index(f"  - id: {post}\n")
    end = text.find("\n  - id:", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_a_scaled_copy_keeps_no_metadata_and_fits_a_card(tmp_path: Path) -> None:
    from PIL import Image

    target = tmp_path / "p.jpg"
    photo(target, 1, (1600, 1200))
    found = _html_images.picture(str(target))
    assert found is not None
    assert (found.width, found.height) == (1200, 1600)
    import base64
    import io

    body = base64.b64decode(found.uri.split(",", 1)[1])
    with Image.open(io.BytesIO(body)) as copy:
        assert copy.format == "JPEG"
        assert max(copy.size) <= _html_images.LONGEST
        assert len(body) <= _html_images.BUDGET
        assert copy.size[1] > copy.size[0]  # upright
        assert not copy.getexif()
        assert "exif" not in copy.info


def test_a_small_graphic_stays_png_and_an_unreadable_image_says_so(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.png").write_bytes(png(30, 20))
    (tmp_path / "media" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    path = tmp_path / "week.yaml"
    path.write_text(
        HEAD.replace("[mastodon]", "[mastodon, bluesky]")
        + "posts:\n"
        + "  - {at: 2022-07-04 09:00, text: A, images: [{path: media/a.png, alt: Grey}]}\n"
    )
    result = check_files([path])
    assert result.ok, result.problems
    _html_images.picture.cache_clear()
    page = html.render(result, result.deliveries)
    assert _html_images.picture.cache_info().misses == 1
    assert page.count("data:image/png;base64,") == 1
    assert page.count('<img alt="Grey" data-img="i-') == 2
    assert "Original: 30 × 20, 1 KB" in page
    assert _html_images.picture(str(tmp_path / "media" / "b.png")) is None


@pytest.mark.parametrize(
    ("size", "words"), [(5_100_000, "5.1 MB"), (240_400, "240 KB"), (12, "1 KB")]
)
def test_sizes_in_words(size: int, words: str) -> None:
    assert _html_images.megabytes(size) == words


def test_pillow_is_imported_only_for_a_page_with_images(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "week.yaml"
    path.write_text(HEAD + "posts:\n  - {at: 2022-07-04 09:00, text: No picture}\n")
    code = (
        "import sys; from pathlib import Path; from clarion.checking import check_files; "
        "from clarion.render import html; r = check_files([Path(sys.argv[1])]); "
        "assert r.ok; html.render(r, r.deliveries); print('PIL' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "False", run.stderr
