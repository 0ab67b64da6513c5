"""The sign-off's statements, by name (see :mod:`clarion.ledger.queries` for the conventions).

Every approval is a row; the latest per delivery key counts. :data:`SIGNED` is the condition a
claim adds to "ready": a campaign that requires approval sends a delivery only when its content
hash is the one its latest approval recorded. Being part of the claim's own statement, no run
(any worker, ``--allow-overlap``, PostgreSQL) can claim unapproved content.
"""

from __future__ import annotations

from clarion.ledger.states import WAITING, State


def _states(values: tuple[State, ...]) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in values) + ")"


#: The content hash of a delivery's latest approval (``d`` is the delivery row).
LATEST_HASH = (
    "(SELECT a.content_hash FROM approvals a WHERE a.key = d.key ORDER BY a.id DESC LIMIT 1)"
)
#: Whether a campaign requires approval (``d`` is the delivery row).
REQUIRED = (
    "EXISTS (SELECT 1 FROM campaigns c WHERE c.slug = d.campaign AND c.approval_required = 1)"
)
#: Either its campaign sends without sign-off, or what will be sent is what was approved.
#: (Never NULL: a delivery never approved compares as not signed, so ``NOT SIGNED`` finds it.)
SIGNED = f"(NOT {REQUIRED} OR COALESCE(d.content_hash = {LATEST_HASH}, 1 = 0))"
#: Waiting, in a campaign that requires approval, and not approved as it stands.
UNSIGNED = f"d.state IN {_states(WAITING)} AND {REQUIRED} AND NOT {SIGNED}"

#: The alert kind of a due delivery held for sign-off.
ALERT_SIGNOFF = "signoff"

_COLUMNS = "a.key, a.content_hash, a.approved_by, a.at_ms, a.plan_hash, a.note, a.fields"

INSERT = (
    "INSERT INTO approvals (key, campaign, content_hash, fields, approved_by, at_ms, note, "
    "plan_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: The latest approval of every key of a campaign. Parameters: campaign, campaign.
LATEST_OF_CAMPAIGN = (
    f"SELECT {_COLUMNS} FROM approvals a WHERE a.campaign = ? AND a.id IN "
    "(SELECT MAX(b.id) FROM approvals b WHERE b.campaign = ? GROUP BY b.key) ORDER BY a.key"
)
#: The latest approval of one key. Parameters: key.
LATEST_OF_KEY = f"SELECT {_COLUMNS} FROM approvals a WHERE a.key = ? ORDER BY a.id DESC LIMIT 1"
#: Every approval of one key, oldest first. Parameters: key.
HISTORY_OF_KEY = f"SELECT {_COLUMNS} FROM approvals a WHERE a.key = ? ORDER BY a.id"
#: The campaign's last sign-off (its latest approval row). Parameters: campaign.
LAST_OF_CAMPAIGN = (
    f"SELECT {_COLUMNS} FROM approvals a WHERE a.campaign = ? ORDER BY a.id DESC LIMIT 1"
)
SET_REQUIRED = "UPDATE campaigns SET approval_required = ? WHERE slug = ?"
IS_REQUIRED = "SELECT approval_required FROM campaigns WHERE slug = ?"
#: Waiting deliveries held for sign-off whose time has come. Parameters: now.
UNSIGNED_DUE_KEYS = f"SELECT d.id FROM deliveries d WHERE {UNSIGNED} AND d.due_ms <= ?"
#: Every waiting delivery held for sign-off (due or not). No parameters.
UNSIGNED_KEYS = f"SELECT d.id FROM deliveries d WHERE {UNSIGNED}"
