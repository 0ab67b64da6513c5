"""Alerts where the team already is (email, Teams, Slack, ntfy, webhooks... through apprise), and
the daily digest.

Targets are the apprise URLs in ``CLARION_NOTIFY`` (environment, ``.env`` or keyring:
:mod:`.targets`). After every real run (``run-due``, each tick of the daemon),
:func:`after_run` looks at the *ledger* (not only at what this run did, so a state reached by a
run that crashed is told by the next one) and records, once each, an alert for every delivery
newly failed, unconfirmed or missed, every account paused, an account that cannot post the day
before a campaign starts, and a key that expires within 7 days (:mod:`.collect`); then it sends
what each target has not had (:mod:`.deliver`). Nothing here ever raises into a run: a notifier
that fails is logged, recorded (``clarion status`` shows it: :func:`notifier_problems`) and tried
again by a later run, no sooner than 5 minutes after, for a day.

apprise is imported only when a message is actually sent (:mod:`.send`). Importing this package
imports nothing but the standard library.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clarion.alerts.deliver import Delivered
    from clarion.alerts.digest import Digest
    from clarion.alerts.send import Sent
    from clarion.alerts.targets import Target
    from clarion.ledger.store import Ledger
    from clarion.settings import Environment

__all__ = [
    "AlertRun",
    "DigestSent",
    "NotifierProblem",
    "TestSent",
    "after_run",
    "build_digest",
    "digest_if_due",
    "load_targets",
    "notifier_problems",
    "send_digest",
    "send_test",
]

log = logging.getLogger("clarion.alerts")

AdapterFactory = Callable[[str, str], Any]


def _now_ms(now: dt.datetime | None = None) -> int:
    return int((now or dt.datetime.now(dt.UTC)).timestamp() * 1000)


def _say(what: str, exc: BaseException) -> str:
    from clarion.secrets import redact

    text = redact(f"{what}: {type(exc).__name__}: {exc}")
    log.warning("%s", text)
    return text


@dataclass
class AlertRun:
    """What :func:`after_run` did."""

    #: Alerts recorded by this call (each once, ever).
    recorded: int = 0
    #: Each message sent (or tried) to each target.
    delivered: list[Delivered] = field(default_factory=list)
    #: Whether ``CLARION_NOTIFY`` is set (where: "environment variable CLARION_NOTIFY", ...).
    source: str | None = None
    #: What went wrong inside the alerts themselves (logged; never stops a run).
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivered]:
        return [d for d in self.delivered if not d.ok]


def load_targets(env: Environment | None = None) -> tuple[list[Target], str | None]:
    """The targets of ``CLARION_NOTIFY`` and where it was found (None: not set)."""
    from clarion.alerts import targets

    return targets.load(env)


def after_run(
    ledger: Ledger,
    adapters: AdapterFactory | None = None,
    now: dt.datetime | None = None,
    env: Environment | None = None,
    stop: Callable[[], bool] | None = None,
) -> AlertRun:
    """After a real run: record what is newly worth an alert, then send what is waiting.
    ``adapters``: makes the adapter of (platform, account) for account checks (None: none made).
    ``now``: the run's instant (``--pretend-now``); alerts are recorded on the real clock.
    ``stop``: when it says stop (SIGTERM), nothing is done: the next run tells it all.
    Never raises."""
    from clarion.alerts import collect, deliver

    report = AlertRun()
    if stop is not None and stop():
        return report
    try:
        found, report.source = load_targets(env)
    except Exception as exc:
        report.problems.append(_say("CLARION_NOTIFY could not be read", exc))
        return report
    real = _now_ms()
    run_now = _now_ms(now) if now is not None else real
    try:
        report.recorded += len(collect.states(ledger, found, real, run_now))
    except Exception as exc:
        report.problems.append(_say("alerts could not be recorded", exc))
    try:
        report.recorded += len(collect.accounts(ledger, found, adapters, run_now, real))
    except Exception as exc:
        report.problems.append(_say("accounts could not be checked for alerts", exc))
    if found:
        try:
            report.delivered = deliver.deliver(ledger, found, real)
        except Exception as exc:
            report.problems.append(_say("alerts could not be sent", exc))
    return report


@dataclass(frozen=True)
class TestSent:
    """``clarion notify test``: where ``CLARION_NOTIFY`` was found, and each target's answer."""

    source: str | None
    results: list[Sent]


def send_test(env: Environment | None = None) -> TestSent:
    """Send a test alert to every target (nothing is recorded)."""
    import socket

    from clarion.alerts.send import send

    found, source = load_targets(env)
    title = "Clarion: test alert"
    body = (
        f"This is a test alert from Clarion on {socket.gethostname()}. If you can read it, "
        "alerts about posts that failed, were missed or are unconfirmed, paused accounts and "
        "expiring keys will reach you here."
    )
    return TestSent(source, [send(t, title, body) for t in found])


@dataclass(frozen=True)
class NotifierProblem:
    """A target that did not get some alerts (``clarion status``)."""

    target: str  # label
    undelivered: int
    error: str
    last_tried: dt.datetime
    #: Still tried again by later runs (else given up: the alerts are a day old).
    retrying: bool


def notifier_problems(
    ledger: Ledger, now: dt.datetime | None = None, days: int = 7
) -> list[NotifierProblem]:
    """Targets with alerts that did not get through, tried in the last ``days`` days."""
    from clarion.ledger import notices
    from clarion.ledger.rows import from_ms

    since = _now_ms(now) - days * 24 * 3600 * 1000
    by_target: dict[str, list[notices.Undelivered]] = {}
    for item in notices.undelivered(ledger, since):
        by_target.setdefault(item.target, []).append(item)
    problems = []
    for items in by_target.values():
        last = max(items, key=lambda i: i.tried_ms)
        problems.append(
            NotifierProblem(
                target=last.label,
                undelivered=len(items),
                error=last.error,
                last_tried=from_ms(last.tried_ms),
                retrying=any(i.next_ms is not None for i in items),
            )
        )
    return sorted(problems, key=lambda p: p.target)


def build_digest(
    ledger: Ledger, now: dt.datetime | None = None, env: Environment | None = None
) -> Digest:
    """The digest as of ``now`` (default: the real clock), in the digest's zone."""
    from clarion import settings
    from clarion.alerts import digest

    at = (env or settings.environ()).digest_at
    zone = digest.zone_of(ledger, at[2] if at else None)
    return digest.build(ledger, now or dt.datetime.now(dt.UTC), zone)


@dataclass(frozen=True)
class DigestSent:
    """A digest sent: to how many targets, and what each said."""

    targets: int
    results: list[Delivered]
    source: str | None

    @property
    def ok(self) -> bool:
        return bool(self.results) and any(r.ok for r in self.results)


def send_digest(
    ledger: Ledger,
    made: Digest,
    subject: str | None = None,
    env: Environment | None = None,
) -> DigestSent:
    """Record the digest (the next one starts from it) and send it to every target, with any
    alert still waiting for them. ``subject``: makes it once-only (the daemon's daily one)."""
    from clarion.alerts.deliver import deliver
    from clarion.ledger import notices, queries_alerts

    found, source = load_targets(env)
    if not found:
        return DigestSent(0, [], source)
    at = _now_ms(made.generated)
    alert_id = notices.add_alert(
        ledger,
        subject or f"digest:{at}",
        queries_alerts.ALERT_DIGEST,
        made.title,
        made.text(),
        at,
        targets=[(t.fingerprint, t.label) for t in found],
    )
    if alert_id is None:
        return DigestSent(len(found), [], source)
    results = [d for d in deliver(ledger, found, at) if alert_id in d.alert_ids]
    return DigestSent(len(found), results, source)


def digest_if_due(
    ledger: Ledger, now: dt.datetime | None = None, env: Environment | None = None
) -> DigestSent | None:
    """The daemon's daily digest: sent once a day at the first tick at or after
    ``CLARION_DIGEST_AT`` in its zone; None when not set, not yet time, or already sent today.
    Never raises."""
    from clarion import settings
    from clarion.alerts import digest
    from clarion.ledger import notices

    try:
        snapshot = env or settings.environ()
        at = snapshot.digest_at
        if at is None:
            return None
        hour, minute, zone_name = at
        zone = digest.zone_of(ledger, zone_name)
        instant = now or dt.datetime.now(dt.UTC)
        local_now = instant.astimezone(digest.tzinfo_of(zone))
        if (local_now.hour, local_now.minute) < (hour, minute):
            return None
        subject = f"digest:daily:{local_now:%Y-%m-%d}"
        if notices.has_alert(ledger, subject) or not load_targets(snapshot)[0]:
            return None
        return send_digest(ledger, digest.build(ledger, instant, zone), subject, snapshot)
    except Exception as exc:
        _say("the daily digest could not be sent", exc)
        return None
