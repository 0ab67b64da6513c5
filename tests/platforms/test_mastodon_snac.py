"""The Mastodon adapter against a real server: snac2 2.75 (Debian 13's package, unpacked by
``scripts/ensure-snac``), which implements the Mastodon client API, started on 127.0.0.1 by
:mod:`tests.servers.snac`.

Everything sent is read back from the server: through the Mastodon API
(``GET /api/v1/statuses/:id``) and, where that API hides what snac did, through the post's
ActivityPub object (what other servers receive): snac's API shows every post as "public" or
"private" and its language as "en", while the ActivityPub object shows the addressing (public,
unlisted, followers only) and ``contentMap`` with the language the post was sent with.

snac ignores the ``Idempotency-Key`` header (a repeat makes a second post), so the adapter's
idempotency is tested on recorded Mastodon responses only
(tests/platforms/test_mastodon_adapter.py); here the proxy test only checks that it is sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.ledger import open_ledger
from clarion.platforms.adapter import Request
from clarion.platforms.mastodon import MastodonAdapter
from clarion.platforms.outcomes import Failed, Published
from tests.conftest import png
from tests.deliveries import MediaItem, Sendable, sendable
from tests.servers.snac import (
    HttpError,
    RecordingProxy,
    SnacServer,
    bogus_token,
    http,
    snac_server,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="session")
def snac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnacServer]:
    yield from snac_server(tmp_path_factory.mktemp("snac"))


@pytest.fixture
def adapter(snac: SnacServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MastodonAdapter:
    for name in list(os.environ):
        if name.startswith("CLARION_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # check() keeps server limits
    monkeypatch.setenv("CLARION_MASTODON_BASE_URL", snac.base_url)
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", snac.token)
    return MastodonAdapter()


def unique(text: str) -> str:
    """``text`` with a marker, so posts of different tests (and runs) never look alike."""
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def item(
    text: str,
    *,
    media: tuple[MediaItem, ...] = (),
    index: int = 0,
    reply_to: str | None = None,
    language: str | None = None,
    visibility: str | None = None,
) -> Sendable:
    key = f"snac:{uuid.uuid4().hex[:8]}:mastodon" + (f"#{index + 1}" if index else "")
    return sendable(
        key,
        "mastodon",
        text,
        media,
        thread_index=index,
        reply_to_id=reply_to,
        reply_to_key="snac:parent:mastodon" if index else None,
        language=language,
        visibility=visibility,
    )


def publish(adapter: MastodonAdapter, send: Sendable) -> tuple[Request, Published]:
    request = adapter.build(*send)
    outcome = adapter.publish(request)
    assert isinstance(outcome, Published), outcome
    return request, outcome


def image(folder: Path, name: str, width: int) -> Path:
    path = folder / name
    path.write_bytes(png(width, 3))
    return path


# --- the account ----------------------------------------------------------------------------------


def test_check_names_the_account_on_the_server(
    adapter: MastodonAdapter, snac: SnacServer, tmp_path: Path
) -> None:
    status = adapter.check()
    assert status.ok, status.problem
    assert status.posts_as == f"@{snac.user}@{snac.host}"
    # check() keeps the limits the server announces (snac: 100000 characters, 4 images)
    kept = json.loads(
        (tmp_path / "cache" / "clarion" / "limits" / "mastodon-default.json").read_text()
    )
    assert kept["server"] == snac.base_url
    assert (kept["limits"]["max_length"], kept["limits"]["max_images"]) == (100000, 4)


def test_a_refused_token_fails_as_an_auth_problem(
    adapter: MastodonAdapter, snac: SnacServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", bogus_token())
    status = adapter.check()
    assert not status.ok
    # snac answers an unknown token with 422 (and no words) where Mastodon says 401.
    assert (
        status.problem
        == "Mastodon refused the access token (Mastodon answered 422 Unprocessable Content)"
    )
    text = unique("Never posted")
    outcome = adapter.publish(adapter.build(*item(text)))
    assert isinstance(outcome, Failed) and outcome.auth, outcome
    mine = snac.api("GET", "/api/v1/accounts/verify_credentials")
    posts = snac.api("GET", f"/api/v1/accounts/{mine['id']}/statuses?limit=40")
    assert all(p["text"] != text for p in posts)  # nothing reached the account


# --- posts ----------------------------------------------------------------------------------------


def test_a_text_post_is_published_and_reads_back(
    adapter: MastodonAdapter, snac: SnacServer
) -> None:
    text = unique(
        "Co-production Week starts today! Café, naïve, 👩‍👩‍👧 — see https://example.org/week"
    )
    _, published = publish(adapter, item(text))
    assert published.post_id and not published.probable
    status = snac.status(published.post_id)
    assert status["id"] == published.post_id
    assert status["url"] == published.url
    assert published.url is not None and published.url.startswith(f"{snac.base_url}/{snac.user}/")
    assert status["text"] == text  # snac keeps the source text as it was sent
    assert "Co-production Week starts today! Café, naïve, 👩‍👩‍👧" in status["content"]
    assert status["account"]["username"] == snac.user
    code, page = http("GET", published.url)  # the URL Clarion records opens
    assert code == 200 and "Co-production Week starts today!" in page


def test_images_carry_their_alt_text(
    adapter: MastodonAdapter, snac: SnacServer, tmp_path: Path
) -> None:
    first, second = image(tmp_path, "one.png", 4), image(tmp_path, "two.png", 5)
    alts = ["Four grey squares in a row", "Five grey squares, one row"]
    media = (MediaItem(str(first), alts[0]), MediaItem(str(second), alts[1]))
    _, published = publish(adapter, item(unique("Two pictures"), media=media))
    attachments = snac.status(published.post_id)["media_attachments"]
    assert [a["description"] for a in attachments] == alts
    assert [a["type"] for a in attachments] == ["image", "image"]
    for attachment, path in zip(attachments, (first, second), strict=True):
        assert _download(attachment["url"]) == path.read_bytes()  # the very image uploaded


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return bytes(answer.read())


def test_a_three_part_thread_chains_its_replies(adapter: MastodonAdapter, snac: SnacServer) -> None:
    texts = [unique(f"Thread part {n}") for n in (1, 2, 3)]
    ids: list[str] = []
    for n, text in enumerate(texts):
        _, published = publish(adapter, item(text, index=n, reply_to=ids[-1] if ids else None))
        ids.append(published.post_id)
    statuses = [snac.status(i) for i in ids]
    assert [s["in_reply_to_id"] for s in statuses] == [None, ids[0], ids[1]]
    assert [s["text"] for s in statuses] == texts
    context = snac.api("GET", f"/api/v1/statuses/{ids[0]}/context")
    assert ids[1] in [s["id"] for s in context["descendants"]]


def test_a_burst_of_posts_with_images_all_publish(
    adapter: MastodonAdapter, snac: SnacServer, tmp_path: Path
) -> None:
    # snac closes every connection after its answer without saying so. With a kept-alive
    # connection, about one request in 25 went to a connection snac had just closed: an upload
    # came back as RetryLater, a status as Unknown (never made, but "unknown" waits for a person).
    # The adapter now opens a new connection for every request.
    photo = image(tmp_path, "burst.png", 3)
    outcomes = [
        adapter.publish(
            adapter.build(*item(unique(f"Burst {n}"), media=(MediaItem(str(photo), "Grey"),)))
        )
        for n in range(30)
    ]
    assert [type(o).__name__ for o in outcomes] == ["Published"] * 30, [
        o for o in outcomes if not isinstance(o, Published)
    ]


def test_snac_drops_a_reply_to_a_post_it_does_not_know(
    adapter: MastodonAdapter, snac: SnacServer
) -> None:
    # Where Mastodon answers 404, snac posts the text as a new, top-level post: a thread whose
    # parent was deleted on snac carries on as separate posts. The adapter cannot tell.
    _, published = publish(adapter, item(unique("Reply to nothing"), index=1, reply_to="1" * 42))
    assert snac.status(published.post_id)["in_reply_to_id"] is None


def test_a_reply_before_its_parent_has_an_id_is_not_sent(adapter: MastodonAdapter) -> None:
    request = adapter.build(*item(unique("Orphan"), index=1))
    outcome = adapter.publish(request)
    assert isinstance(outcome, Failed) and "nothing was sent" in outcome.reason


# --- visibility and language ----------------------------------------------------------------------

# campaign visibility -> (Mastodon API's word on snac, where the post's ActivityPub object has the
# Public collection: "to", "cc", or None when the object is not shown to anyone without a login)
VISIBILITY = {
    "public": ("public", "to"),
    "unlisted": ("public", "cc"),
    "followers": ("private", None),
}


@pytest.mark.parametrize("visibility", list(VISIBILITY))
def test_visibility_reaches_the_server(
    adapter: MastodonAdapter, snac: SnacServer, visibility: str
) -> None:
    text = unique(f"Seen by {visibility}")
    _, published = publish(adapter, item(text, visibility=visibility))
    api_word, public_in = VISIBILITY[visibility]
    assert snac.status(published.post_id)["visibility"] == api_word
    assert published.url is not None
    if public_in is None:
        with pytest.raises(HttpError) as refused:
            snac.activity(published.url)  # asked anonymously, as an outside server would
        assert refused.value.status == 404
        return
    note = snac.activity(published.url)
    where = [box for box in ("to", "cc") if PUBLIC in note.get(box, [])]
    assert where == [public_in]


def test_language_reaches_the_server(adapter: MastodonAdapter, snac: SnacServer) -> None:
    text = unique("Mae'r wythnos yn dechrau heddiw")
    request, published = publish(adapter, item(text, language="cy"))
    assert request.payload["language"] == "cy"
    assert published.url is not None
    note = snac.activity(published.url)
    assert list(note["contentMap"]) == ["cy"]  # what other servers are told
    assert text in note["contentMap"]["cy"]
    # snac's Mastodon API always says "en", whatever the post's language.
    assert snac.status(published.post_id)["language"] == "en"


# --- the dry-run payload is what the server receives ----------------------------------------------


def test_the_dry_run_payload_is_what_the_server_receives(
    adapter: MastodonAdapter, snac: SnacServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, parent = publish(adapter, item(unique("Parent")))
    photo = image(tmp_path, "photo.png", 6)
    send = item(
        unique("Reply with a photo"),
        media=(MediaItem(str(photo), "Six grey squares"),),
        index=1,
        reply_to=parent.post_id,
        language="en",
        visibility="unlisted",
    )
    request = adapter.build(*send)  # what `run-due --dry-run` prints
    payload = request.payload
    with RecordingProxy(snac.host) as proxy:
        monkeypatch.setenv("CLARION_MASTODON_BASE_URL", proxy.url)
        # (a new adapter: one loads its account's credentials once, on its first send)
        outcome = MastodonAdapter(adapter.account).publish(request)
        records = proxy.records()
    assert isinstance(outcome, Published), outcome
    uploads = [r for r in records if r.method == "POST" and "/media" in r.path]
    posts = [r for r in records if r.method == "POST" and r.path == "/api/v1/statuses"]
    assert len(uploads) == 1 and len(posts) == 1, [(r.method, r.path) for r in records]
    upload, post = uploads[0].form(), posts[0].form()
    assert upload["description"] == [payload["media"][0]["description"]]
    assert uploads[0].files()["file"] == [Path(payload["media"][0]["file"]).read_bytes()]
    media_id = json.loads(uploads[0].answer)["id"]
    assert post["status"] == [payload["status"]]
    assert post["in_reply_to_id"] == [payload["in_reply_to_id"]] == [parent.post_id]
    assert post["visibility"] == [payload["visibility"]]
    assert post["language"] == [payload["language"]]
    assert post["media_ids[]"] == [media_id]
    assert posts[0].headers["idempotency-key"] == payload["idempotency_key"]
    # ... and what the server made of it
    status = snac.status(outcome.post_id)
    assert status["text"] == payload["status"]
    assert status["in_reply_to_id"] == payload["in_reply_to_id"]
    assert [a["description"] for a in status["media_attachments"]] == ["Six grey squares"]


# --- end to end: clarion run-due as a real process -----------------------------------------------


@pytest.mark.slow
def test_run_due_posts_a_thread_with_an_image_to_snac(snac: SnacServer, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:8]
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "banner.png").write_bytes(png(7, 2))
    campaign = tmp_path / "week.yaml"
    campaign.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            name: Snac Week
            slug: snac-{marker}
            timezone: Europe/London
            language: en
            dates: {{start: 2022-07-04, end: 2022-07-09}}
            platforms: [mastodon]
            posts:
              - id: launch
                at: 2022-07-04 09:00
                text: Launch {marker}
                images:
                  - path: media/banner.png
                    alt: A banner of seven grey squares
                thread:
                  - text: Launch {marker}, part two
                  - text: Launch {marker}, part three
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CLARION_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        CLARION_MASTODON_BASE_URL=snac.base_url,
        CLARION_MASTODON_ACCESS_TOKEN=snac.token,
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        NO_COLOR="1",
    )

    def clarion(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "clarion", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert snac.token not in done.stdout + done.stderr
        return done

    scheduled = clarion("schedule", str(campaign))
    assert scheduled.returncode == 0, scheduled.stdout + scheduled.stderr
    ran = clarion("run-due", "--pretend-now", "2022-07-04T08:00:30Z", "-v", "--log-file", "-")
    assert ran.returncode == 0, ran.stdout + ran.stderr

    keys = [
        f"snac-{marker}:launch:mastodon",
        *(f"snac-{marker}:launch:mastodon#{n}" for n in (2, 3)),
    ]
    recorded = [_published(env["CLARION_DATABASE_URL"], key) for key in keys]
    ids = [post_id for post_id, _ in recorded]
    statuses = [snac.status(i) for i in ids]
    assert [s["text"] for s in statuses] == [
        f"Launch {marker}",
        f"Launch {marker}, part two",
        f"Launch {marker}, part three",
    ]
    assert [s["in_reply_to_id"] for s in statuses] == [None, ids[0], ids[1]]
    assert [a["description"] for a in statuses[0]["media_attachments"]] == [
        "A banner of seven grey squares"
    ]
    assert _download(statuses[0]["media_attachments"][0]["url"]) == png(7, 2)
    assert [url for _, url in recorded] == [s["url"] for s in statuses]
    assert list(snac.activity(statuses[0]["url"])["contentMap"]) == ["en"]  # the campaign's


def _published(database_url: str, key: str) -> tuple[str, str | None]:
    """(platform id, URL) the ledger recorded for a published delivery."""
    ledger = open_ledger(database_url)
    try:
        row = ledger.get(key)
    finally:
        ledger.close()
    assert row is not None and row.state.value == "published", row
    assert row.platform_id is not None
    return row.platform_id, row.platform_url


def test_snac_server_answers_as_the_host_it_was_set_up_with(snac: SnacServer) -> None:
    instance = snac.api("GET", "/api/v1/instance")
    assert snac.host in json.dumps(instance)
    with pytest.raises(HttpError):
        snac.api("GET", "/api/v1/statuses/0000000000nosuchstatus")


def test_schedule_after_accounts_check_on_snac_changes_nothing(
    snac: SnacServer, tmp_path: Path
) -> None:
    """Issue 9: `accounts check` saves the real server's limits; the next `schedule` of the
    unchanged file reported every Mastodon delivery "updated" and reset its attempts."""
    marker = uuid.uuid4().hex[:8]
    campaign = tmp_path / "week.yaml"
    campaign.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            name: Limits Week
            slug: limits-{marker}
            timezone: Europe/London
            dates: {{start: 2036-07-07, end: 2036-07-12}}
            platforms: [mastodon]
            posts:
              - {{id: launch, at: 2036-07-07 09:00, text: Launch {marker}}}
              - {{id: day2, at: 2036-07-08 09:00, text: Day two {marker}}}
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CLARION_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        CLARION_MASTODON_BASE_URL=snac.base_url,
        CLARION_MASTODON_ACCESS_TOKEN=snac.token,
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        NO_COLOR="1",
    )

    def clarion(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clarion", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = clarion("schedule", str(campaign))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 added" in first.stdout
    checked = clarion("accounts", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert list((tmp_path / "xdg-cache" / "clarion" / "limits").glob("mastodon-*.json"))
    again = clarion("schedule", str(campaign))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 updated" in again.stdout and "2 unchanged" in again.stdout, again.stdout
