"""The statements about counts read from the platforms (see :mod:`clarion.ledger.queries`)."""

from __future__ import annotations

#: One reading of one platform account's counts for one campaign (its id back).
INSERT_FETCH = (
    "INSERT INTO metric_fetches (campaign, platform, account, taken_ms, posts, calls, problem, "
    "notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
#: What one reading found for one delivery.
INSERT_SNAPSHOT = (
    "INSERT INTO metric_snapshots (fetch_id, delivery_id, taken_ms, counts, gone) "
    "VALUES (?, ?, ?, ?, ?)"
)


def fetches_of(campaigns: int) -> str:
    """Every reading of the counts of ``campaigns`` campaigns, oldest first."""
    marks = ", ".join("?" * campaigns)
    return (
        "SELECT id, campaign, platform, account, taken_ms, posts, calls, problem, notes "
        f"FROM metric_fetches WHERE campaign IN ({marks}) ORDER BY taken_ms, id"
    )


def snapshots_of(campaigns: int) -> str:
    """Every snapshot of the deliveries of ``campaigns`` campaigns, oldest first."""
    marks = ", ".join("?" * campaigns)
    return (
        "SELECT s.delivery_id, s.fetch_id, s.taken_ms, s.counts, s.gone "
        "FROM metric_snapshots s JOIN deliveries d ON d.id = s.delivery_id "
        f"WHERE d.campaign IN ({marks}) ORDER BY s.taken_ms, s.id"
    )
