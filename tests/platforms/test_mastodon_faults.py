"""Mastodon's faults settled without a person, on a stub that keeps ``Idempotency-Key`` as
Mastodon does (tests/servers/mastodon_stub.py): a 500 after the status was made, a 429 with
``Retry-After``, and reconcile within and after the key's hour (re-send with the same key, or a
look-up among the account's statuses). The engine runs in this process on a real SQLite ledger;
the kill -9 tests with real processes are in tests/ledger/test_mastodon_subprocess.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mastodon")

from clarion import secrets
from clarion.delivery import idempotency_key
from clarion.engine import Engine, RunOptions
from clarion.engine.policy import decide
from clarion.ledger import open_ledger
from clarion.ledger.rows import DeliveryRow
from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Request
from clarion.platforms.mastodon import MastodonAdapter
from clarion.platforms.outcomes import Absent, Published, RetryLater, Unknown
from tests.conftest import png
from tests.deliveries import MediaItem, sendable
from tests.ledger.helpers import schedule
from tests.servers.mastodon_stub import TOKEN, MastodonStub

STATUSES = "POST /api/v1/statuses"
KEY = "week:launch:mastodon"
HOUR_MS = 3_600_000
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def campaign(slug: str, account: str = "default", posts: int = 1) -> str:
    at = NOW.astimezone(dt.UTC)
    lines = "".join(
        f"  - id: p{i}\n    at: {at:%Y-%m-%d %H:%M:%S}\n    text: {slug} post {i} #week\n"
        for i in range(posts)
    )
    accounts = f"accounts: {{mastodon: {account}}}\n" if account != "default" else ""
    return (
        f"version: 1\nname: {slug}\nslug: {slug}\ntimezone: UTC\n"
        f"dates: {{start: {at:%Y-%m-%d}, end: {at + dt.timedelta(days=1):%Y-%m-%d}}}\n"
        f"{accounts}platforms: [mastodon]\nposts:\n{lines}"
    )


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[MastodonStub]:
    with MastodonStub() as server:
        monkeypatch.setenv("CLARION_MASTODON_BASE_URL", server.url)
        monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("CLARION_MASTODON_TIMEOUT", "2")
        yield server
    secrets.clear()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    yield led
    led.close()


def engine(ledger: Ledger) -> Engine:
    return Engine(ledger, lambda platform, account: MastodonAdapter(account), actor="test")


def row(ledger: Ledger, key: str) -> DeliveryRow:
    found = ledger.get(key)
    assert found is not None
    return found


def run(ledger: Ledger) -> None:
    engine(ledger).run(RunOptions(backoff_base_ms=1000, backoff_cap_ms=2000))


def request(text: str = "Launch day #week", first_sent_ms: int | None = None) -> Request:
    a = MastodonAdapter()
    built = a.build(*sendable("week:launch:mastodon", "mastodon", text))
    return dataclasses.replace(built, first_sent_ms=first_sent_ms)


def other(n: int, text: str = "") -> Request:
    """Another delivery's request (its own key)."""
    return MastodonAdapter().build(
        *sendable(f"week:o{n}:mastodon", "mastodon", text or f"other {n}")
    )


def real_ms() -> int:
    return int(time.time() * 1000)


# --- a. an error answer after the status was sent ------------------------------------------------


def test_500_after_create_on_every_try_stays_unconfirmed_then_publishes_once(
    stub: MastodonStub, ledger: Ledger, tmp_path: Path
) -> None:
    schedule(ledger, tmp_path, campaign("week"))
    key = "week:p0:mastodon"
    stub.fault(STATUSES, "error_after_create", times=8)
    for _ in range(7):  # more runs than the 5 attempts a retry gets: never "failed"
        run(ledger)
        assert row(ledger, key).state == State.UNCONFIRMED
    assert len(stub.statuses) == 1  # every re-send carried the key: one status
    assert len(stub.requests(STATUSES)) == 7
    run(ledger)  # still 500 (the 8th), then the server is well again
    run(ledger)
    done = row(ledger, key)
    assert done.state == State.PUBLISHED
    assert done.platform_id == stub.statuses[0]["id"]
    assert stub.posts_with_key() == {idempotency_key(key): 1}
    history = [e.to_state for e in ledger.events(key)]
    assert State.FAILED not in history and State.RETRY not in history


def test_a_retry_that_may_have_reached_the_platform_never_ends_failed() -> None:
    out = RetryLater("Mastodon answered 502", before_send=False)
    decision = decide(out, attempts=5, now_ms=0, deadline_ms=HOUR_MS)
    assert decision.state == State.UNCONFIRMED
    before = decide(RetryLater("refused", before_send=True), attempts=5, now_ms=0, deadline_ms=1)
    assert before.state == State.FAILED  # nothing reached it: giving up is safe to say


# --- c. 429 with Retry-After ----------------------------------------------------------------------


def test_429_retry_after_120_waits_120_s_for_that_account_only(
    stub: MastodonStub, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with MastodonStub() as other:
        monkeypatch.setenv("CLARION_MASTODON_TEAM_BASE_URL", other.url)
        monkeypatch.setenv("CLARION_MASTODON_TEAM_ACCESS_TOKEN", TOKEN)
        schedule(ledger, tmp_path, campaign("week"), "week.yaml")
        schedule(ledger, tmp_path, campaign("team", "team"), "team.yaml")
        stub.fault(STATUSES, "rate_limit", retry_after=120)
        before = real_ms()
        run(ledger)
        limited, fine = row(ledger, "week:p0:mastodon"), row(ledger, "team:p0:mastodon")
        assert fine.state == State.PUBLISHED and len(other.statuses) == 1
    assert limited.state == State.RETRY
    assert limited.not_before_ms is not None and limited.not_before_ms >= before + 120_000
    assert "rate limited by Mastodon" in (limited.last_error or "")
    assert stub.statuses == []


def test_429_reads_the_http_date_form_of_retry_after(stub: MastodonStub) -> None:
    from email.utils import format_datetime

    when = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=9)).replace(microsecond=0)
    stub.fault(STATUSES, "rate_limit", retry_after=format_datetime(when, usegmt=True))
    out = MastodonAdapter().publish(request())
    assert isinstance(out, RetryLater) and out.before_send
    assert out.not_before is not None and out.not_before >= when


# --- b. reconcile within and after the key's hour -------------------------------------------------


def test_within_the_hour_reconcile_resends_with_the_same_key_and_gets_the_status(
    stub: MastodonStub,
) -> None:
    stub.fault(STATUSES, "error_after_create")
    sent = request(first_sent_ms=real_ms())
    assert isinstance(MastodonAdapter().publish(sent), Unknown)
    [made] = stub.statuses
    out = MastodonAdapter().reconcile(sent)
    assert out == Published(made["id"], f"{stub.url}/@clarion/{made['id']}")
    assert len(stub.statuses) == 1
    keys = [r.headers.get("Idempotency-Key") for r in stub.requests(STATUSES)]
    assert keys == [sent.payload["idempotency_key"]] * 2


def test_within_the_hour_a_status_never_made_is_made_once(stub: MastodonStub) -> None:
    sent = request(first_sent_ms=real_ms() - 50 * 60_000)  # 50 minutes ago: still covered
    out = MastodonAdapter().reconcile(sent)
    assert isinstance(out, Published)
    assert stub.texts() == ["Launch day #week"]


def test_after_the_hour_reconcile_looks_the_status_up_and_sends_nothing(
    stub: MastodonStub,
) -> None:
    stub.fault(STATUSES, "error_after_create")
    first = real_ms()
    assert isinstance(MastodonAdapter().publish(request(first_sent_ms=first)), Unknown)
    stub.advance(3700)  # the server has forgotten the key
    later = request(first_sent_ms=first - 3_700_000)  # as seen from an hour later
    for n in range(45):  # more than a page of other statuses after it
        MastodonAdapter().publish(other(n))
    out = MastodonAdapter().reconcile(later)
    assert isinstance(out, Published) and out.post_id == stub.statuses[0]["id"]
    assert len(stub.requests(STATUSES)) == 46  # the look-up posted nothing
    assert len(stub.statuses) == 46


def test_after_the_hour_a_status_never_made_is_absent(stub: MastodonStub) -> None:
    MastodonAdapter().publish(other(1, "something else"))
    out = MastodonAdapter().reconcile(request(first_sent_ms=real_ms() - 2 * HOUR_MS))
    assert isinstance(out, Absent)
    assert stub.texts() == ["something else"]


def test_the_look_up_compares_links_and_mentions_by_the_statuss_source(
    stub: MastodonStub,
) -> None:
    text = "Read https://example.org/a-very-long-path/page and ask @team@social.example"
    MastodonAdapter().publish(other(1, text))
    out = MastodonAdapter().reconcile(request(text, first_sent_ms=real_ms() - 2 * HOUR_MS))
    assert isinstance(out, Published)
    assert len(stub.requests(f"GET /api/v1/statuses/{out.post_id}/source")) == 1


def test_an_older_status_with_the_same_text_is_not_taken_for_this_one(
    stub: MastodonStub,
) -> None:
    MastodonAdapter().publish(other(1, "Launch day #week"))
    stub.statuses[0]["created"] -= 3 * 3600  # made three hours before this delivery's first send
    out = MastodonAdapter().reconcile(request(first_sent_ms=real_ms() - 2 * HOUR_MS + 60_000))
    assert isinstance(out, Absent)


def test_a_server_that_may_not_keep_keys_is_looked_up_even_within_the_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with MastodonStub(source_url="https://codeberg.org/grunfink/snac2") as snac_like:
        monkeypatch.setenv("CLARION_MASTODON_BASE_URL", snac_like.url)
        monkeypatch.setenv("CLARION_MASTODON_ACCESS_TOKEN", TOKEN)
        out = MastodonAdapter().reconcile(request(first_sent_ms=real_ms()))
        assert isinstance(out, Absent)
        assert snac_like.statuses == [] and snac_like.requests(STATUSES) == []
    secrets.clear()


def test_a_rate_limited_look_up_retries_later_and_says_nothing_about_the_post(
    stub: MastodonStub,
) -> None:
    stub.fault("GET /api/v1/accounts/:id/statuses", "rate_limit", retry_after=60)
    out = MastodonAdapter().reconcile(request(first_sent_ms=real_ms() - 2 * HOUR_MS))
    assert isinstance(out, RetryLater) and out.not_before is not None


def test_a_post_with_an_image_resent_within_the_hour_is_one_status_with_its_image(
    stub: MastodonStub, tmp_path: Path
) -> None:
    image = tmp_path / "card.png"
    image.write_bytes(png())
    a = MastodonAdapter()
    a.poll_interval_s = 0.0
    built = a.build(*sendable(KEY, "mastodon", "With a card", (MediaItem(str(image), "A card"),)))
    sent = dataclasses.replace(built, first_sent_ms=real_ms())
    stub.fault(STATUSES, "error_after_create")
    assert isinstance(a.publish(sent), Unknown)
    out = a.reconcile(sent)
    assert isinstance(out, Published)
    [status] = stub.statuses
    assert [m["description"] for m in status["media"]] == ["A card"]
    assert len(stub.requests("POST /api/v2/media")) == 2  # uploaded again; the first copy kept


def test_a_resend_after_the_prepared_image_was_cleared_from_the_cache_makes_it_again(
    stub: MastodonStub, ledger: Ledger, tmp_path: Path
) -> None:
    """The stored request names the image prepared for Mastodon in the cache folder; when the
    cache is cleared before the re-send, the same file is made again and the status carries it."""
    import io
    import shutil

    from PIL import Image

    from clarion.platforms import images

    photo = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: so a prepared copy is made
    Image.new("RGB", (64, 48), (200, 40, 40)).save(photo, "JPEG", exif=exif)
    (tmp_path / "photo.jpg").write_bytes(photo.getvalue())
    text = campaign("week").replace(
        "#week\n", "#week\n    images: [{path: photo.jpg, alt: A red square}]\n"
    )
    schedule(ledger, tmp_path, text)
    key = "week:p0:mastodon"
    stub.fault(STATUSES, "error_after_create")
    run(ledger)
    kept = row(ledger, key)
    assert kept.state == State.UNCONFIRMED
    [image] = (kept.request or {})["images"]
    assert Path(image["file"]).is_relative_to(images.folder())
    shutil.rmtree(images.folder())
    run(ledger)
    assert row(ledger, key).state == State.PUBLISHED
    assert Path(image["file"]).is_file()
    [status] = stub.statuses
    assert [m["description"] for m in status["media"]] == ["A red square"]
