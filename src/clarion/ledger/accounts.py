"""Who each account posts as, as ``clarion accounts check`` last learned it.

The page to sign off shows each card under the name it will appear as ("@carersweek@social.coop",
"Carers Trust") rather than the campaign's name for the account ("default"): a manager checks the
right account is used. Only the public name is kept, never a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.ledger import queries_accounts as q

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

__all__ = ["names", "remember"]


def remember(ledger: Ledger, platform: str, account: str, posts_as: str, now_ms: int) -> None:
    """Keep the name ``account`` on ``platform`` posts as (an empty name is not kept)."""
    if posts_as.strip():
        ledger.db.execute(q.REMEMBER_NAME, (platform, account, posts_as.strip(), now_ms))


def names(ledger: Ledger) -> dict[tuple[str, str], str]:
    """(platform, account) -> the name it posts as, for every account checked so far."""
    return {(str(p), str(a)): str(n) for p, a, n in ledger.db.query(q.NAMES)}
