"""The ledger: every delivery, its state, and the append-only log of how it got there.

The ledger, not any timer, is the source of truth: every run reads what is due from here, claims
it in a transaction, and records each step before and after talking to a platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clarion.ledger.db import Database
from clarion.ledger.rows import (
    DELIVERY_COLUMNS,
    CampaignRecord,
    DeliveryRow,
    Event,
    Planned,
    SyncChange,
    SyncReport,
)
from clarion.ledger.states import ALLOWED, WAITING, State


class TransitionError(ValueError):
    """A person asked for a change the delivery's state does not allow."""


def _in(states: Iterable[State]) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in states) + ")"


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    def close(self) -> None:
        self.db.close()

    # --- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> DeliveryRow | None:
        rows = self.db.query(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE key = ?", (key,))
        return DeliveryRow.from_db(rows[0]) if rows else None

    def by_id(self, ids: Sequence[int]) -> list[DeliveryRow]:
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.db.query(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id IN ({marks}) ORDER BY due_ms, id",
            tuple(ids),
        )
        return [DeliveryRow.from_db(r) for r in rows]

    def select(
        self, where: str, params: Sequence[Any] = (), order: str = "due_ms, id"
    ) -> list[DeliveryRow]:
        rows = self.db.query(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {where} ORDER BY {order}", params
        )
        return [DeliveryRow.from_db(r) for r in rows]

    def events(self, key: str) -> list[Event]:
        rows = self.db.query(
            "SELECT e.at_ms, e.actor, e.from_state, e.to_state, e.reason FROM events e "
            "JOIN deliveries d ON d.id = e.delivery_id WHERE d.key = ? ORDER BY e.id",
            (key,),
        )
        return [Event(r[0], r[1], State(r[2]) if r[2] else None, State(r[3]), r[4]) for r in rows]

    def campaigns(self) -> list[tuple[str, str, str, bool]]:
        rows = self.db.query("SELECT slug, name, timezone, paused FROM campaigns ORDER BY slug")
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def counts(self, campaign: str | None = None) -> dict[State, int]:
        where, params = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
        rows = self.db.query(
            f"SELECT state, COUNT(*) FROM deliveries {where} GROUP BY state", params
        )
        return {State(r[0]): int(r[1]) for r in rows}

    def paused_accounts(self) -> list[tuple[str, str, str]]:
        rows = self.db.query(
            "SELECT platform, account, reason FROM accounts WHERE paused_ms IS NOT NULL "
            "ORDER BY platform, account"
        )
        return [(r[0], r[1], r[2] or "") for r in rows]

    # --- changing, with an event for every transition ------------------------------------------

    def move(
        self,
        row: DeliveryRow,
        to: State,
        reason: str,
        actor: str,
        now_ms: int,
        *,
        expect: Sequence[State] | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> bool:
        """Move one delivery to ``to`` if it is still in ``expect`` (default: its current state)
        and, when ``owner`` is given, still leased to that owner. Records the event. True if moved.
        """
        expect = tuple(expect or (row.state,))
        sets = ["state = ?", "updated_ms = ?"] + [f"{name} = ?" for name in fields]
        params: list[Any] = [to.value, now_ms, *fields.values(), row.id]
        sql = f"UPDATE deliveries SET {', '.join(sets)} WHERE id = ? AND state IN {_in(expect)}"
        if owner is not None:
            sql += " AND lease_owner = ?"
            params.append(owner)
        with self.db.transaction():
            src = expect[0]
            if len(expect) > 1:
                found = self.db.query("SELECT state FROM deliveries WHERE id = ?", (row.id,))
                src = State(found[0][0]) if found else src
            if self.db.execute(sql, params) != 1:
                return False
            self._event(row.id, now_ms, actor, src, to, reason)
        return True

    def _event(
        self, delivery_id: int, now_ms: int, actor: str, src: State | None, to: State, reason: str
    ) -> None:
        self.db.execute(
            "INSERT INTO events (delivery_id, at_ms, actor, from_state, to_state, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (delivery_id, now_ms, actor, src.value if src else None, to.value, reason),
        )

    def person_move(
        self, row: DeliveryRow, to: State, reason: str, actor: str, now_ms: int, **fields: Any
    ) -> None:
        """A change a person asked for: refused in plain words when the state does not allow it."""
        if to not in ALLOWED[row.state]:
            raise TransitionError(
                f"{row.key} is {row.state.value}; it cannot be moved to {to.value}."
            )
        if not self.move(row, to, reason, actor, now_ms, **fields):
            raise TransitionError(f"{row.key} changed while Clarion was working on it; try again.")

    # --- schedule: sync a campaign's plan into the ledger ------------------------------------

    def sync(
        self, campaign: CampaignRecord, planned: Sequence[Planned], actor: str, now_ms: int
    ) -> SyncReport:
        """Make the ledger match the campaign's plan, in one transaction."""
        report = SyncReport(campaign.slug, [], 0)
        with self.db.transaction():
            paused = self._upsert_campaign(campaign, now_ms)
            existing = {r.key: r for r in self.select("campaign = ?", (campaign.slug,))}
            for item in planned:
                row = existing.pop(item.key, None)
                if row is None:
                    self._insert(
                        campaign, item, State.PAUSED if paused else State.PENDING, actor, now_ms
                    )
                    report.changes.append(SyncChange(item.key, "added", "new in the campaign"))
                elif row.payload_hash == item.payload_hash:
                    report.unchanged += 1
                else:
                    report.changes.append(self._update(row, item, actor, now_ms))
            for row in existing.values():
                change = self._removed(row, actor, now_ms)
                if change is None:
                    report.unchanged += 1
                else:
                    report.changes.append(change)
        return report

    def _upsert_campaign(self, c: CampaignRecord, now_ms: int) -> bool:
        found = self.db.query("SELECT paused FROM campaigns WHERE slug = ?", (c.slug,))
        if found:
            self.db.execute(
                "UPDATE campaigns SET name = ?, file = ?, timezone = ?, grace_ms = ?, "
                "synced_ms = ? WHERE slug = ?",
                (c.name, c.file, c.timezone, c.grace_ms, now_ms, c.slug),
            )
            return bool(found[0][0])
        self.db.execute(
            "INSERT INTO campaigns (slug, name, file, timezone, grace_ms, paused, synced_ms) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            (c.slug, c.name, c.file, c.timezone, c.grace_ms, now_ms),
        )
        return False

    def _insert(
        self, c: CampaignRecord, item: Planned, state: State, actor: str, now_ms: int
    ) -> None:
        self.db.execute(
            "INSERT INTO deliveries (key, campaign, post, platform, account, due_ms, grace_ms, "
            "thread_index, reply_to, payload, payload_hash, state, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.key,
                c.slug,
                item.post,
                item.platform,
                item.account,
                item.due_ms,
                c.grace_ms,
                item.thread_index,
                item.reply_to,
                item.payload_json,
                item.payload_hash,
                state.value,
                now_ms,
                now_ms,
            ),
        )
        new_id = self.db.query("SELECT id FROM deliveries WHERE key = ?", (item.key,))[0][0]
        self._event(new_id, now_ms, actor, None, state, "scheduled from the campaign file")

    def _update(self, row: DeliveryRow, item: Planned, actor: str, now_ms: int) -> SyncChange:
        if row.state == State.PUBLISHED:
            return SyncChange(row.key, "ignored", "already published, change ignored")
        if row.state in (State.CLAIMED, State.SENDING):
            return SyncChange(row.key, "ignored", "being sent right now, change ignored")
        if row.state == State.UNCONFIRMED:
            return SyncChange(
                row.key,
                "ignored",
                "may already be published (unconfirmed): "
                "change ignored; settle it with `clarion resolve` first",
            )
        to = row.state if row.state in (*WAITING, State.PAUSED) else State.PENDING
        if to == State.RETRY:
            to = State.PENDING
        self.db.execute(
            "UPDATE deliveries SET post = ?, platform = ?, account = ?, due_ms = ?, "
            "thread_index = ?, reply_to = ?, payload = ?, payload_hash = ?, state = ?, "
            "attempts = 0, not_before_ms = NULL, last_error = NULL, updated_ms = ? WHERE id = ?",
            (
                item.post,
                item.platform,
                item.account,
                item.due_ms,
                item.thread_index,
                item.reply_to,
                item.payload_json,
                item.payload_hash,
                to.value,
                now_ms,
                row.id,
            ),
        )
        what = "updated" if to == row.state else "rescheduled"
        reason = "changed in the campaign file" + (
            "" if to == row.state else f"; was {row.state.value}, scheduled again"
        )
        self._event(row.id, now_ms, actor, row.state, to, reason)
        return SyncChange(row.key, what, reason)

    def _removed(self, row: DeliveryRow, actor: str, now_ms: int) -> SyncChange | None:
        if row.state in (*WAITING, State.PAUSED):
            self.db.execute(
                "UPDATE deliveries SET state = ?, updated_ms = ? WHERE id = ?",
                (State.CANCELLED.value, now_ms, row.id),
            )
            reason = "removed from the campaign file"
            self._event(row.id, now_ms, actor, row.state, State.CANCELLED, reason)
            return SyncChange(row.key, "cancelled", reason)
        if row.state in (State.PUBLISHED, State.UNCONFIRMED, State.CLAIMED, State.SENDING):
            return SyncChange(
                row.key,
                "ignored",
                f"removed from the file but {row.state.value}: Clarion does not delete posts",
            )
        return None
