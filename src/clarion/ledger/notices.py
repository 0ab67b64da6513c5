"""What the ledger remembers for alerts (:mod:`clarion.alerts`): every alert once, by its subject;
each target's delivery of it; the account checks made before a campaign starts; the digests.

An alert's *subject* is what makes it once-only (``failed:KEY:0``, ``paused:x:default:1712...``):
inserting it twice does nothing, so two runs (or two workers) that find the same state tell it
once. Sending is per target: a send row is taken (its ``next_ms`` pushed past a lease) before it
is tried, so no two workers send the same alert to the same place; a failure sets the next try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clarion.ledger import queries as q
from clarion.ledger import queries_alerts as qa
from clarion.ledger.rows import DeliveryRow
from clarion.ledger.store import Ledger

__all__ = [
    "AlertRecord",
    "CheckDue",
    "PausedSince",
    "Unalerted",
    "Undelivered",
    "add_alert",
    "alerts_for",
    "campaign_file",
    "check_done",
    "has_alert",
    "last_digest_ms",
    "mark_not_sent",
    "mark_sent",
    "paused_accounts",
    "start_checks_due",
    "take",
    "take_check",
    "unalerted",
    "undelivered",
    "wake",
]


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    subject: str
    kind: str
    delivery_id: int | None
    generation: int
    title: str
    body: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class Unalerted:
    """A delivery in a state worth an alert, with none yet for this state and generation."""

    row: DeliveryRow
    generation: int


@dataclass(frozen=True, slots=True)
class PausedSince:
    platform: str
    account: str
    paused_ms: int
    reason: str


@dataclass(frozen=True, slots=True)
class CheckDue:
    """An account a campaign posts with, its first post within the window, not checked yet."""

    campaign: str
    platform: str
    account: str
    first_ms: int


@dataclass(frozen=True, slots=True)
class Undelivered:
    """One alert that did not reach one target (yet)."""

    target: str
    label: str
    error: str
    tried_ms: int
    #: When it is tried again; None: given up.
    next_ms: int | None
    kind: str
    created_ms: int


# --- finding what to tell ----------------------------------------------------------------------


def unalerted(ledger: Ledger, limit: int = 500) -> list[Unalerted]:
    return [
        Unalerted(DeliveryRow.from_record(r), int(r["generation"]))
        for r in ledger.db.records(qa.UNALERTED, (limit,))
    ]


def paused_accounts(ledger: Ledger) -> list[PausedSince]:
    return [
        PausedSince(r["platform"], r["account"], int(r["paused_ms"]), r["reason"] or "")
        for r in ledger.db.records(qa.PAUSED_ACCOUNTS_SINCE)
    ]


def start_checks_due(ledger: Ledger, now_ms: int, window_ms: int) -> list[CheckDue]:
    return [
        CheckDue(r["campaign"], r["platform"], r["account"], int(r["first_ms"]))
        for r in ledger.db.records(qa.START_CHECKS_DUE, (now_ms, now_ms + window_ms))
    ]


def take_check(
    ledger: Ledger,
    subject: str,
    kind: str,
    campaign: str | None,
    platform: str,
    account: str,
    now_ms: int,
) -> bool:
    """Record that this check is being made; False when one was already (once only)."""
    params = (subject, kind, campaign, platform, account, now_ms, None, None, None)
    with ledger.db.transaction():
        return ledger.db.execute(qa.INSERT_CHECK, params) == 1


def check_done(
    ledger: Ledger,
    subject: str,
    ok: bool | None,
    problem: str | None,
    expires_ms: int | None,
    now_ms: int,
) -> None:
    """Its result (``ok`` None: not made, e.g. no alert target to tell)."""
    ok_value = None if ok is None else int(ok)
    with ledger.db.transaction():
        ledger.db.execute(qa.CHECK_RESULT, (ok_value, problem, expires_ms, now_ms, subject))


# --- recording and sending ---------------------------------------------------------------------


def add_alert(
    ledger: Ledger,
    subject: str,
    kind: str,
    title: str,
    body: str,
    now_ms: int,
    *,
    delivery_id: int | None = None,
    generation: int = 0,
    targets: Sequence[tuple[str, str]] = (),
) -> int | None:
    """Record an alert once; its id, or None when its subject was already recorded. ``targets``:
    (fingerprint, label) of each place it is to go; a send row for each, due now (so a run that
    dies before sending leaves them for the next)."""
    db = ledger.db
    with db.transaction():
        params = (subject, kind, delivery_id, generation, title, body, now_ms)
        if db.execute(qa.INSERT_ALERT, params) != 1:
            return None
        alert_id = int(db.query(qa.ALERT_ID, (subject,))[0][0])
        for target, label in targets:
            db.execute(qa.NEW_SEND, (alert_id, target, label, now_ms, now_ms))
    return alert_id


def alerts_for(
    ledger: Ledger, target: str, since_ms: int, now_ms: int, limit: int = 200
) -> list[AlertRecord]:
    """Alerts ``target`` has not had, created since ``since_ms``, that may be tried now."""
    rows = ledger.db.records(qa.ALERTS_FOR_TARGET, (target, since_ms, now_ms, limit))
    return [
        AlertRecord(
            int(r["id"]),
            r["subject"],
            r["kind"],
            None if r["delivery_id"] is None else int(r["delivery_id"]),
            int(r["generation"]),
            r["title"],
            r["body"],
            int(r["created_ms"]),
        )
        for r in rows
    ]


def take(
    ledger: Ledger, alert_id: int, target: str, label: str, now_ms: int, lease_ms: int
) -> bool:
    """Take one alert for one target: True when this process is to send it now."""
    db = ledger.db
    until = now_ms + lease_ms
    with db.transaction():
        if db.execute(qa.NEW_SEND, (alert_id, target, label, until, now_ms)) == 1:
            return True
        return db.execute(qa.TAKE_SEND, (label, until, now_ms, alert_id, target, now_ms)) == 1


def mark_sent(ledger: Ledger, alert_ids: Sequence[int], target: str, now_ms: int) -> None:
    with ledger.db.transaction():
        for alert_id in alert_ids:
            ledger.db.execute(qa.SENT, (now_ms, now_ms, alert_id, target))


def mark_not_sent(
    ledger: Ledger,
    alert_ids: Sequence[int],
    target: str,
    error: str,
    next_ms: int | None,
    now_ms: int,
) -> None:
    with ledger.db.transaction():
        for alert_id in alert_ids:
            ledger.db.execute(qa.NOT_SENT, (next_ms, error, now_ms, alert_id, target))


def undelivered(ledger: Ledger, since_ms: int) -> list[Undelivered]:
    return [
        Undelivered(
            r["target"],
            r["label"],
            r["error"] or "",
            int(r["updated_ms"]),
            None if r["next_ms"] is None else int(r["next_ms"]),
            r["kind"],
            int(r["created_ms"]),
        )
        for r in ledger.db.records(qa.UNDELIVERED, (since_ms,))
    ]


def last_digest_ms(ledger: Ledger) -> int | None:
    found = ledger.db.query(qa.LAST_DIGEST)
    return None if not found or found[0][0] is None else int(found[0][0])


def wake(ledger: Ledger, now_ms: int, since_ms: int, window_ms: int) -> bool:
    """Is there anything for alerts to do (the question the cron fast path asks)?"""
    found = ledger.db.query(qa.ALERTS_WAKE, (now_ms, since_ms, now_ms, now_ms + window_ms))
    return bool(found and found[0][0])


def has_alert(ledger: Ledger, subject: str) -> bool:
    return bool(ledger.db.query(qa.ALERT_ID, (subject,)))


def campaign_file(ledger: Ledger, slug: str) -> str | None:
    """The campaign file the campaign was last scheduled from (for the fix command)."""
    found = ledger.db.query(q.CAMPAIGN_FILE, (slug,))
    return str(found[0][0]) if found else None
