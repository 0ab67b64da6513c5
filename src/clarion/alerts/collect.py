"""Finding what to tell, from the ledger's state (never only from one run's report): a delivery
that reached failed, unconfirmed or missed, an account paused, an account that cannot post the
day before a campaign starts, a key that expires within a week. Each is recorded once
(:func:`clarion.ledger.notices.add_alert`), so a state reached by a run that crashed is told by
the next run, and a state is never told twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from clarion.alerts import messages
from clarion.alerts.targets import Target
from clarion.ledger import notices
from clarion.ledger import queries as q
from clarion.ledger import queries_alerts as qa
from clarion.ledger.rows import from_ms, ms
from clarion.ledger.states import State
from clarion.ledger.store import Ledger
from clarion.platforms.adapter import AccountStatus
from clarion.secrets import redact

__all__ = ["DAY_MS", "EXPIRY_WARNING", "UNCONFIRMED_QUIET_MS", "accounts", "states"]

log = logging.getLogger("clarion.alerts")

DAY_MS = 24 * 3600 * 1000
#: A key that expires within this long is warned about.
EXPIRY_WARNING = dt.timedelta(days=7)
#: An unconfirmed post is told only once it has stayed unconfirmed this long: the next runs ask
#: the platform first (Mastodon: the same Idempotency-Key; X, Facebook, Bluesky: a look-up) and
#: usually settle it, so a person is not called for what Clarion settles by itself.
UNCONFIRMED_QUIET_MS = 10 * 60 * 1000

AdapterFactory = Callable[[str, str], Any]


def _pairs(targets: Sequence[Target]) -> list[tuple[str, str]]:
    return [(t.fingerprint, t.label) for t in targets]


def _campaigns(ledger: Ledger) -> dict[str, tuple[str, str]]:
    """slug -> (name, time zone)."""
    return {c.slug: (c.name, c.timezone) for c in ledger.campaigns()}


def states(
    ledger: Ledger, targets: Sequence[Target], now_ms: int, run_now_ms: int | None = None
) -> list[int]:
    """Record an alert for every delivery newly failed, unconfirmed or missed (unconfirmed only
    after :data:`UNCONFIRMED_QUIET_MS`), and every account newly paused; the ids of the alerts
    recorded. ``now_ms``: the real clock (the alert's time); ``run_now_ms``: the instant the run
    acted at (its states' times), default the real clock."""
    run_now = now_ms if run_now_ms is None else run_now_ms
    added: list[int] = []
    found = notices.unalerted(ledger)
    paused = notices.paused_accounts(ledger)
    added.extend(_awaiting(ledger, targets, now_ms, run_now))
    if not found and not paused:
        return added
    names = _campaigns(ledger)
    paused_now = {(p.platform, p.account) for p in paused}
    for item in found:
        row = item.row
        if row.state == State.UNCONFIRMED and row.updated_ms > run_now - UNCONFIRMED_QUIET_MS:
            continue  # the next runs ask the platform first; told if it stays unconfirmed
        events = ledger.events(row.key)
        reason = row.last_error or (events[-1].reason if events else "")
        message = messages.delivery(
            row,
            names.get(row.campaign, (row.campaign, ""))[0],
            reason,
            account_paused=(row.platform, row.account) in paused_now,
            campaign_file=notices.campaign_file(ledger, row.campaign),
        )
        alert_id = notices.add_alert(
            ledger,
            f"{row.state.value}:{row.key}:{item.generation}",
            row.state.value,
            message.title,
            message.body,
            now_ms,
            delivery_id=row.id,
            generation=item.generation,
            targets=_pairs(targets),
        )
        if alert_id is not None:
            added.append(alert_id)
    for p in paused:
        subject = f"paused:{p.platform}:{p.account}:{p.paused_ms}"
        if notices.has_alert(ledger, subject):
            continue
        held = ledger.rows_of(q.of_account_in(1), (p.platform, p.account, State.PAUSED.value))
        message = messages.paused_account(p.platform, p.account, p.reason, len(held))
        alert_id = notices.add_alert(
            ledger,
            subject,
            qa.ALERT_PAUSED,
            message.title,
            message.body,
            now_ms,
            targets=_pairs(targets),
        )
        if alert_id is not None:
            added.append(alert_id)
    return added


def _check(adapters: AdapterFactory, platform: str, account: str) -> AccountStatus:
    try:
        status = adapters(platform, account).check()
    except Exception as exc:  # a broken adapter or credential store: said, never raised
        return AccountStatus(platform, account, False, problem=redact(str(exc)) or repr(exc))
    if not isinstance(status, AccountStatus):
        return AccountStatus(platform, account, False, problem="the adapter gave no answer")
    return status


def _expiry(
    ledger: Ledger,
    targets: Sequence[Target],
    status: AccountStatus,
    zone: str,
    now_ms: int,
    record_ms: int,
) -> int | None:
    expires = status.expires_at
    if expires is None or expires - from_ms(now_ms) > EXPIRY_WARNING:
        return None
    message = messages.expiring(status.platform, status.account, expires, zone)
    return notices.add_alert(
        ledger,
        f"expiring:{status.platform}:{status.account}:{ms(expires)}",
        qa.ALERT_EXPIRING,
        message.title,
        message.body,
        record_ms,
        targets=_pairs(targets),
    )


def accounts(
    ledger: Ledger,
    targets: Sequence[Target],
    adapters: AdapterFactory | None,
    now_ms: int,
    record_ms: int | None = None,
) -> list[int]:
    """The account checks: once per account and campaign when the campaign's first post on it is
    a day away or less (an alert if it cannot post), and, when there is someone to tell, once a
    day for every account in use (an alert if its key expires within a week). Without a target
    the day-before check is recorded as not made (nothing would hear of it). ``now_ms``: the
    run's instant (what is a day away); ``record_ms``: when alerts are recorded (real clock)."""
    at = now_ms if record_ms is None else record_ms
    added: list[int] = []
    names = _campaigns(ledger)
    checked: set[tuple[str, str]] = set()
    for due in notices.start_checks_due(ledger, now_ms, DAY_MS):
        subject = f"start:{due.campaign}:{due.platform}:{due.account}"
        if not notices.take_check(
            ledger, subject, "start", due.campaign, due.platform, due.account, now_ms
        ):
            continue
        if not targets or adapters is None:
            notices.check_done(ledger, subject, None, "no alert target", None, now_ms)
            continue
        status = _check(adapters, due.platform, due.account)
        checked.add((due.platform, due.account))
        expires = None if status.expires_at is None else ms(status.expires_at)
        notices.check_done(ledger, subject, status.ok, status.problem, expires, now_ms)
        name, zone = names.get(due.campaign, (due.campaign, "UTC"))
        if not status.ok:
            message = messages.cannot_post(
                due.platform,
                due.account,
                status.problem or "the platform refused the account's key",
                name,
                from_ms(due.first_ms),
                zone,
            )
            alert_id = notices.add_alert(
                ledger,
                f"cannot-post:{due.campaign}:{due.platform}:{due.account}",
                qa.ALERT_CANNOT_POST,
                message.title,
                message.body,
                at,
                targets=_pairs(targets),
            )
            added += [alert_id] if alert_id is not None else []
        alert_id = _expiry(ledger, targets, status, zone, now_ms, at)
        added += [alert_id] if alert_id is not None else []
    if not targets or adapters is None:
        return added
    day = from_ms(now_ms).strftime("%Y-%m-%d")
    zone = next(iter(names.values()), ("", "UTC"))[1]
    for platform, account in ledger.accounts_in_use():
        subject = f"daily:{platform}:{account}:{day}"
        if (platform, account) in checked or not notices.take_check(
            ledger, subject, "daily", None, platform, account, now_ms
        ):
            continue
        status = _check(adapters, platform, account)
        expires = None if status.expires_at is None else ms(status.expires_at)
        notices.check_done(ledger, subject, status.ok, status.problem, expires, now_ms)
        alert_id = _expiry(ledger, targets, status, zone, now_ms, at)
        added += [alert_id] if alert_id is not None else []
    return added


def _awaiting(ledger: Ledger, targets: Sequence[Target], now_ms: int, run_now: int) -> list[int]:
    """One alert per due delivery held for sign-off, once for each content it is held with."""
    from clarion.ledger import approvals
    from clarion.ledger.queries_approvals import ALERT_SIGNOFF

    added: list[int] = []
    held = approvals.awaiting(ledger, run_now)
    if not held:
        return added
    names = _campaigns(ledger)
    for item in held:
        row = item.row
        subject = f"{ALERT_SIGNOFF}:{row.key}:{row.content_hash}"
        if notices.has_alert(ledger, subject):
            continue
        message = messages.awaiting_signoff(
            row,
            names.get(row.campaign, (row.campaign, ""))[0],
            item.cause,
            notices.campaign_file(ledger, row.campaign),
        )
        alert_id = notices.add_alert(
            ledger,
            subject,
            ALERT_SIGNOFF,
            message.title,
            message.body,
            now_ms,
            delivery_id=row.id,
            targets=_pairs(targets),
        )
        if alert_id is not None:
            added.append(alert_id)
    return added
