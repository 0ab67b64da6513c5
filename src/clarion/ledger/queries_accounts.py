"""The statements about accounts themselves, by name (see :mod:`clarion.ledger.queries`)."""

from __future__ import annotations

#: Remember who an account posts as (one row per platform and account, the latest check wins).
REMEMBER_NAME = (
    "INSERT INTO account_names (platform, account, posts_as, checked_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (platform, account) DO UPDATE SET posts_as = excluded.posts_as, "
    "checked_ms = excluded.checked_ms"
)
#: Every account's last known name.
NAMES = "SELECT platform, account, posts_as FROM account_names"
