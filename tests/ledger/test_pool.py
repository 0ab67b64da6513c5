"""Many accounts at once, in-process: lanes per account, order kept, an account told to wait
held while the others go on (SQLite and PostgreSQL, the fake platform of tests/fakes.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import Request
from tests.fakes import FakeAdapter, FakePlatform
from tests.ledger.helpers import run, schedule, states, utc

T0 = "2022-07-04T08:00:30Z"  # 09:00:30 in London: everything below is due


def accounts_campaign(slug: str, account: str, posts: int, thread: bool = False) -> str:
    """One campaign of ``posts`` posts on Mastodon from ``account``, due at 09:00:00, :01, ..."""
    body = "".join(
        f"  - id: p{i}\n    at: 2022-07-04 09:00:{i:02d}\n    text: {account} post {i}\n"
        + (f"    thread:\n      - text: {account} post {i} part two\n" if thread else "")
        for i in range(posts)
    )
    return (
        f"version: 1\nname: {slug}\nslug: {slug}\ntimezone: Europe/London\n"
        "dates: {start: 2022-07-04, end: 2022-07-09}\nplatforms: [mastodon]\n"
        f"accounts: {{mastodon: {account}}}\nposts:\n{body}"
    )


def schedule_accounts(
    ledger: Ledger, folder: Path, n: int, posts: int, thread: bool = False
) -> list[str]:
    names = [f"acct{i:02d}" for i in range(n)]
    for name in names:
        schedule(ledger, folder, accounts_campaign(name, name, posts, thread), f"{name}.yaml")
    return names


def fake(account: str) -> FakePlatform:
    return FakeAdapter.platforms.setdefault(("mastodon", account), FakePlatform())


def test_accounts_are_sent_at_once_each_in_its_order_threads_after_their_parent(
    ledger: Ledger, tmp_path: Path
) -> None:
    names = schedule_accounts(ledger, tmp_path, 6, 3, thread=True)
    lock = threading.Lock()
    sending: set[str] = set()
    overlap: list[int] = []
    account_twice: list[str] = []
    events: list[tuple[str, str]] = []

    def on_publish(request: Request) -> None:
        account = str(request.payload["text"]).split()[0]
        with lock:
            if account in sending:
                account_twice.append(account)
            sending.add(account)
            overlap.append(len(sending))
        # hold each send until another account's send has started, or briefly
        deadline = threading.Event()
        deadline.wait(0.02)
        with lock:
            sending.discard(account)
            events.append((account, str(request.payload["text"])))

    FakeAdapter.on_publish = on_publish
    report = run(ledger, T0, workers=4)
    assert {r.state for r in report.results} == {State.PUBLISHED}
    assert len(report.results) == 36
    assert account_twice == []  # never two sends of one account at once
    assert max(overlap) > 1  # several accounts at once
    assert max(overlap) <= 4  # never more than the pool
    for name in names:
        texts = fake(name).texts()
        assert sorted(texts) == sorted(
            [f"{name} post {i}" for i in range(3)] + [f"{name} post {i} part two" for i in range(3)]
        )  # each once
        # the account's posts in due order; each reply after its parent, answering its id
        assert [t for t in texts if "part" not in t] == [f"{name} post {i}" for i in range(3)]
        received = fake(name).received
        for n, post in enumerate(received):
            if post["text"].endswith("part two"):
                parent = next(p for p in received if p["key"] == post["key"][:-2])
                assert received.index(parent) < n
                assert post["in_reply_to_id"] == parent["id"]


def test_a_rate_limited_account_waits_until_its_reset_and_the_others_go_on(
    ledger: Ledger, tmp_path: Path
) -> None:
    names = schedule_accounts(ledger, tmp_path, 3, 4)
    slow, others = names[0], names[1:]
    fake(slow).script = ["429"]
    fake(slow).reset_at = utc("2022-07-04T08:03:00Z")
    report = run(ledger, T0, workers=4)
    # the other accounts all went out; the limited one sent only the post that got the 429
    for name in others:
        assert fake(name).texts() == [f"{name} post {i}" for i in range(4)]
    assert fake(slow).received == []
    rows = {r.key: r for r in ledger.rows() if r.account == slow}
    first = rows[f"{slow}:p0:mastodon"]
    assert first.state == State.RETRY and first.attempts == 1
    reset_ms = 1656921780000
    for i in range(1, 4):
        row = rows[f"{slow}:p{i}:mastodon"]
        # held, not attempted: pending, no attempt counted, not before the reset
        assert row.state == State.PENDING and row.attempts == 0
        assert row.not_before_ms == reset_ms
    assert [r.state for r in report.results if r.key.startswith(slow)] == [State.RETRY]
    handed_back = [
        e
        for i in range(1, 4)
        for e in ledger.events(f"{slow}:p{i}:mastodon")
        if e.from_state == State.CLAIMED
    ]
    assert handed_back  # claimed in the same batch, handed back unsent
    for event in handed_back:
        assert (
            event.to_state == State.PENDING and "held until 2022-07-04 08:03:00 UTC" in event.reason
        )
        assert "not counted as an attempt" in event.reason

    # a later run before the reset sends nothing of it (the hold is in the ledger)
    assert run(ledger, "2022-07-04T08:02:00Z", workers=4).results == []
    assert fake(slow).received == []
    # after the reset: all of it, in order, each once
    later = run(ledger, "2022-07-04T08:03:30Z", workers=4)
    assert [r.state for r in later.results] == [State.PUBLISHED] * 4
    assert fake(slow).texts() == [f"{slow} post {i}" for i in range(4)]
    assert ledger.get(f"{slow}:p0:mastodon").attempts == 2  # type: ignore[union-attr]
    assert ledger.get(f"{slow}:p1:mastodon").attempts == 1  # type: ignore[union-attr]
    assert set(states(ledger).values()) == {"published"}


def test_a_rate_limit_without_a_reset_time_holds_nothing_else(
    ledger: Ledger, tmp_path: Path
) -> None:
    [name] = schedule_accounts(ledger, tmp_path, 1, 3)
    fake(name).script = ["500-before"]  # could not connect: retry that one, later posts go on
    run(ledger, T0, workers=2)
    assert fake(name).texts() == [f"{name} post 1", f"{name} post 2"]
    assert states(ledger)[f"{name}:p0:mastodon"] == "retry"


def test_a_refused_account_pauses_while_the_others_go_on(ledger: Ledger, tmp_path: Path) -> None:
    names = schedule_accounts(ledger, tmp_path, 3, 3)
    fake(names[0]).script = ["revoked"]
    run(ledger, T0, workers=3)
    after = states(ledger)
    assert after[f"{names[0]}:p0:mastodon"] == "failed"
    assert after[f"{names[0]}:p1:mastodon"] == after[f"{names[0]}:p2:mastodon"] == "paused"
    for name in names[1:]:
        assert fake(name).texts() == [f"{name} post {i}" for i in range(3)]
    assert fake(names[0]).received == []


def test_one_worker_sends_one_after_another(ledger: Ledger, tmp_path: Path) -> None:
    schedule_accounts(ledger, tmp_path, 3, 2)
    lock = threading.Lock()
    at_once = [0]
    most = [0]

    def on_publish(request: Request) -> None:
        with lock:
            at_once[0] += 1
            most[0] = max(most[0], at_once[0])
        threading.Event().wait(0.005)
        with lock:
            at_once[0] -= 1

    FakeAdapter.on_publish = on_publish
    report = run(ledger, T0, workers=1)
    assert len(report.results) == 6 and most[0] == 1


def test_the_lease_keeper_extends_what_the_run_holds(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeAdapter, "timeout_s", 0.05)  # a send's lease: the run's, 150 ms
    schedule_accounts(ledger, tmp_path, 1, 1)
    seen: list[int | None] = []

    def on_publish(request: Request) -> None:
        row = ledger.get(request.key)
        assert row is not None and row.state == State.SENDING
        before = row.lease_until_ms
        # wait (on the real clock) until the keeper has pushed the lease on
        done = threading.Event()
        for _ in range(100):
            now = ledger.get(request.key)
            if now is not None and now.lease_until_ms != before:
                seen.append(now.lease_until_ms)
                break
            done.wait(0.02)
        seen.append(before)

    FakeAdapter.on_publish = on_publish
    run(ledger, T0, workers=2, lease_ms=150)
    assert len(seen) == 2 and seen[0] is not None and seen[1] is not None
    assert seen[0] > seen[1]  # extended while the send worked
    assert states(ledger) == {"acct00:p0:mastodon": "published"}
