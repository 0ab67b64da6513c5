"""The ledger: every delivery, its state, and the append-only log of how it got there.

The ledger, not any timer, is the source of truth: every run reads what is due from here, claims
it in a transaction, and records each step before and after talking to a platform. Every move is
checked against :data:`clarion.ledger.states.ALLOWED`, whoever asks for it; every statement is
named in :mod:`clarion.ledger.queries`. The verbs live beside this module (:mod:`.sync`: the
campaign file; :mod:`.people`: what a person asks for; :mod:`.claims`: what a run does) and are
offered here as methods, so callers need only a :class:`Ledger`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from clarion.delivery import Delivery
from clarion.ledger import claims, people, sync
from clarion.ledger import queries as q
from clarion.ledger.db import Database
from clarion.ledger.rows import (
    CampaignInfo,
    CampaignRecord,
    CampaignStatus,
    DeliveryRow,
    Event,
    PausedAccount,
    Retried,
    SyncReport,
    ViewState,
)
from clarion.ledger.states import ALLOWED, State, TransitionError

__all__ = ["Ledger", "TransitionError"]


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    def close(self) -> None:
        self.db.close()

    # --- reading -----------------------------------------------------------------------------

    def rows_of(self, sql: str, params: Sequence[Any] = ()) -> list[DeliveryRow]:
        """Deliveries read by one of :mod:`clarion.ledger.queries`' statements."""
        return [DeliveryRow.from_record(r) for r in self.db.records(sql, params)]

    def get(self, key: str) -> DeliveryRow | None:
        rows = self.rows_of(q.BY_KEY, (key,))
        return rows[0] if rows else None

    def by_id(self, ids: Sequence[int]) -> list[DeliveryRow]:
        return self.rows_of(q.by_ids(len(ids)), tuple(ids)) if ids else []

    def rows(
        self, campaign: str | None = None, states: Iterable[State] | None = None
    ) -> list[DeliveryRow]:
        """Every delivery (of one campaign; in some states), by due time."""
        if campaign is None:
            found = self.rows_of(q.ALL)
        elif states is None:
            return self.rows_of(q.OF_CAMPAIGN, (campaign,))
        else:
            wanted = [s.value for s in states]
            return self.rows_of(q.of_campaign_in(len(wanted)), (campaign, *wanted))
        if states is not None:
            keep = set(states)
            found = [r for r in found if r.state in keep]
        return found

    def children(self, key: str) -> list[DeliveryRow]:
        return self.rows_of(q.CHILDREN, (key,))

    def parent(self, row: DeliveryRow) -> DeliveryRow | None:
        return self.get(row.reply_to) if row.reply_to else None

    def events(self, key: str) -> list[Event]:
        return [
            Event(
                int(r["at_ms"]),
                r["actor"],
                State(r["from_state"]) if r["from_state"] else None,
                State(r["to_state"]),
                r["reason"],
            )
            for r in self.db.records(q.EVENTS_OF, (key,))
        ]

    def campaigns(self) -> list[CampaignInfo]:
        return [
            CampaignInfo(r["slug"], r["name"], r["timezone"], bool(r["paused"]))
            for r in self.db.records(q.CAMPAIGNS)
        ]

    def campaign_file(self, slug: str) -> Path | None:
        """The campaign file the campaign was last scheduled from (it may have moved since)."""
        found = self.db.query(q.CAMPAIGN_FILE, (slug,))
        return Path(found[0][0]) if found and found[0][0] else None

    def campaign_folder(self, slug: str) -> Path | None:
        """The folder of the campaign file the campaign was last scheduled from."""
        found = self.db.query(q.CAMPAIGN_FILE, (slug,))
        return Path(found[0][0]).parent if found else None

    def counts(self, campaign: str | None = None) -> dict[State, int]:
        rows = self.db.query(q.COUNTS_OF, (campaign,)) if campaign else self.db.query(q.COUNTS)
        return {State(r[0]): int(r[1]) for r in rows}

    def paused_accounts(self) -> list[PausedAccount]:
        return [
            PausedAccount(r["platform"], r["account"], r["reason"] or "")
            for r in self.db.records(q.PAUSED_ACCOUNTS)
        ]

    def accounts_in_use(self) -> list[tuple[str, str]]:
        """(platform, account) of every account with deliveries still to go, or paused."""
        return sorted((str(r[0]), str(r[1])) for r in self.db.query(q.ACCOUNTS_IN_USE))

    def status(self, campaign: str | None = None) -> list[CampaignStatus]:
        """Counts by state, the next delivery due and what needs attention, per campaign."""
        return people.status(self, campaign)

    def view_states(self, campaigns: Sequence[str]) -> dict[str, ViewState]:
        """For the views: key -> (state, platform_url, reason) of every delivery of these
        campaigns, those cancelled because they left the file included."""
        if not campaigns:
            return {}
        rows = self.db.records(q.view_states(len(campaigns)), tuple(campaigns))
        return {
            r["key"]: ViewState(State(r["state"]), r["platform_url"], r["reason"] or "")
            for r in rows
        }

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
        and, when ``owner`` is given, still leased to that owner. Records the event. True if
        moved. A move :data:`ALLOWED` from none of ``expect`` is refused (TransitionError)."""
        sources = [s for s in (expect or (row.state,)) if to in ALLOWED[s]]
        if not sources:
            raise TransitionError(
                f"{row.key} is {row.state.value}; it cannot be moved to {to.value}."
            )
        sql = q.move(fields, len(sources), owner is not None)
        params: list[Any] = [to.value, now_ms, *fields.values(), row.id]
        params += [s.value for s in sources]
        if owner is not None:
            params.append(owner)
        with self.db.transaction():
            src = sources[0]
            if len(sources) > 1:
                found = self.db.query(q.STATE_OF, (row.id,))
                src = State(found[0][0]) if found else src
            if self.db.execute(sql, params) != 1:
                return False
            self.event(row.id, now_ms, actor, src, to, reason)
        return True

    def event(
        self, delivery_id: int, now_ms: int, actor: str, src: State | None, to: State, reason: str
    ) -> None:
        self.db.execute(
            q.INSERT_EVENT,
            (delivery_id, now_ms, actor, src.value if src else None, to.value, reason),
        )

    def person_move(
        self, row: DeliveryRow, to: State, reason: str, actor: str, now_ms: int, **fields: Any
    ) -> None:
        """A change a person asked for: refused in plain words when the state does not allow it."""
        if not self.move(row, to, reason, actor, now_ms, **fields):
            raise TransitionError(f"{row.key} changed while Clarion was working on it; try again.")

    # --- the campaign file ---------------------------------------------------------------------

    def sync(
        self, campaign: CampaignRecord, deliveries: Sequence[Delivery], actor: str, now_ms: int
    ) -> SyncReport:
        """Make the ledger match the campaign's plan, in one transaction (docs/running.md)."""
        return sync.sync(self, campaign, deliveries, actor, now_ms)

    # --- a person's verbs (people.py) ----------------------------------------------------------

    def retry(self, key: str, actor: str, now_ms: int) -> Retried:
        return people.retry(self, key, actor, now_ms)

    def retry_campaign(self, slug: str, actor: str, now_ms: int) -> int:
        return people.retry_campaign(self, slug, actor, now_ms)

    def cancel(self, key: str, actor: str, now_ms: int) -> DeliveryRow:
        return people.cancel(self, key, actor, now_ms)

    def cancel_campaign(self, slug: str, actor: str, now_ms: int) -> int:
        return people.cancel_campaign(self, slug, actor, now_ms)

    def pause_campaign(self, slug: str, actor: str, now_ms: int) -> int:
        return people.pause_campaign(self, slug, actor, now_ms)

    def resume_campaign(self, slug: str, actor: str, now_ms: int) -> int:
        return people.resume_campaign(self, slug, actor, now_ms)

    def resolve(
        self, key: str, url: str | None, post_id: str | None, actor: str, now_ms: int
    ) -> DeliveryRow:
        return people.resolve(self, key, url, post_id, actor, now_ms)

    def unpause_account(self, platform: str, account: str, actor: str, now_ms: int) -> int:
        return people.unpause_account(self, platform, account, actor, now_ms)

    # --- what a run does (claims.py) -----------------------------------------------------------

    def recover(self, real_now_ms: int, actor: str) -> list[claims.Recovered]:
        return claims.recover(self, real_now_ms, actor)

    def late(self, now_ms: int, grace_ms: int | None) -> list[DeliveryRow]:
        return self.rows_of(q.LATE_ROWS, (grace_ms, now_ms))

    def unconfirmed(self) -> list[DeliveryRow]:
        return self.rows_of(q.UNCONFIRMED)

    def claim(
        self,
        now_ms: int,
        owner: str,
        lease_until_ms: int,
        limit: int,
        *,
        grace_ms: int | None = None,
        catch_up: bool = False,
        platforms: tuple[str, ...] | None = None,
    ) -> list[DeliveryRow]:
        """Claim up to ``limit`` due and ready deliveries for ``owner`` until
        ``lease_until_ms`` (real clock); only ``platforms`` (those with an adapter) if given;
        the accounts in turn (:func:`claims.claim`)."""
        return claims.claim(
            self,
            now_ms,
            owner,
            lease_until_ms,
            limit,
            grace_ms=grace_ms,
            catch_up=catch_up,
            platforms=platforms,
        )

    def extend_leases(self, owner: str, until_ms: int) -> int:
        return claims.extend_leases(self, owner, until_ms)

    def ask_unconfirmed(self, row: DeliveryRow, owner: str, until_ms: int, now_ms: int) -> bool:
        return claims.ask_unconfirmed(self, row, owner, until_ms, now_ms)

    def asked_unconfirmed(self, row: DeliveryRow, owner: str) -> None:
        claims.asked_unconfirmed(self, row, owner)

    def hold_account(
        self, platform: str, account: str, until_ms: int, reason: str, actor: str, now_ms: int
    ) -> int:
        return claims.hold_account(self, platform, account, until_ms, reason, actor, now_ms)

    def would_send(self, now_ms: int, grace_ms: int | None, catch_up: bool) -> list[DeliveryRow]:
        """Due and within grace, whatever their thread parent (the dry run orders them)."""
        return self.rows_of(q.DRY_RUN, q.ready_params(now_ms, catch_up, grace_ms))

    def paused_due(self, now_ms: int) -> list[DeliveryRow]:
        return self.rows_of(q.PAUSED_DUE, (now_ms,))

    def waiting_without_adapter(self, now_ms: int, platforms: Iterable[str]) -> dict[str, int]:
        """Platform -> due deliveries for platforms not in ``platforms`` (no adapter)."""
        allowed = set(platforms)
        rows = self.db.query(q.DUE_BY_PLATFORM, (now_ms,))
        return {str(p): int(n) for p, n in rows if p not in allowed}

    def next_due(self, after_ms: int | None = None) -> int | None:
        return claims.next_due(self, after_ms)

    def pause_account(
        self, platform: str, account: str, reason: str, actor: str, now_ms: int
    ) -> int:
        return claims.pause_account(self, platform, account, reason, actor, now_ms)
