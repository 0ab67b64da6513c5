"""The Bluesky adapter against a real PDS (``@atproto/dev-env``, see :mod:`tests.servers.pds`).

What was posted is read back from the PDS itself (``getRecord``, ``listRecords``, ``getBlob``).
Answers a real PDS will not give on demand (rate limits, server errors) come from a small stub
server; the recorded ``getRecord`` answer in ``../shared`` checks the parsing of a real one.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from clarion.delivery import Media, idempotency_key
from clarion.platforms.adapter import Request
from clarion.platforms.bluesky import BlueskyAdapter, post_rkey
from clarion.platforms.outcomes import Absent, Failed, Published, RetryLater, Unknown
from tests import shared
from tests.conftest import png
from tests.deliveries import MediaItem, Sendable, sendable
from tests.net import Serving
from tests.servers.pds import Account, PdsServer, start_pds

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RECORDED = "fixtures/recorded/bluesky"  # in ../shared; the tests that replay it skip without it
_names = itertools.count(1)


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdsServer]:
    with start_pds(tmp_path_factory.mktemp("pds")) as server:
        yield server


@pytest.fixture(autouse=True)
def own_token_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's saved Bluesky sessions in its own data folder (clarion.tokens)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def use(monkeypatch: pytest.MonkeyPatch, service: str, handle: str, password: str) -> None:
    monkeypatch.setenv("CLARION_ENV_FILE", "/nonexistent/.env")
    monkeypatch.setenv("CLARION_BLUESKY_SERVICE", service)
    monkeypatch.setenv("CLARION_BLUESKY_HANDLE", handle)
    monkeypatch.setenv("CLARION_BLUESKY_APP_PASSWORD", password)


@pytest.fixture
def account(pds: PdsServer, monkeypatch: pytest.MonkeyPatch) -> Account:
    """A new account on the PDS, and the environment that makes the adapter post as it."""
    made = pds.create_account(f"user{next(_names)}")
    use(monkeypatch, pds.url, made.handle, made.password)
    return made


def item(
    key: str,
    text: str,
    media: tuple[Media, ...] = (),
    part: int = 0,
    reply_to: str | None = None,
    **extra: Any,
) -> Sendable:
    return sendable(
        key,
        "bluesky",
        text,
        media,
        thread_index=part,
        reply_to_id=reply_to,
        reply_to_key=f"{key}-parent" if part else None,
        **extra,
    )


def posted(outcome: object) -> Published:
    assert isinstance(outcome, Published), outcome
    return outcome


def at(text: str, facet: dict[str, Any]) -> str:
    """The text a facet covers (its offsets are UTF-8 bytes)."""
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    return text.encode()[start:end].decode()


# --- against the real PDS -------------------------------------------------------------------------


def test_text_with_accents_and_emoji_gets_facets_at_utf8_byte_offsets(
    pds: PdsServer, account: Account
) -> None:
    text = (
        f"Café ☕️ déjà vu 🇫🇷 👩‍👩‍👧: https://example.com/week?x=1 #Coproduction "
        f"with @{account.handle} and @nobody.test."
    )
    adapter = BlueskyAdapter()
    out = posted(adapter.publish(adapter.build(*item("facets", text, language="fr"))))

    rkey = post_rkey(idempotency_key("facets"))
    assert out.post_id == f"at://{account.did}/app.bsky.feed.post/{rkey}"
    assert out.url == f"https://bsky.app/profile/{account.handle}/post/{rkey}"
    stored = pds.get_record(out.post_id)["value"]
    assert stored["text"] == text
    assert stored["langs"] == ["fr"]
    covered = [(at(text, f), f["features"][0]) for f in stored["facets"]]
    assert covered == [
        (
            "https://example.com/week?x=1",
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/week?x=1"},
        ),
        ("#Coproduction", {"$type": "app.bsky.richtext.facet#tag", "tag": "Coproduction"}),
        (f"@{account.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": account.did}),
    ]  # @nobody.test does not resolve: plain text, no facet
    created = dt.datetime.fromisoformat(stored["createdAt"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 60


def test_images_are_uploaded_with_alt_text_and_aspect_ratio(
    pds: PdsServer, account: Account, tmp_path: Path
) -> None:
    files = {"wide.png": png(8, 3), "tall.png": png(3, 7, pad=500)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    media = (
        MediaItem(str(tmp_path / "wide.png"), "A wide grey box"),
        MediaItem(str(tmp_path / "tall.png"), "Une boîte grise, haute"),
    )
    adapter = BlueskyAdapter()
    out = posted(adapter.publish(adapter.build(*item("images", "Two pictures", media))))

    embed = pds.get_record(out.post_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    got = [
        (i["alt"], i["aspectRatio"], i["image"]["mimeType"], i["image"]["size"])
        for i in embed["images"]
    ]
    # what is sent is each image prepared (tests/platforms/test_images.py): the first as it is,
    # the second without its text chunk (metadata)
    from clarion import platforms
    from clarion.platforms import images

    bluesky = platforms.get("bluesky")
    sent = [Path(images.prepare(tmp_path / name, bluesky).file).read_bytes() for name in files]
    assert sent[0] == files["wide.png"] and len(sent[1]) < len(files["tall.png"])
    assert got == [
        ("A wide grey box", {"width": 8, "height": 3}, "image/png", len(sent[0])),
        ("Une boîte grise, haute", {"width": 3, "height": 7}, "image/png", len(sent[1])),
    ]
    blobs = [pds.get_blob(account.did, i["image"]["ref"]["$link"]) for i in embed["images"]]
    assert blobs == sent


def test_a_three_part_thread_points_at_its_root_and_parent(
    pds: PdsServer, account: Account
) -> None:
    adapter = BlueskyAdapter()
    first = posted(adapter.publish(adapter.build(*item("thread", "1/3 Start"))))
    second = posted(
        adapter.publish(
            adapter.build(*item("thread#2", "2/3 Middle", part=1, reply_to=first.post_id))
        )
    )
    third = posted(
        adapter.publish(
            adapter.build(*item("thread#3", "3/3 End", part=2, reply_to=second.post_id))
        )
    )

    records = {p.post_id: pds.get_record(p.post_id) for p in (first, second, third)}
    ref = {uri: {"uri": uri, "cid": r["cid"]} for uri, r in records.items()}
    assert "reply" not in records[first.post_id]["value"]
    assert records[second.post_id]["value"]["reply"] == {
        "root": ref[first.post_id],
        "parent": ref[first.post_id],
    }
    assert records[third.post_id]["value"]["reply"] == {
        "root": ref[first.post_id],
        "parent": ref[second.post_id],
    }


def test_a_reply_to_a_post_that_does_not_exist_fails_and_sends_nothing(
    pds: PdsServer, account: Account
) -> None:
    adapter = BlueskyAdapter()
    ghost = f"at://{account.did}/app.bsky.feed.post/{post_rkey('ghost')}"
    out = adapter.publish(adapter.build(*item("orphan", "Reply", part=1, reply_to=ghost)))
    assert isinstance(out, Failed) and "no post at" in out.reason
    assert pds.list_posts(account.did) == []


def test_sending_the_same_request_again_leaves_one_post(pds: PdsServer, account: Account) -> None:
    request = BlueskyAdapter().build(*item("again", "Only once, please"))
    first = posted(BlueskyAdapter().publish(request))
    again = posted(BlueskyAdapter().publish(request))  # a fresh process, same delivery

    assert again.post_id == first.post_id
    assert [r["uri"] for r in pds.list_posts(account.did)] == [first.post_id]
    assert BlueskyAdapter().reconcile(request) == first


def test_a_lost_answer_is_found_by_its_record_key_and_never_posted_twice(
    pds: PdsServer, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Proxy(pds.url, drop="com.atproto.repo.createRecord") as proxy:
        use(monkeypatch, proxy.url, account.handle, account.password)
        adapter = BlueskyAdapter()
        request = adapter.build(*item("lost", "The answer to this one is lost"))
        out = posted(adapter.publish(request))  # the PDS made it; the answer never came back
        assert proxy.dropped == 1
        assert BlueskyAdapter().reconcile(request) == out
        assert posted(BlueskyAdapter().publish(request)) == out  # a blind retry: same post
        assert proxy.dropped == 1  # the PDS refused the second create: the key was taken
    assert [r["uri"] for r in pds.list_posts(account.did)] == [out.post_id]


def test_reconcile_says_absent_when_the_post_was_never_made(account: Account) -> None:
    adapter = BlueskyAdapter()
    assert isinstance(adapter.reconcile(adapter.build(*item("never", "Never sent"))), Absent)


def test_check_with_the_right_and_a_wrong_password(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = BlueskyAdapter().check()
    assert ok.ok and ok.posts_as == f"@{account.handle} ({account.did})"

    monkeypatch.setenv("CLARION_BLUESKY_APP_PASSWORD", "not-the-password")
    bad = BlueskyAdapter().check()
    assert not bad.ok
    assert bad.problem is not None and "Invalid identifier or password" in bad.problem
    assert "not-the-password" not in bad.problem
    out = BlueskyAdapter().publish(BlueskyAdapter().build(*item("denied", "Hello")))
    assert isinstance(out, Failed) and out.auth and "Invalid identifier or password" in out.reason


def test_the_dry_run_payload_is_what_the_pds_stored(
    pds: PdsServer, account: Account, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(png(6, 4))
    first = BlueskyAdapter().publish(BlueskyAdapter().build(*item("dry", "Parent")))
    adapter = BlueskyAdapter()
    text = f"Über 😀 @{account.handle} https://example.org #Tag"
    request = adapter.build(
        *item(
            "dry#2",
            text,
            (MediaItem(str(tmp_path / "a.png"), "Alt"),),
            part=1,
            reply_to=posted(first).post_id,
            language="de",
        )
    )
    json.dumps(request.payload)  # JSON-serialisable, as dry runs print it
    assert request.payload["repo"] == f"<did of @{account.handle}>"
    built = request.payload["record"]
    stored = pds.get_record(posted(adapter.publish(request)).post_id)["value"]

    parent = pds.get_record(posted(first).post_id)
    placeholders = {
        "<time of sending>": stored["createdAt"],
        f"<did of @{account.handle}>": account.did,
        f"<blob of {tmp_path / 'a.png'}>": stored["embed"]["images"][0]["image"],
        f"<root of {parent['uri']}>": parent["uri"],
        f"<cid of the root of {parent['uri']}>": parent["cid"],
        f"<cid of {parent['uri']}>": parent["cid"],
    }
    assert fill(built, placeholders) == stored


def fill(value: Any, placeholders: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    return placeholders.get(value, value) if isinstance(value, str) else value


# --- `clarion run-due` as a real process ----------------------------------------------------------


def test_run_due_posts_a_thread_with_an_image(
    pds: PdsServer, account: Account, tmp_path: Path
) -> None:
    (tmp_path / "poster.png").write_bytes(png(12, 5))
    campaign = tmp_path / "launch.yaml"
    campaign.write_text(
        textwrap.dedent(
            """\
            version: 1
            name: Launch
            slug: launch
            timezone: UTC
            dates: {start: 2022-07-04, end: 2022-07-09}
            platforms: [bluesky]
            posts:
              - id: hello
                at: 2022-07-04 09:00
                text: "Hello from Clarion 👋 #launch https://example.com"
                images:
                  - {path: poster.png, alt: "A poster"}
                thread:
                  - text: "And a second part."
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CLARION_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.db'}",
        CLARION_ADAPTERS="bluesky=clarion.platforms.bluesky:BlueskyAdapter",
        CLARION_ENV_FILE=str(tmp_path / "none.env"),
        CLARION_BLUESKY_SERVICE=pds.url,
        CLARION_BLUESKY_HANDLE=account.handle,
        CLARION_BLUESKY_APP_PASSWORD=account.password,
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
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

    scheduled = clarion("schedule", str(campaign))
    assert scheduled.returncode == 0, scheduled.stdout + scheduled.stderr
    done = clarion("run-due", "--pretend-now", "2022-07-04T09:00:30Z")
    assert done.returncode == 0, done.stdout + done.stderr
    assert account.password not in done.stdout + done.stderr

    posts = {r["value"]["text"]: r for r in pds.list_posts(account.did)}
    assert set(posts) == {"Hello from Clarion 👋 #launch https://example.com", "And a second part."}
    head = posts["Hello from Clarion 👋 #launch https://example.com"]
    image = head["value"]["embed"]["images"][0]
    assert (image["alt"], image["aspectRatio"]) == ("A poster", {"width": 12, "height": 5})
    assert pds.get_blob(account.did, image["image"]["ref"]["$link"]) == png(12, 5)
    reply = posts["And a second part."]["value"]["reply"]
    assert reply["parent"] == reply["root"] == {"uri": head["uri"], "cid": head["cid"]}


# --- answers a real PDS does not give on demand: a stub server ------------------------------------


def jwt(did: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"sub": did, "exp": int(time.time()) + 3600, "scope": "com.atproto.access"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


Answer = tuple[int, dict[str, str], Any]
DID = "did:plc:stubstubstubstubstubstub"
NOT_FOUND: Answer = (400, {}, {"error": "RecordNotFound", "message": "Could not locate record"})


class Stub(Serving):
    """An XRPC server on 127.0.0.1 answering each method from a script (last answer repeats)."""

    def __init__(self, did: str, answers: dict[str, list[Answer]]) -> None:
        session = {"did": did, "handle": "stub.test", "accessJwt": jwt(did), "refreshJwt": "r"}
        blob = {"$type": "blob", "ref": {"$link": "bafkstub"}, "mimeType": "image/png", "size": 9}
        self.answers: dict[str, list[Answer]] = {
            "com.atproto.server.createSession": [(200, {}, session)],
            "com.atproto.repo.uploadBlob": [(200, {}, {"blob": blob})],
            "com.atproto.repo.getRecord": [NOT_FOUND],
            **answers,
        }
        self.calls: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.answer()

            def answer(self) -> None:
                nsid = self.path.split("?")[0].removeprefix("/xrpc/")
                stub.calls.append(nsid)
                script = stub.answers.get(nsid) or [(404, {}, {"error": "MethodNotImplemented"})]
                status, headers, body = script.pop(0) if len(script) > 1 else script[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def __enter__(self) -> Stub:
        self.start()
        return self


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared.read_text(f"{RECORDED}/{name}"))
    return data


def request_for(record: dict[str, Any]) -> Request:
    """A request whose record key and text are those of a recorded getRecord answer."""
    rkey = record["uri"].rsplit("/", 1)[1]
    payload = {"rkey": rkey, "record": {"text": record["value"]["text"]}}
    return Request("bluesky", "default", "recorded", payload)


def test_reconcile_reads_a_recorded_get_record_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = recorded("atproto-post_record.json")
    other = recorded("atproto-extended_post_record.json")
    did = answer["uri"].split("/")[2]
    stub = Stub(did, {"com.atproto.repo.getRecord": [(200, {}, answer)]})
    with stub:
        use(monkeypatch, stub.url, "stub.test", "pw")
        found = BlueskyAdapter().reconcile(request_for(answer))
        different = BlueskyAdapter().reconcile(request_for(other))
    assert found == Published(
        answer["uri"], "https://bsky.app/profile/stub.test/post/3k2yihcrp6f2c"
    )
    assert isinstance(different, Unknown) and "different text" in different.reason


@pytest.mark.parametrize(
    ("answers", "check"),
    [
        pytest.param(
            {
                "com.atproto.repo.createRecord": [
                    (
                        429,
                        {"ratelimit-reset": "1900000000"},
                        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                    )
                ]
            },
            lambda o: (
                isinstance(o, RetryLater)
                and o.not_before == dt.datetime.fromtimestamp(1_900_000_000, dt.UTC)
            ),
            id="429-retry-at-reset",
        ),
        pytest.param(
            {
                "com.atproto.repo.createRecord": [(500, {}, {"error": "InternalServerError"})],
                "com.atproto.repo.getRecord": [NOT_FOUND],
            },
            lambda o: isinstance(o, Unknown) and "InternalServerError" in o.reason,
            id="500-unknown",
        ),
        pytest.param(
            {
                "com.atproto.repo.createRecord": [
                    (
                        400,
                        {},
                        {
                            "error": "InvalidRequest",
                            "message": "Invalid app.bsky.feed.post record: text too long",
                        },
                    )
                ]
            },
            lambda o: isinstance(o, Failed) and not o.auth and "text too long" in o.reason,
            id="400-failed",
        ),
        pytest.param(
            {
                "com.atproto.server.createSession": [
                    (
                        401,
                        {},
                        {
                            "error": "AuthenticationRequired",
                            "message": "Invalid identifier or password",
                        },
                    )
                ]
            },
            lambda o: isinstance(o, Failed) and o.auth and "Invalid identifier" in o.reason,
            id="401-auth",
        ),
        pytest.param(
            {
                "com.atproto.repo.createRecord": [
                    (400, {}, {"error": "ExpiredToken", "message": "Token has expired"})
                ]
            },
            lambda o: isinstance(o, Failed) and o.auth,
            id="expired-token-auth",
        ),
        pytest.param(
            {
                "com.atproto.repo.uploadBlob": [
                    (413, {}, {"error": "PayloadTooLarge", "message": "request entity too large"})
                ]
            },
            lambda o: isinstance(o, Failed) and "too large" in o.reason,
            id="blob-too-large",
        ),
    ],
)
def test_answers_are_classified(
    answers: dict[str, list[Answer]],
    check: Callable[[object], bool],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "a.png").write_bytes(png())
    with Stub(DID, answers) as stub:
        use(monkeypatch, stub.url, "stub.test", "pw")
        adapter = BlueskyAdapter()
        media = (MediaItem(str(tmp_path / "a.png"), "alt"),)
        outcome = adapter.publish(adapter.build(*item("stub", "Hello", media)))
    assert check(outcome), outcome


def test_a_refused_connection_is_retried_as_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    with Stub(DID, {}) as stub:
        port = stub.port
    use(monkeypatch, f"http://127.0.0.1:{port}", "stub.test", "pw")  # closed: refused
    outcome = BlueskyAdapter().publish(BlueskyAdapter().build(*item("refused", "Hello")))
    assert isinstance(outcome, RetryLater) and outcome.before_send, outcome


# --- a proxy that loses answers ------------------------------------------------------------------


class Proxy(Serving):
    """Forwards XRPC calls to ``target``; for ``drop`` it forwards, then closes the connection
    without an answer (the PDS has done the work; the client never hears)."""

    def __init__(self, target: str, drop: str) -> None:
        self.dropped = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.forward(None)

            def do_POST(self) -> None:
                self.forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def forward(self, body: bytes | None) -> None:
                req = urllib.request.Request(target + self.path, data=body, method=self.command)
                for name in ("Authorization", "Content-Type"):
                    if self.headers.get(name):
                        req.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(req, timeout=30) as res:
                        status, headers, data = res.status, res.headers, res.read()
                except urllib.error.HTTPError as exc:
                    status, headers, data = exc.code, exc.headers, exc.read()
                if drop in self.path and status == 200:
                    proxy.dropped += 1
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def __enter__(self) -> Proxy:
        self.start()
        return self


def test_quote_posts_embed_the_quoted_post(
    pds: PdsServer, account: Account, tmp_path: Path
) -> None:
    adapter = BlueskyAdapter()
    quoted = posted(adapter.publish(adapter.build(*item("quoted", "Worth quoting"))))
    ref = {"uri": quoted.post_id, "cid": pds.get_record(quoted.post_id)["cid"]}
    (tmp_path / "q.png").write_bytes(png(2, 2))

    by_url = posted(adapter.publish(adapter.build(*item("q1", "See this", quote_of=quoted.url))))
    with_image = posted(
        adapter.publish(
            adapter.build(
                *item(
                    "q2",
                    "And this",
                    (MediaItem(str(tmp_path / "q.png"), "Square"),),
                    quote_of=quoted.post_id,
                )
            )
        )
    )

    assert pds.get_record(by_url.post_id)["value"]["embed"] == {
        "$type": "app.bsky.embed.record",
        "record": ref,
    }
    embed = pds.get_record(with_image.post_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.recordWithMedia"
    assert embed["record"] == {"$type": "app.bsky.embed.record", "record": ref}
    assert [i["alt"] for i in embed["media"]["images"]] == ["Square"]


# --- without a server -----------------------------------------------------------------------------


def test_record_keys_are_valid_tids_fixed_per_delivery() -> None:
    import re

    keys = {post_rkey(idempotency_key(f"week:post{n}:bluesky")) for n in range(2000)}
    assert len(keys) == 2000
    tid = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
    assert all(tid.match(k) for k in keys)
    assert post_rkey("same") == post_rkey("same")
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    for key in keys:
        micros = sum(alphabet.index(c) << (5 * i) for i, c in enumerate(reversed(key))) >> 10
        assert dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp() <= micros / 1e6 < time.time()


@pytest.mark.parametrize(
    ("head", "size"),
    [
        (png(640, 480), (640, 480)),
        (
            b"GIF89a" + (300).to_bytes(2, "little") + (200).to_bytes(2, "little") + b"\0" * 8,
            (300, 200),
        ),
        # JPEG: SOI, an APP0 segment, then SOF0 (precision, height, width)
        (
            b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08"
            + (720).to_bytes(2, "big")
            + (1280).to_bytes(2, "big")
            + b"\x03"
            + b"\0" * 9,
            (1280, 720),
        ),
        # WebP extended (VP8X): 24-bit width-1 and height-1
        (
            b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0"
            + (999).to_bytes(3, "little")
            + (499).to_bytes(3, "little"),
            (1000, 500),
        ),
        (b"not an image", None),
    ],
)
def test_pixel_size_from_the_header(head: bytes, size: tuple[int, int] | None) -> None:
    from clarion.platforms.bluesky._images import pixel_size

    assert pixel_size(head) == size


def test_missing_npm_packages_fail_naming_the_script(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.servers import pds as helper

    monkeypatch.setattr(helper, "MODULES", tmp_path / "node_modules" / "@atproto" / "dev-env")
    with (
        pytest.raises(pytest.fail.Exception, match="run scripts/ensure-pds"),
        start_pds(tmp_path / "pds"),
    ):
        pass


def test_a_session_that_expired_between_posts_is_renewed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = (200, {}, {"uri": f"at://{DID}/app.bsky.feed.post/x", "cid": "bafy"})
    expired = (400, {}, {"error": "ExpiredToken", "message": "Token has expired"})
    with Stub(DID, {"com.atproto.repo.createRecord": [made, expired, made]}) as stub:
        use(monkeypatch, stub.url, "stub.test", "pw")
        adapter = BlueskyAdapter()
        first = adapter.publish(adapter.build(*item("s1", "One")))
        second = adapter.publish(adapter.build(*item("s2", "Two")))
    assert isinstance(first, Published) and isinstance(second, Published), (first, second)
    assert stub.calls == [
        "com.atproto.server.createSession",
        "com.atproto.repo.createRecord",
        "com.atproto.repo.createRecord",  # refused: the token expired
        "com.atproto.server.refreshSession",  # renewing it is tried first (not served here)
        "com.atproto.server.createSession",
        "com.atproto.repo.createRecord",
    ]
