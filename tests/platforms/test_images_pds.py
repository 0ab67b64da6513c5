"""End to end on a real Bluesky PDS (:mod:`tests.servers.pds`): a 5 MB phone photo is previewed,
scheduled and sent by ``clarion run-due``, and the blob the PDS stored is the very file the
preview showed (same SHA-256): upright, within Bluesky's limits, without its GPS location."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.clarion_proc import ClarionCLI
from tests.platforms.test_images import phone_photo
from tests.servers.pds import PdsServer, start_pds

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdsServer]:
    with start_pds(tmp_path_factory.mktemp("pds")) as server:
        yield server


def test_the_blob_bluesky_stored_is_the_image_the_preview_showed(
    pds: PdsServer, tmp_path: Path
) -> None:
    account = pds.create_account("volunteer1")
    (tmp_path / "photo.jpg").write_bytes(phone_photo())
    campaign = tmp_path / "week.yaml"
    campaign.write_text(
        textwrap.dedent(
            """\
            version: 1
            name: Volunteers' week
            slug: volunteers
            timezone: UTC
            dates: {start: 2022-07-04, end: 2022-07-09}
            platforms: [bluesky]
            posts:
              - id: thanks
                at: 2022-07-04 09:00
                text: "Thank you to our volunteers"
                images:
                  - {path: photo.jpg, alt: "Volunteers in the garden"}
            """
        )
    )
    cli = ClarionCLI(
        tmp_path,
        {
            "CLARION_ADAPTERS": "bluesky=clarion.platforms.bluesky:BlueskyAdapter",
            "CLARION_BLUESKY_SERVICE": pds.url,
            "CLARION_BLUESKY_HANDLE": account.handle,
            "CLARION_BLUESKY_APP_PASSWORD": account.password,
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        },
    )

    def clarion(*args: str) -> subprocess.CompletedProcess[str]:
        done = cli.run(*args, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    checked = clarion("validate", str(campaign))
    assert "will be resized to 1,500 × 2,000" in checked.stderr
    preview = json.loads(clarion("preview", str(campaign), "--format", "requests").stdout)
    (shown,) = preview["requests"][0]["images"]
    # the preview's file is gone before sending: the engine makes the same bytes again
    Path(shown["file"]).unlink()
    clarion("schedule", str(campaign))
    clarion("run-due", "--pretend-now", "2022-07-04T09:00:30Z")

    (post,) = pds.list_posts(account.did)
    (image,) = post["value"]["embed"]["images"]
    assert image["aspectRatio"] == {"width": 1500, "height": 2000}
    blob = pds.get_blob(account.did, image["image"]["ref"]["$link"])
    assert hashlib.sha256(blob).hexdigest() == shown["sha256"]
    assert len(blob) == shown["bytes"] == image["image"]["size"] <= 1_000_000
    with Image.open(io.BytesIO(blob)) as stored:
        assert stored.size == (1500, 2000)
        assert 0x8825 not in stored.getexif() and "exif" not in stored.info
