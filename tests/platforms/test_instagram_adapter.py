"""The Instagram adapter against the content publishing stub (:mod:`tests.servers.instagram_stub`)
over real HTTP, with the team's web site played by a small local server serving the prepared
images (named by their SHA-256, as ``clarion media export`` names them)."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clarion import secrets
from clarion.platforms import images, public_media
from clarion.platforms.instagram import Instagram, InstagramAdapter
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown
from tests.deliveries import MediaItem, Sendable, sendable
from tests.net import Serving
from tests.servers.instagram_stub import InstagramStub

TOKEN = "IGAAstubTok3nForClarion77"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[InstagramStub]:
    with InstagramStub(TOKEN) as server:
        yield server


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Serving, Path]]:
    folder = tmp_path / "site" / "media"
    folder.mkdir(parents=True)
    handler = functools.partial(Quiet, directory=str(tmp_path / "site"))
    with Serving(handler) as serving:  # type: ignore[arg-type]
        yield serving, folder


@pytest.fixture(autouse=True)
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stub: InstagramStub, site: Any
) -> Iterator[None]:
    for name in ("USER_ID", "ACCESS_TOKEN", "API_BASE", "MEDIA_BASE_URL", "TIMEOUT"):
        monkeypatch.delenv(f"CLARION_INSTAGRAM_{name}", raising=False)
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CLARION_INSTAGRAM_USER_ID", stub.user_id)
    monkeypatch.setenv("CLARION_INSTAGRAM_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CLARION_INSTAGRAM_API_BASE", stub.url)
    monkeypatch.setenv("CLARION_INSTAGRAM_MEDIA_BASE_URL", f"{site[0].url}/media")
    monkeypatch.setenv("CLARION_INSTAGRAM_TIMEOUT", "3")
    yield
    secrets.clear()


def photo(tmp_path: Path, name: str, size: tuple[int, int], colour: str = "red") -> str:
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path, quality=90)
    return str(path)


def publish_to_site(folder: Path, *files: str) -> None:
    """What a team does after `clarion media export`: the prepared files on its site."""
    for file in files:
        p = images.prepare(file, Instagram)
        shutil.copyfile(p.file, folder / f"{p.sha256}{public_media.extension(p.mime)}")


def adapter() -> InstagramAdapter:
    made = InstagramAdapter()
    made.poll_first_s = 0.01
    return made


def item(text: str, *files: str) -> Sendable:
    media = tuple(MediaItem(f, f"Alt text of {Path(f).stem}") for f in files)
    return sendable("week:launch:instagram", "instagram", text, media)


def posts(stub: InstagramStub) -> list[str]:
    return [m["caption"] for m in stub.media()]


# --- build ------------------------------------------------------------------------------------


def test_one_image_is_one_container_then_publish(tmp_path: Path, stub: InstagramStub) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    request = adapter().build(*item("Launch day #carers", a))
    sha = request.images[0]["sha256"]
    base = f"{stub.url}/{stub.version}"
    steps = request.payload["requests"]
    assert request.payload["api_base"] == base
    assert [s["path"] for s in steps] == [
        f"/{stub.user_id}/media",
        f"/{stub.user_id}/media_publish",
    ]
    fields = steps[0]["fields"]
    assert fields["image_url"].endswith(f"/media/{sha}.jpg")
    assert fields["caption"] == "Launch day #carers"
    assert fields["alt_text"] == "Alt text of a"
    assert steps[1]["fields"] == {"creation_id": "<id of container 1>"}


def test_a_carousel_is_a_child_per_image_then_the_carousel(tmp_path: Path) -> None:
    colours = ["red", "green", "blue"]
    files = [photo(tmp_path, f"{n}.jpg", (500, 400), c) for n, c in enumerate(colours)]
    steps = adapter().build(*item("Three pictures", *files)).payload["requests"]
    assert len(steps) == 5
    for step in steps[:3]:
        assert step["fields"]["is_carousel_item"] == "true"
        assert "caption" not in step["fields"]
    assert steps[3]["fields"] == {
        "media_type": "CAROUSEL",
        "children": "<id of container 1>,<id of container 2>,<id of container 3>",
        "caption": "Three pictures",
    }
    assert steps[4]["fields"] == {"creation_id": "<id of the carousel container>"}


# --- publishing -------------------------------------------------------------------------------


def test_one_image_is_published_with_its_permalink(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 700))
    publish_to_site(site[1], a)
    made = adapter()
    outcome = made.publish(made.build(*item("Launch day", a)))
    assert isinstance(outcome, Published), outcome
    assert outcome.url and outcome.url.startswith("https://www.instagram.com/p/")
    assert posts(stub) == ["Launch day"]
    [box] = stub.containers()
    assert box["alt_text"] == "Alt text of a"
    assert box["image"]["sha256"] == made.build(*item("x", a)).images[0]["sha256"]
    assert {r["headers"]["Authorization"] for r in stub.requests()} == {f"Bearer {TOKEN}"}
    assert [r["endpoint"] for r in stub.requests()] == [
        "media",
        "status",
        "status",
        "media_publish",
        "permalink",
    ]


def test_a_carousel_is_published_as_one_post(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    files = [photo(tmp_path, f"{n}.jpg", (800, 600), c) for n, c in enumerate(["red", "blue"])]
    publish_to_site(site[1], *files)
    made = adapter()
    outcome = made.publish(made.build(*item("Two pictures", *files)))
    assert isinstance(outcome, Published), outcome
    [post] = stub.media()
    assert post["media_type"] == "CAROUSEL_ALBUM" and post["caption"] == "Two pictures"
    assert len(stub.fetched()) == 2


def test_a_too_tall_photo_is_padded_so_instagram_takes_it(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "tall.jpg", (300, 900))
    publish_to_site(site[1], a)
    made = adapter()
    request = made.build(*item("Tall", a))
    shape = request.images[0]["width"] / request.images[0]["height"]
    assert abs(shape - 0.8) < 0.01
    assert isinstance(made.publish(request), Published)


def test_a_site_serving_other_bytes_is_refused_before_anything_is_sent(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    request = adapter().build(*item("Launch", a))
    sha = request.images[0]["sha256"]
    (site[1] / f"{sha}.jpg").write_bytes(
        Path(photo(tmp_path, "b.jpg", (600, 600), "blue")).read_bytes()
    )
    outcome = adapter().publish(request)
    assert isinstance(outcome, Failed) and not outcome.auth
    assert "serves other bytes" in outcome.reason and "clarion media export" in outcome.reason
    assert stub.requests() == []


def test_an_image_missing_from_the_site_is_refused_before_anything_is_sent(
    tmp_path: Path, stub: InstagramStub
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    outcome = adapter().publish(adapter().build(*item("Launch", a)))
    assert isinstance(outcome, Failed) and "404" in outcome.reason
    assert stub.requests() == []


def test_without_a_media_address_nothing_is_sent_and_the_variable_is_named(
    tmp_path: Path, stub: InstagramStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_INSTAGRAM_MEDIA_BASE_URL")
    a = photo(tmp_path, "a.jpg", (600, 600))
    made = adapter()
    request = made.build(*item("Launch", a))
    assert request.payload["requests"][0]["fields"]["image_url"].startswith("{media-base-url}/")
    outcome = made.publish(request)
    assert isinstance(outcome, Failed)
    assert "CLARION_INSTAGRAM_MEDIA_BASE_URL" in outcome.reason
    assert "clarion media export" in outcome.reason
    assert stub.requests() == []


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_is_retried_later_and_nothing_posted(
    code: int, tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("media", f"throttle-{code}")
    made = adapter()
    outcome = made.publish(made.build(*item("Launch", a)))
    assert isinstance(outcome, RetryLater) and outcome.before_send
    assert "rate limited by Instagram" in outcome.reason and f"code {code}" in outcome.reason
    assert stub.media() == []


def test_the_publishing_limit_reached_is_retried_later(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.quota_total = 0
    made = adapter()
    outcome = made.publish(made.build(*item("Launch", a)))
    assert isinstance(outcome, RetryLater)
    assert "24 hours is reached" in outcome.reason and "2207042" in outcome.reason
    assert stub.media() == []


def test_a_server_error_before_publishing_is_retried(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("media", "500")
    made = adapter()
    request = made.build(*item("Launch", a))
    outcome = made.publish(request)
    assert isinstance(outcome, RetryLater) and "nothing was posted" in outcome.reason
    assert isinstance(made.publish(request), Published)
    assert posts(stub) == ["Launch"]


def test_a_container_in_error_fails_in_instagrams_words(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("status", "error")
    made = adapter()
    outcome = made.publish(made.build(*item("Launch", a)))
    assert isinstance(outcome, Failed) and "ERROR (Error: 2207003)" in outcome.reason
    assert stub.media() == []


def test_a_dropped_publish_is_unknown_then_reconcile_finds_the_post(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("media_publish", "drop-after")
    made = adapter()
    request = made.build(*item("Launch day, one post only", a))
    outcome = made.publish(request)
    assert isinstance(outcome, Unknown), outcome
    found = made.reconcile(request)
    assert isinstance(found, Published) and found.post_id == stub.media()[0]["id"]
    assert len(stub.media()) == 1


def test_a_publish_dropped_before_it_was_done_reconciles_absent(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("media_publish", "drop")
    made = adapter()
    request = made.build(*item("Launch", a))
    assert isinstance(made.publish(request), Unknown)
    assert isinstance(made.reconcile(request), Absent)


def test_a_revoked_token_fails_with_auth_and_is_redacted(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    stub.fail("media", "revoked")
    made = adapter()
    outcome = made.publish(made.build(*item("Launch", a)))
    assert isinstance(outcome, Failed) and outcome.auth
    assert "code 190" in outcome.reason and TOKEN not in outcome.reason


def test_a_text_only_delivery_is_refused_without_sending(stub: InstagramStub) -> None:
    outcome = adapter().publish(adapter().build(*item("Only words")))
    assert isinstance(outcome, Failed) and "no post without an image" in outcome.reason
    assert stub.requests() == []


def test_check_says_who_it_posts_as_the_quota_and_the_expiry(
    tmp_path: Path, stub: InstagramStub, site: Any
) -> None:
    a = photo(tmp_path, "a.jpg", (600, 600))
    publish_to_site(site[1], a)
    made = adapter()
    assert isinstance(made.publish(made.build(*item("One", a))), Published)
    status = adapter().check()
    assert status.ok, status
    assert status.posts_as == "@clarion.charity"
    assert status.details["quota"] == "1 of 100 posts used in the last 24 hours"
    assert status.expires_at == dt.datetime.fromtimestamp(1_893_456_000, dt.UTC)


def test_check_without_a_media_address_is_a_problem(
    stub: InstagramStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLARION_INSTAGRAM_MEDIA_BASE_URL")
    stub.expires_at = None
    status = adapter().check()
    assert not status.ok and "CLARION_INSTAGRAM_MEDIA_BASE_URL" in (status.problem or "")
    assert status.expires is None
