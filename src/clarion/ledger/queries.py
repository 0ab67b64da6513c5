"""Every statement the ledger runs, by name (in the style of procrastinate's named queries).

SQL is written once with ``?`` placeholders (the PostgreSQL connection rewrites them) and the
delivery table is always ``deliveries d``. State names come from :mod:`clarion.ledger.states`
only. "Due" and "ready" are defined once here (:data:`DUE`, :data:`READY`) and every question
about what a run would take (the claim, the dry run, the cron fast path, the daemon's timer,
``status``) is built from them.

This module imports nothing heavy: the cron fast path (:mod:`clarion.ledger.quick`) reads it.
"""

from __future__ import annotations

from collections.abc import Iterable

from clarion.ledger.queries_approvals import SIGNED
from clarion.ledger.states import ATTENTION, IN_FLIGHT, WAITING, State


def states(values: Iterable[State]) -> str:
    """A SQL list of state names: ``('pending', 'retry')``."""
    return "(" + ", ".join(f"'{s.value}'" for s in values) + ")"


def marks(n: int) -> str:
    """``?, ?, ?`` for ``n`` values (at least one, so ``IN ()`` is never written)."""
    return ", ".join("?" for _ in range(max(1, n)))


WAITING_SQL = states(WAITING)
IN_FLIGHT_SQL = states(IN_FLIGHT)

# --- "due" and "ready", once ---------------------------------------------------------------------

#: Waiting and its time has come. Parameters: now.
DUE = f"d.state IN {WAITING_SQL} AND d.due_ms <= ?"
#: Its retry time (if any) has come too. Parameters: now.
NOT_HELD = "(d.not_before_ms IS NULL OR d.not_before_ms <= ?)"
#: Still within its grace window, or catching up. Parameters: catch_up (1/0), grace override
#: (ms, or NULL for each delivery's own), now.
IN_GRACE = "(? = 1 OR d.due_ms + COALESCE(?, d.grace_ms) >= ?)"
#: A thread part goes only after the post it answers is published.
PARENT_PUBLISHED = (
    "(d.reply_to IS NULL OR EXISTS (SELECT 1 FROM deliveries p "
    f"WHERE p.key = d.reply_to AND p.state = '{State.PUBLISHED.value}'))"
)
#: Due and ready to send now (and signed off, where its campaign requires it: the sign-off is
#: part of the claim itself). Parameters: :func:`ready_params`.
READY = f"{DUE} AND {NOT_HELD} AND {IN_GRACE} AND {PARENT_PUBLISHED} AND {SIGNED}"
#: Due and ready but for its thread parent (the dry run decides that in order). Same parameters.
READY_BUT_PARENT = f"{DUE} AND {NOT_HELD} AND {IN_GRACE}"
#: Later than its grace window. Parameters: grace override (or NULL), now.
LATE = f"d.state IN {WAITING_SQL} AND d.due_ms + COALESCE(?, d.grace_ms) < ?"
#: When a waiting delivery wants a run: its due time, or its retry time if later.
WAKE = (
    "CASE WHEN d.not_before_ms IS NOT NULL AND d.not_before_ms > d.due_ms "
    "THEN d.not_before_ms ELSE d.due_ms END"
)


def ready_params(now: int, catch_up: bool, grace_ms: int | None) -> tuple[object, ...]:
    return (now, now, 1 if catch_up else 0, grace_ms, now)


# --- deliveries ---------------------------------------------------------------------------------

COLUMNS = (
    "d.id, d.key, d.campaign, d.post, d.platform, d.account, d.due_ms, d.grace_ms, "
    "d.thread_index, d.reply_to, d.payload, d.content, d.content_hash, d.zone, d.request, "
    "d.state, d.cancelled_by, d.attempts, d.not_before_ms, d.lease_owner, d.lease_until_ms, "
    "d.idempotency_key, d.platform_id, d.platform_url, d.last_error, d.created_ms, d.updated_ms"
)
_SELECT = f"SELECT {COLUMNS} FROM deliveries d"
ORDER = "ORDER BY d.due_ms, d.thread_index, d.id"

BY_KEY = f"{_SELECT} WHERE d.key = ?"
ALL = f"{_SELECT} {ORDER}"
OF_CAMPAIGN = f"{_SELECT} WHERE d.campaign = ? {ORDER}"
CHILDREN = f"{_SELECT} WHERE d.reply_to = ? {ORDER}"
UNCONFIRMED = f"{_SELECT} WHERE d.state = '{State.UNCONFIRMED.value}' {ORDER}"
#: Parameters: real now (leases are always on the real clock).
STALE = f"{_SELECT} WHERE d.state IN {IN_FLIGHT_SQL} AND d.lease_until_ms < ? {ORDER}"
LATE_ROWS = f"{_SELECT} WHERE {LATE} {ORDER}"
DRY_RUN = f"{_SELECT} WHERE {READY_BUT_PARENT} {ORDER}"
#: Due, paused (its campaign or account): what a person has to let go. Parameters: now.
PAUSED_DUE = f"{_SELECT} WHERE d.state = '{State.PAUSED.value}' AND d.due_ms <= ? {ORDER}"
NEXT_WAITING = f"{_SELECT} WHERE d.campaign = ? AND d.state IN {WAITING_SQL} {ORDER} LIMIT 1"
ATTENTION_ROWS = f"{_SELECT} WHERE d.campaign = ? AND d.state IN {states(ATTENTION)} {ORDER}"
ID_OF = "SELECT d.id FROM deliveries d WHERE d.key = ?"
STATE_OF = "SELECT d.state FROM deliveries d WHERE d.id = ?"
#: Claimed or being sent, whatever the lease: what recovery and ``status`` look at (ledger.owners
#: decides which of their owners are gone).
IN_FLIGHT_ROWS = f"{_SELECT} WHERE d.state IN {IN_FLIGHT_SQL} {ORDER}"
#: Waiting although its time, grace window and some slack have all passed: a run would have
#: sent it or marked it missed, so no run is happening. Parameters: slack (ms), now.
OVERDUE_ROWS = f"{_SELECT} WHERE d.state IN {WAITING_SQL} AND {WAKE} + d.grace_ms + ? < ? {ORDER}"


def by_ids(n: int) -> str:
    return f"{_SELECT} WHERE d.id IN ({marks(n)}) {ORDER}"


def of_campaign_in(n: int) -> str:
    """Deliveries of a campaign in some states. Parameters: slug, then ``n`` states."""
    return f"{_SELECT} WHERE d.campaign = ? AND d.state IN ({marks(n)}) {ORDER}"


def of_account_in(n: int) -> str:
    """Deliveries of one account in some states. Parameters: platform, account, ``n`` states."""
    return f"{_SELECT} WHERE d.platform = ? AND d.account = ? AND d.state IN ({marks(n)}) {ORDER}"


#: Waiting deliveries of an account, and those one run has claimed but not sent yet.
#: Parameters: platform, account, owner.
ACCOUNT_HOLDABLE = (
    f"{_SELECT} WHERE d.platform = ? AND d.account = ? AND (d.state IN {WAITING_SQL} "
    f"OR (d.state = '{State.CLAIMED.value}' AND d.lease_owner = ?)) {ORDER}"
)

INSERT = (
    "INSERT INTO deliveries (key, campaign, post, platform, account, due_ms, grace_ms, "
    "thread_index, reply_to, payload, payload_hash, content, content_hash, zone, state, "
    "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A new plan for an unsent delivery: its content, time and place, attempts forgotten.
REWRITE = (
    "UPDATE deliveries SET post = ?, platform = ?, account = ?, due_ms = ?, thread_index = ?, "
    "reply_to = ?, payload = ?, payload_hash = ?, content = ?, content_hash = ?, zone = ?, "
    "grace_ms = ?, state = ?, cancelled_by = ?, attempts = 0, not_before_ms = NULL, "
    "last_error = NULL, updated_ms = ? WHERE id = ? AND state = ?"
)
#: A row scheduled before content hashes existed, found unchanged: its content recorded.
UPGRADE = "UPDATE deliveries SET content = ?, content_hash = ?, zone = ? WHERE id = ?"
#: A person's retry of a delivery whose time has passed: it may go out until this instant.
SET_GRACE = "UPDATE deliveries SET grace_ms = ?, updated_ms = ? WHERE id = ?"


def move(fields: Iterable[str], sources: int, owner: bool) -> str:
    """Move one delivery (and set ``fields``) if it is still in one of ``sources`` states
    (and, with ``owner``, still leased to that owner). Parameters: to, now, each field's value,
    id, the source states, [owner]."""
    sets = ", ".join(["state = ?", "updated_ms = ?", *(f"{name} = ?" for name in fields)])
    sql = f"UPDATE deliveries SET {sets} WHERE id = ? AND state IN ({marks(sources)})"
    return sql + (" AND lease_owner = ?" if owner else "")


# --- claims -------------------------------------------------------------------------------------


def _ready_on(platforms: int | None) -> str:
    return READY + ("" if platforms is None else f" AND d.platform IN ({marks(platforms)})")


#: Ready rows and those one run holds, ranked within their account (in send order), so a claim
#: takes the first few of every account rather than many of one. Parameters:
#: :func:`ready_params`, owner.
_RANKED = (
    "SELECT r.id, ROW_NUMBER() OVER (PARTITION BY r.platform, r.account "
    "ORDER BY r.due_ms, r.thread_index, r.id) AS rn FROM ("
    f"SELECT d.id, d.platform, d.account, d.due_ms, d.thread_index FROM deliveries d WHERE {READY} "
    "UNION ALL SELECT d.id, d.platform, d.account, d.due_ms, d.thread_index FROM deliveries d "
    f"WHERE d.state IN {IN_FLIGHT_SQL} AND d.lease_owner = ?) r"
)


def _fair(platforms: int | None) -> str:
    """Ready rows, the accounts taken in turn: the first of each, then the second..., counting
    what the run already holds of each (so an account it holds many of comes last). Parameters:
    :func:`ready_params`, owner, :func:`ready_params`, [platforms], limit."""
    return (
        f"SELECT d.id FROM deliveries d JOIN ({_RANKED}) k ON k.id = d.id "
        f"WHERE {_ready_on(platforms)} ORDER BY k.rn, d.due_ms, d.thread_index, d.id LIMIT ?"
    )


def claim_ids(platforms: int | None) -> str:
    """SQLite: the ids to claim (inside ``BEGIN IMMEDIATE``). Parameters: as :func:`_fair`."""
    return _fair(platforms)


def claim_marked(n: int) -> str:
    """SQLite: claim those ids. Parameters: owner, lease until, now, ``n`` ids."""
    return (
        f"UPDATE deliveries SET state = '{State.CLAIMED.value}', lease_owner = ?, "
        f"lease_until_ms = ?, updated_ms = ? WHERE id IN ({marks(n)}) AND state IN {WAITING_SQL}"
    )


def claim_skip_locked(platforms: int | None) -> str:
    """PostgreSQL: claim in one statement, skipping rows other workers hold. Parameters: owner,
    lease until, now, then as :func:`_fair`."""
    return (
        f"UPDATE deliveries SET state = '{State.CLAIMED.value}', lease_owner = ?, "
        f"lease_until_ms = ?, updated_ms = ? WHERE id IN ({_fair(platforms)} "
        "FOR UPDATE OF d SKIP LOCKED) RETURNING id"
    )


#: A run's lease on what it holds, pushed on while it works (real clock). Parameters: until,
#: owner, until.
#: Take an unconfirmed delivery to ask its platform about it, one run at a time (two runs
#: re-sending it with the same Idempotency-Key at once could both make the post). Parameters:
#: owner, until (real clock), id, real now.
ASK_UNCONFIRMED = (
    "UPDATE deliveries SET lease_owner = ?, lease_until_ms = ? WHERE id = ? "
    f"AND state = '{State.UNCONFIRMED.value}' AND (lease_until_ms IS NULL OR lease_until_ms < ?)"
)
#: Give back an unconfirmed delivery after asking (the answer said nothing). Parameters: id, owner.
ASKED_UNCONFIRMED = (
    "UPDATE deliveries SET lease_owner = NULL, lease_until_ms = NULL WHERE id = ? "
    f"AND lease_owner = ? AND state = '{State.UNCONFIRMED.value}'"
)
EXTEND_LEASES = (
    "UPDATE deliveries SET lease_until_ms = ? WHERE lease_owner = ? "
    f"AND state IN {IN_FLIGHT_SQL} AND lease_until_ms < ?"
)
#: An account's platform said "not before": its waiting deliveries due before then wait too.
#: Parameters: until, now, platform, account, until, until.
HOLD_ACCOUNT = (
    "UPDATE deliveries SET not_before_ms = ?, updated_ms = ? WHERE platform = ? AND account = ? "
    f"AND state IN {WAITING_SQL} AND due_ms < ? AND (not_before_ms IS NULL OR not_before_ms < ?)"
)
#: What one run has claimed of an account and not started. Parameters: platform, account, owner.
ACCOUNT_CLAIMED_BY = (
    f"{_SELECT} WHERE d.platform = ? AND d.account = ? AND d.state = '{State.CLAIMED.value}' "
    f"AND d.lease_owner = ? {ORDER}"
)


def claim_events(n: int) -> str:
    """One event per claimed id, its previous state read from its last event. Parameters: now,
    owner, reason, ``n`` ids."""
    return (
        "INSERT INTO events (delivery_id, at_ms, actor, from_state, to_state, reason) "
        "SELECT d.id, ?, ?, (SELECT e.to_state FROM events e WHERE e.delivery_id = d.id "
        f"ORDER BY e.id DESC LIMIT 1), '{State.CLAIMED.value}', ? FROM deliveries d "
        f"WHERE d.id IN ({marks(n)})"
    )


NEXT_DUE = f"SELECT MIN({WAKE}) FROM deliveries d WHERE d.state IN {WAITING_SQL}"
NEXT_DUE_AFTER = f"{NEXT_DUE} AND {WAKE} > ?"
#: Due deliveries by platform. Parameters: now.
DUE_BY_PLATFORM = f"SELECT d.platform, COUNT(*) FROM deliveries d WHERE {DUE} GROUP BY d.platform"

#: The cron fast path: anything due, in flight or unconfirmed (and, for a dry run, paused and
#: due)? Parameters: now, now (paused and due; pass -1 to leave paused ones out).
BUSY = (
    f"SELECT EXISTS (SELECT 1 FROM deliveries d WHERE {DUE}) "
    "OR EXISTS (SELECT 1 FROM deliveries d WHERE d.state IN "
    f"{states((*IN_FLIGHT, State.UNCONFIRMED))}) "
    f"OR EXISTS (SELECT 1 FROM deliveries d WHERE d.state = '{State.PAUSED.value}' "
    "AND d.due_ms <= ?)"
)
SCHEMA_VERSION = "SELECT MAX(version) FROM schema_migrations"

# --- events -------------------------------------------------------------------------------------

INSERT_EVENT = (
    "INSERT INTO events (delivery_id, at_ms, actor, from_state, to_state, reason) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
EVENTS_OF = (
    "SELECT e.at_ms, e.actor, e.from_state, e.to_state, e.reason FROM events e "
    "JOIN deliveries d ON d.id = e.delivery_id WHERE d.key = ? ORDER BY e.id"
)
_LAST_REASON = (
    "(SELECT e.reason FROM events e WHERE e.delivery_id = d.id ORDER BY e.id DESC LIMIT 1)"
)


def view_states(n: int) -> str:
    """For the views: every delivery of ``n`` campaigns, its state, link and last reason."""
    return (
        f"SELECT d.key, d.state, d.platform_url, COALESCE(d.last_error, {_LAST_REASON}) AS reason "
        f"FROM deliveries d WHERE d.campaign IN ({marks(n)}) ORDER BY d.key"
    )


# --- campaigns ----------------------------------------------------------------------------------

CAMPAIGNS = "SELECT slug, name, timezone, paused FROM campaigns ORDER BY slug"
CAMPAIGN_PAUSED = "SELECT paused FROM campaigns WHERE slug = ?"
CAMPAIGN_FILE = "SELECT file FROM campaigns WHERE slug = ?"
SET_CAMPAIGN_PAUSED = "UPDATE campaigns SET paused = ? WHERE slug = ?"
UPDATE_CAMPAIGN = (
    "UPDATE campaigns SET name = ?, file = ?, timezone = ?, grace_ms = ?, synced_ms = ? "
    "WHERE slug = ?"
)
INSERT_CAMPAIGN = (
    "INSERT INTO campaigns (slug, name, file, timezone, grace_ms, paused, synced_ms) "
    "VALUES (?, ?, ?, ?, ?, 0, ?)"
)
COUNTS = "SELECT d.state, COUNT(*) FROM deliveries d GROUP BY d.state"
COUNTS_OF = "SELECT d.state, COUNT(*) FROM deliveries d WHERE d.campaign = ? GROUP BY d.state"

# --- accounts -----------------------------------------------------------------------------------

PAUSED_ACCOUNTS = (
    "SELECT platform, account, reason FROM accounts WHERE paused_ms IS NOT NULL "
    "ORDER BY platform, account"
)
PAUSE_ACCOUNT = "UPDATE accounts SET paused_ms = ?, reason = ? WHERE platform = ? AND account = ?"
NEW_PAUSED_ACCOUNT = (
    "INSERT INTO accounts (platform, account, paused_ms, reason) VALUES (?, ?, ?, ?)"
)
UNPAUSE_ACCOUNT = (
    "UPDATE accounts SET paused_ms = NULL, reason = NULL WHERE platform = ? AND account = ?"
)
#: Accounts with deliveries still to go (or in doubt), and accounts paused.
ACCOUNTS_IN_USE = (
    "SELECT DISTINCT d.platform, d.account FROM deliveries d WHERE d.state IN "
    f"{states((*WAITING, State.PAUSED, *IN_FLIGHT, State.UNCONFIRMED))} "
    "UNION SELECT platform, account FROM accounts WHERE paused_ms IS NOT NULL"
)
