"""Alerts through apprise to a real SMTP server and a real webhook receiver, from real runs."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from clarion.alerts import after_run, digest_if_due, notifier_problems
from clarion.alerts.messages import first_words
from clarion.alerts.targets import Target, split
from clarion.ledger import open_ledger
from clarion.platforms.adapter import AccountStatus
from clarion.settings import environ
from tests.alerts.conftest import Clarion, fake
from tests.clarion_proc import ROOT
from tests.fakes import TOKEN, FakeAdapter
from tests.ledger.helpers import run, utc
from tests.net import closed_port
from tests.servers.smtp import PASSWORD, SmtpServer
from tests.servers.webhook import Webhook

LAUNCH = "week:launch:mastodon"
DAY2 = "week:day2:mastodon"


def test_a_failed_post_is_told_once_by_mail_and_webhook(
    tmp_path: Path, any_url: str, smtp: SmtpServer, webhook: Webhook
) -> None:
    clarion = Clarion(tmp_path, any_url, f"{smtp.url()} , {webhook.url}")
    assert clarion("schedule", str(clarion.week)).exit_code == 0
    fake().script = ["refused"]
    first = clarion.run("2022-07-04T08:00:00Z")
    assert first.exit_code == 1  # publishing reports as before

    (mail,) = smtp.wait_for(1)
    (hook,) = webhook.wait_for(1)
    for title, body in ((mail.subject, mail.text), (hook["title"], hook["message"])):
        assert title == "Clarion: a post failed (Test Week, Mastodon)"
        assert "Campaign: Test Week (week)" in body
        assert "Platform: Mastodon, account default" in body
        assert "Due: 2022-07-04 09:00 (+01:00)" in body
        assert f'Post: "Launch" ({LAUNCH})' in body
        assert "Text character limit of 500 exceeded" in body  # the platform's words
        assert f"`clarion retry {LAUNCH}`" in body
        assert f"`clarion schedule {clarion.week}`" in body
    assert mail.recipients == ["comms@example.org"]

    # once only: later runs (and the same state seen again) send nothing new
    assert clarion.run("2022-07-04T08:01:00Z").exit_code == 0
    clarion.run("2022-07-04T08:02:00Z")
    assert len(smtp.mails) == 1 and len(webhook.received) == 1
    assert PASSWORD not in clarion.everything() + mail.raw + json.dumps(webhook.messages())


def test_an_unconfirmed_post_is_told_only_when_the_next_runs_cannot_settle_it(
    tmp_path: Path, webhook: Webhook
) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    fake().script = ["timeout-after"]
    fake().cannot_look_up = True

    def told() -> list[str]:
        ledger = open_ledger(url)
        try:
            return [str(r[0]) for r in ledger.db.query("SELECT kind FROM alerts")]
        finally:
            ledger.close()

    assert clarion.run("2022-07-04T08:00:00Z").exit_code == 1
    assert clarion.run("2022-07-04T08:09:00Z").exit_code == 1  # asked again: still unknown
    assert told() == [] and webhook.received == []
    clarion.run("2022-07-04T08:11:00Z")  # ten minutes of asking have not settled it
    (hook,) = webhook.wait_for(1)
    assert hook["title"] == "Clarion: a post is unconfirmed (Test Week, Mastodon)"
    assert f"`clarion resolve {LAUNCH} --published URL`" in hook["message"]
    clarion.run("2022-07-04T08:12:00Z")
    assert told() == ["unconfirmed"] and len(webhook.received) == 1


def test_an_unconfirmed_post_settled_by_the_next_run_is_never_told(
    tmp_path: Path, webhook: Webhook
) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    fake().script = ["timeout-after"]  # the platform has it; the next run's look-up finds it
    clarion.run("2022-07-04T08:00:00Z")
    clarion.run("2022-07-04T08:01:00Z")
    clarion.run("2022-07-04T08:20:00Z")
    ledger = open_ledger(url)
    try:
        assert ledger.db.query("SELECT kind FROM alerts") == []
        row = ledger.get(LAUNCH)
        assert row is not None and row.state.value == "published"
    finally:
        ledger.close()
    assert webhook.received == []


def test_revoked_key_pauses_the_account_and_no_token_appears(
    tmp_path: Path, webhook: Webhook, smtp: SmtpServer
) -> None:
    clarion = Clarion(
        tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", f"{webhook.url} {smtp.url()}"
    )
    clarion("schedule", str(clarion.week))
    fake().script = ["revoked"]
    clarion.run("2022-07-04T08:00:00Z")
    (hook,) = webhook.wait_for(1)  # the failed post and the paused account: one message
    assert hook["title"] == "Clarion: 2 things need attention"
    body = hook["message"]
    assert "a post failed (Test Week, Mastodon)" in body
    assert "Mastodon account default is paused" in body
    assert "`clarion accounts login mastodon`" in body
    assert "`clarion accounts check --platform mastodon`" in body
    assert "held posts" in body and f"`clarion retry {LAUNCH}`" in body
    (mail,) = smtp.wait_for(1)
    seen = clarion.everything() + mail.raw + json.dumps(webhook.messages())
    assert TOKEN not in seen and PASSWORD not in seen
    assert "***" in body  # the platform's message named the token: redacted


def test_a_missed_post_and_a_crashed_run_are_told_by_the_next_run(
    tmp_path: Path, webhook: Webhook
) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    # A run that recorded its outcomes and died before any alert (the engine alone).
    ledger = open_ledger(url)
    try:
        report = run(ledger, "2022-07-04T09:30:00Z")  # launch and its part: past their grace
    finally:
        ledger.close()
    assert {r.state.value for r in report.results} == {"missed"}
    assert webhook.received == []
    # The next run has nothing due, yet the cron fast path lets it through to tell.
    clarion.run("2022-07-04T09:31:00Z")
    (hook,) = webhook.wait_for(1)
    assert hook["title"] == "Clarion: 2 things need attention"
    assert f"`clarion retry {LAUNCH}` sends it at the next run" in hook["message"]
    assert "Its time passed" in hook["message"]
    assert "Launch part two" in hook["message"]
    clarion.run("2022-07-04T09:32:00Z")
    assert len(webhook.received) == 1
    # A person retries it, it is missed again: that is told again (a new round).
    assert clarion("retry", LAUNCH).exit_code == 0
    ledger = open_ledger(url)
    try:
        run(ledger, "2022-07-04T09:31:00Z", grace_ms=0)
    finally:
        ledger.close()
    clarion.run("2022-07-04T09:33:00Z")
    assert len(webhook.wait_for(2)) == 2


def test_a_failing_notifier_never_holds_up_publishing_and_shows_in_status(
    tmp_path: Path, webhook: Webhook
) -> None:
    dead = f"json://127.0.0.1:{closed_port()}/nobody"
    clarion = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", f"{dead},{webhook.url}")
    clarion("schedule", str(clarion.week))
    fake().script = ["refused"]
    assert clarion.run("2022-07-04T08:00:00Z").exit_code == 1
    clarion.run("2022-07-05T08:00:00Z")  # day two goes out regardless
    assert fake().texts() == ["Day two"]
    # the other target still got both: the failed launch, then its part two missed
    assert [m["title"] for m in webhook.wait_for(2)] == [
        "Clarion: a post failed (Test Week, Mastodon)",
        "Clarion: a post was missed (Test Week, Mastodon)",
    ]
    status = clarion.status()
    (trouble,) = status["alerts_undelivered"]
    assert trouble["target"].startswith("#1 json://127.0.0.1:")
    assert trouble["undelivered"] == 2 and trouble["retrying"] is True
    text = clarion("status").output
    assert "Alerts not delivered:" in text and "`clarion notify test`" in text
    log = clarion.log.read_text()
    assert "alert not sent to #1 json://127.0.0.1:" in log


def test_an_undelivered_alert_is_sent_by_a_later_run(tmp_path: Path, webhook: Webhook) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    webhook.status = 500
    fake().script = ["refused"]
    clarion.run("2022-07-04T08:00:00Z")
    assert len(webhook.wait_for(1)) == 1  # tried, refused
    assert clarion.status()["alerts_undelivered"][0]["undelivered"] == 1
    clarion.run("2022-07-04T08:01:00Z")
    assert len(webhook.received) == 1  # not tried again before its time
    webhook.status = 200
    ledger = open_ledger(url)
    try:  # five minutes pass
        ledger.db.execute("UPDATE alert_sends SET next_ms = next_ms - 300000")
    finally:
        ledger.close()
    clarion.run("2022-07-04T08:02:00Z")
    messages = webhook.wait_for(2)
    assert messages[1]["title"] == "Clarion: a post failed (Test Week, Mastodon)"
    assert clarion.status()["alerts_undelivered"] == []
    clarion.run("2022-07-04T08:03:00Z")
    assert len(webhook.received) == 2


class ExpiringAdapter(FakeAdapter):
    """A fake whose key expires in three days, or that cannot post at all."""

    broken = False

    def check(self) -> AccountStatus:
        if ExpiringAdapter.broken:
            return AccountStatus(self.name, self.account, False, problem=f"401 bad token {TOKEN}")
        expires = utc("2022-07-06T12:00:00Z")
        return AccountStatus(self.name, self.account, True, expires_at=expires)


@pytest.mark.parametrize("broken", [False, True])
def test_the_day_before_a_campaign_accounts_are_checked_once(
    tmp_path: Path, webhook: Webhook, broken: bool
) -> None:
    ExpiringAdapter.broken = broken
    clarion = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", webhook.url)
    clarion.env["CLARION_ADAPTERS"] = "*=tests.alerts.test_alerts:ExpiringAdapter"
    clarion("schedule", str(clarion.week))
    clarion.run("2022-07-02T08:00:00Z")  # two days before: nothing to check yet
    assert webhook.received == []
    clarion.run("2022-07-03T08:30:00Z")  # under a day before the launch
    (hook,) = webhook.wait_for(1)
    if broken:
        assert (
            hook["title"] == "Clarion: Mastodon account default cannot post (Test Week starts soon)"
        )
        assert "due 2022-07-04 09:00 (+01:00)" in hook["message"]
        assert "`clarion accounts check --platform mastodon`" in hook["message"]
        assert TOKEN not in json.dumps(hook)
    else:
        assert hook["title"] == (
            "Clarion: the key of Mastodon account default expires 2022-07-06 13:00 (+01:00)"
        )
        assert "`clarion accounts login mastodon`" in hook["message"]
    clarion.run("2022-07-03T09:00:00Z")
    clarion.run("2022-07-03T10:00:00Z")
    assert len(webhook.received) == 1


def test_notify_test_says_per_target_and_never_the_secret(tmp_path: Path, smtp: SmtpServer) -> None:
    dead = f"json://127.0.0.1:{closed_port()}/x"
    clarion = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", f"{smtp.url()} {dead}")
    result = clarion("notify", "test")
    assert result.exit_code == 1
    assert "Targets from environment variable CLARION_NOTIFY:" in result.output
    assert f"sent      #1 mailto://alerts@127.0.0.1:{smtp.port}" in result.output
    assert "not sent  #2 json://127.0.0.1:" in result.output
    (mail,) = smtp.wait_for(1)
    assert mail.subject == "Clarion: test alert"
    assert PASSWORD not in result.output

    unset = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", None)("notify", "test")
    assert unset.exit_code == 1
    assert (
        "CLARION_NOTIFY is not set" in unset.output and "keyring set clarion notify" in unset.output
    )


def test_notify_from_the_env_file(tmp_path: Path, webhook: Webhook) -> None:
    clarion = Clarion(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", None)
    env_file = tmp_path / "alerts.env"
    env_file.write_text(f"CLARION_NOTIFY={webhook.url}\n")
    env_file.chmod(0o600)
    result = clarion("notify", "test", CLARION_ENV_FILE=str(env_file))
    assert result.exit_code == 0, result.output
    assert f".env file {env_file}" in result.output
    assert webhook.wait_for(1)[0]["title"] == "Clarion: test alert"


def test_digest_prints_and_sends_what_went_out_and_what_needs_a_person(
    tmp_path: Path, any_url: str, webhook: Webhook
) -> None:
    clarion = Clarion(tmp_path, any_url, webhook.url)
    clarion("schedule", str(clarion.week))
    clarion.run("2022-07-04T08:10:00Z")  # launch and its part go out (10 minutes late)
    fake().script = ["refused"]
    clarion.run("2022-07-05T08:00:00Z")  # day two fails
    received = len(webhook.received)

    # (no digest yet: the last 24 hours)
    out = clarion("digest", "--format", "json", "--pretend-now", "2022-07-05T08:05:00Z")
    assert out.exit_code == 0, out.output
    digest = json.loads(out.stdout)
    assert digest["version"] == 1 and digest["zone"] == "Europe/London"
    went = {p["key"]: p for p in digest["went_out"]}
    assert set(went) == {LAUNCH, f"{LAUNCH}#2"}
    assert went[LAUNCH]["url"].startswith("https://fake.example/@clarion/")
    assert went[LAUNCH]["at"] == "2022-07-04 09:00 (+01:00)"
    (need,) = digest["needs_person"]
    assert need["key"] == DAY2 and need["fix"] == f"clarion retry {DAY2}"
    assert digest["today"] == []  # day three is tomorrow
    assert len(webhook.received) == received  # printing sends nothing

    sent = clarion("digest", "--send", "--pretend-now", "2022-07-05T08:05:00Z")
    assert sent.exit_code == 0, sent.output
    hook = webhook.wait_for(received + 1)[-1]
    assert hook["title"].startswith("Clarion digest Tue 05 Jul 2022: 2 went out, 0 to go today")
    assert "https://fake.example/@clarion/" in hook["message"]
    assert f"-> clarion retry {DAY2}" in hook["message"]
    # the next digest starts from the one sent
    later = clarion("digest", "--format", "json", "--pretend-now", "2022-07-05T09:00:00Z")
    assert json.loads(later.stdout)["went_out"] == []


def test_the_daemon_sends_the_digest_once_a_day_at_its_time(
    tmp_path: Path, webhook: Webhook
) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    env = environ({"CLARION_NOTIFY": webhook.url, "CLARION_DIGEST_AT": "08:00"})
    ledger = open_ledger(url)
    try:
        assert digest_if_due(ledger, utc("2022-07-04T06:59:00Z"), env) is None  # 07:59 London
        sent = digest_if_due(ledger, utc("2022-07-04T07:00:00Z"), env)
        assert sent is not None and sent.ok
        (hook,) = webhook.wait_for(1)
        assert "Goes out today:" in hook["message"]
        assert '2022-07-04 09:00 (+01:00)  Mastodon  Test Week: "Launch"' in hook["message"]
        assert digest_if_due(ledger, utc("2022-07-04T12:00:00Z"), env) is None
        assert digest_if_due(ledger, utc("2022-07-05T07:01:00Z"), env) is not None
        assert len(webhook.wait_for(2)) == 2
    finally:
        ledger.close()


def test_after_run_never_raises_and_without_targets_records_quietly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, None)
    clarion("schedule", str(clarion.week))
    fake().script = ["refused"]
    clarion.run("2022-07-04T08:00:00Z")
    ledger = open_ledger(url)
    try:
        report = after_run(ledger, None, utc("2022-07-04T08:01:00Z"), environ({}))
        assert report.source is None and report.recorded == 0 and report.problems == []
        assert notifier_problems(ledger) == []
    finally:
        ledger.close()


def test_an_idle_run_imports_no_apprise(tmp_path: Path, webhook: Webhook) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    clarion = Clarion(tmp_path, url, webhook.url)
    clarion("schedule", str(clarion.week))
    clarion.run("2022-07-03T09:00:00Z")  # the day-before check (all well: nothing said)
    code = (
        "import sys; from clarion.cli import main\n"
        "try:\n    main(['run-due', '--pretend-now', '2022-07-03T10:00:00Z'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('apprise', 'clarion.alerts', 'clarion.engine')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    env = {**clarion.env, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_targets_are_split_on_spaces_and_commas_but_not_inside_a_url() -> None:
    raw = "mailto://a:b@x.org?to=one@x.org,two@x.org, json://h:1/p  ntfy://ntfy.sh/topic"
    assert split(raw) == [
        "mailto://a:b@x.org?to=one@x.org,two@x.org",
        "json://h:1/p",
        "ntfy://ntfy.sh/topic",
    ]
    assert Target(1, "mailto://alerts:s3cret-pass@smtp.example.org:587").label == (
        "#1 mailto://alerts@smtp.example.org:587"
    )
    assert first_words("word " * 40).endswith("…") and len(first_words("word " * 40)) <= 61


def test_alerts_are_recorded_on_the_real_clock_for_pretend_runs(tmp_path: Path) -> None:
    """(after_run's ``now`` is the run's instant; sends and their retries use the real clock.)"""
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    Clarion(tmp_path, url, None)("schedule", str(tmp_path / "week.yaml"))
    ledger = open_ledger(url)
    try:
        before = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
        fake().script = ["refused"]
        run(ledger, "2022-07-04T08:00:00Z")
        after_run(ledger, None, utc("2022-07-04T08:00:00Z"), environ({}))
        (created,) = ledger.db.query("SELECT created_ms FROM alerts")[0]
        assert created >= before
    finally:
        ledger.close()


def test_a_notifier_that_does_not_answer_is_given_up_in_time() -> None:
    import socket
    import time

    from clarion.alerts.send import send

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = send(Target(1, f"json://127.0.0.1:{port}/hook"), "title", "body", timeout_s=0.5)
        assert time.monotonic() - started < 3
    assert not result.ok and result.error == "no answer within 0.5 s"
    bad = send(Target(2, "nosuchscheme://whatever/token-abcdefghijklmnop"), "t", "b")
    assert not bad.ok and "apprise has no service called 'nosuchscheme://'" in bad.error
    assert "token-abcdefghijklmnop" not in bad.error + bad.target
    typo = send(Target(3, "slak://abc/def/ghi"), "t", "b")
    assert "Did you mean 'slack://'?" in typo.error
    unreadable = send(Target(4, "mailto://me:pw-secret-1234@127.0.0.1:1?smtp=127.0.0.1"), "t", "b")
    assert "apprise could not read this mailto:// URL (Invalid ~From~ email" in unreadable.error
    assert "pw-secret-1234" not in unreadable.error
