"""The named statements of alerts and the digest (:mod:`clarion.alerts`, through
:mod:`clarion.ledger.notices`): the tables of migration 3 (``alerts``, ``alert_sends``,
``account_checks``). Beside :mod:`clarion.ledger.queries`, whose fragments they reuse ("due",
the delivery columns), so that module stays under the size limit; like it, it imports nothing
heavy (the cron fast path reads :data:`ALERTS_WAKE`).
"""

from __future__ import annotations

from clarion.ledger.queries import _SELECT, COLUMNS, ORDER, WAITING_SQL, states
from clarion.ledger.states import ATTENTION, WAITING, State

#: Alert kinds for deliveries are their states' names; the others:
ALERT_PAUSED = "paused"
ALERT_EXPIRING = "expiring"
ALERT_CANNOT_POST = "cannot_post"
ALERT_DIGEST = "digest"
ALERT_TEST = "test"

#: How many times a person sent a delivery back (failed/missed/cancelled/unconfirmed -> pending):
#: each time it may earn a fresh alert for the same state ("once per delivery and state" counts
#: from a person's last retry, never from a run's own retries).
GENERATION = (
    "(SELECT COUNT(*) FROM events e WHERE e.delivery_id = d.id "
    f"AND e.to_state = '{State.PENDING.value}' AND e.from_state IN "
    f"{states((State.FAILED, State.MISSED, State.CANCELLED, State.UNCONFIRMED))})"
)
_UNALERTED = (
    f"d.state IN {states(ATTENTION)} AND NOT EXISTS (SELECT 1 FROM alerts a "
    f"WHERE a.delivery_id = d.id AND a.kind = d.state AND a.generation = {GENERATION})"
)
#: Deliveries in a state worth an alert that have none yet. Parameters: limit.
UNALERTED = (
    f"SELECT {COLUMNS}, {GENERATION} AS generation FROM deliveries d WHERE {_UNALERTED} "
    f"{ORDER} LIMIT ?"
)
#: Paused accounts. (The alert's subject carries paused_ms: a later pause is a new alert.)
PAUSED_ACCOUNTS_SINCE = (
    "SELECT platform, account, paused_ms, reason FROM accounts WHERE paused_ms IS NOT NULL "
    "ORDER BY platform, account"
)
_START_CHECK_DUE = (
    f"d.state IN {WAITING_SQL} AND d.due_ms > ? AND d.due_ms <= ? AND NOT EXISTS (SELECT 1 FROM "
    "account_checks c WHERE c.kind = 'start' AND c.campaign = d.campaign "
    "AND c.platform = d.platform AND c.account = d.account)"
)
#: (campaign, platform, account, first due) whose first waiting delivery is within the window
#: and not checked yet. Parameters: now, now + window.
START_CHECKS_DUE = (
    "SELECT d.campaign, d.platform, d.account, MIN(d.due_ms) AS first_ms FROM deliveries d "
    f"WHERE {_START_CHECK_DUE} GROUP BY d.campaign, d.platform, d.account "
    "ORDER BY first_ms, d.campaign, d.platform, d.account"
)
INSERT_CHECK = (
    "INSERT INTO account_checks (subject, kind, campaign, platform, account, checked_ms, ok, "
    "problem, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING"
)
CHECK_RESULT = (
    "UPDATE account_checks SET ok = ?, problem = ?, expires_ms = ?, checked_ms = ? "
    "WHERE subject = ?"
)
INSERT_ALERT = (
    "INSERT INTO alerts (subject, kind, delivery_id, generation, title, body, created_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING"
)
ALERT_ID = "SELECT id FROM alerts WHERE subject = ?"
_ALERT_COLUMNS = (
    "a.id, a.subject, a.kind, a.delivery_id, a.generation, a.title, a.body, a.created_ms"
)
#: Alerts this target has not had yet and may be tried now. Parameters: target, created since,
#: now, limit.
ALERTS_FOR_TARGET = (
    f"SELECT {_ALERT_COLUMNS} FROM alerts a LEFT JOIN alert_sends s ON s.alert_id = a.id "
    "AND s.target = ? WHERE a.created_ms >= ? AND (s.alert_id IS NULL OR (s.sent_ms IS NULL "
    "AND s.next_ms IS NOT NULL AND s.next_ms <= ?)) ORDER BY a.id LIMIT ?"
)
#: Take one alert for one target (no other worker sends it meanwhile). Parameters: label, next,
#: now (updated), alert, target, now.
TAKE_SEND = (
    "UPDATE alert_sends SET label = ?, next_ms = ?, updated_ms = ? WHERE alert_id = ? "
    "AND target = ? AND sent_ms IS NULL AND next_ms IS NOT NULL AND next_ms <= ?"
)
#: Parameters: alert, target, label, next, now.
NEW_SEND = (
    "INSERT INTO alert_sends (alert_id, target, label, attempts, next_ms, updated_ms) "
    "VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (alert_id, target) DO NOTHING"
)
#: Parameters: sent, now, alert, target.
SENT = (
    "UPDATE alert_sends SET sent_ms = ?, next_ms = NULL, error = NULL, "
    "attempts = attempts + 1, updated_ms = ? WHERE alert_id = ? AND target = ?"
)
#: Parameters: next (NULL: given up), error, now, alert, target.
NOT_SENT = (
    "UPDATE alert_sends SET next_ms = ?, error = ?, attempts = attempts + 1, updated_ms = ? "
    "WHERE alert_id = ? AND target = ?"
)
#: Sends that did not get through, tried since a moment. Parameters: since.
UNDELIVERED = (
    "SELECT s.target, s.label, s.error, s.updated_ms, s.next_ms, a.kind, a.created_ms "
    "FROM alert_sends s JOIN alerts a ON a.id = s.alert_id WHERE s.sent_ms IS NULL "
    "AND s.attempts > 0 AND s.updated_ms >= ? ORDER BY s.updated_ms"
)
LAST_DIGEST = f"SELECT MAX(created_ms) FROM alerts WHERE kind = '{ALERT_DIGEST}'"
#: Published in a window (published is final: its last change is when it went out).
#: Parameters: after, until.
PUBLISHED_BETWEEN = (
    f"{_SELECT} WHERE d.state = '{State.PUBLISHED.value}' AND d.updated_ms > ? "
    f"AND d.updated_ms <= ? {ORDER}"
)
#: Still to go out in a window (paused ones too: they need a person). Parameters: from, until.
DUE_BETWEEN = (
    f"{_SELECT} WHERE d.state IN {states((*WAITING, State.PAUSED))} AND d.due_ms >= ? "
    f"AND d.due_ms < ? {ORDER}"
)
ATTENTION_ALL = f"{_SELECT} WHERE d.state IN {states(ATTENTION)} {ORDER}"

#: The cron fast path, for alerts: a state not alerted yet, a send due again, an account check
#: the day before a campaign starts. Parameters: now (sends), created since, now, now + window.
ALERTS_WAKE = (
    f"SELECT EXISTS (SELECT 1 FROM deliveries d WHERE {_UNALERTED}) "
    "OR EXISTS (SELECT 1 FROM alert_sends s JOIN alerts a ON a.id = s.alert_id "
    "WHERE s.sent_ms IS NULL AND s.next_ms IS NOT NULL AND s.next_ms <= ? AND a.created_ms >= ?) "
    f"OR EXISTS (SELECT 1 FROM deliveries d WHERE {_START_CHECK_DUE})"
)
