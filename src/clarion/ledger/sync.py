"""``clarion schedule``: make the ledger match a campaign's plan, in one transaction.

The rules (written for people in docs/running.md, "The campaign file and the ledger"):

* new in the file: added, pending (paused when its campaign is paused);
* the same as the ledger's copy (:func:`clarion.delivery.content_hash`: what will be sent, when
  and by whom; nothing shown only to people): unchanged, attempts and retry times kept;
* changed and not sent: rewritten ("updated"; "rescheduled" when only its time changed); a
  failed or missed one is pending again, and the event log says what changed;
* published, being sent or unconfirmed: never touched ("change ignored");
* removed from the file and not sent: cancelled, marked as cancelled by the file; put back, it
  is pending again at its own time ("restored"; if that time has passed, the report says the
  next run marks it missed unless ``run-due --catch-up``);
* cancelled by a person (``clarion cancel``): stays cancelled whatever the file says; its
  content follows the file, and ``clarion retry`` sends it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from clarion.delivery import Delivery, changes, content_hash, due_ms
from clarion.ledger import approvals
from clarion.ledger import queries as q
from clarion.ledger.rows import CampaignRecord, DeliveryRow, SyncChange, SyncReport, from_ms
from clarion.ledger.states import ALLOWED, CancelledBy, State, TransitionError

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

_LEFT_ALONE = {
    State.PUBLISHED: "already published, change ignored",
    State.CLAIMED: "being sent right now, change ignored",
    State.SENDING: "being sent right now, change ignored",
    State.UNCONFIRMED: (
        "may already be published (unconfirmed): "
        "change ignored; settle it with `clarion resolve` first"
    ),
}


def sync(
    ledger: Ledger, campaign: CampaignRecord, deliveries: Sequence[Delivery], actor: str, now: int
) -> SyncReport:
    report = SyncReport(campaign.slug)
    with ledger.db.transaction():
        paused = _upsert_campaign(ledger, campaign, now)
        existing = {r.key: r for r in ledger.rows(campaign.slug)}
        for d in deliveries:
            row = existing.pop(d.key, None)
            if row is None:
                _insert(ledger, campaign, d, State.PAUSED if paused else State.PENDING, actor, now)
                report.changes.append(SyncChange(d.key, "added", "new in the campaign"))
                continue
            change = _one(ledger, campaign, row, d, paused, actor, now)
            if change is None:
                report.unchanged += 1
            else:
                report.changes.append(change)
        for row in existing.values():
            removed = _removed(ledger, row, actor, now)
            if removed is None:
                report.unchanged += 1
            else:
                report.changes.append(removed)
    return report


def _upsert_campaign(ledger: Ledger, c: CampaignRecord, now: int) -> bool:
    db = ledger.db
    found = db.query(q.CAMPAIGN_PAUSED, (c.slug,))
    if found:
        db.execute(q.UPDATE_CAMPAIGN, (c.name, c.file, c.timezone, c.grace_ms, now, c.slug))
    else:
        db.execute(q.INSERT_CAMPAIGN, (c.slug, c.name, c.file, c.timezone, c.grace_ms, now))
    approvals.set_required(ledger, c.slug, c.approval_required)
    return bool(found[0][0]) if found else False


def _content_json(d: Delivery) -> str:
    return json.dumps(d.content.as_json(), sort_keys=True, ensure_ascii=False)


def _insert(
    ledger: Ledger, c: CampaignRecord, d: Delivery, state: State, actor: str, now: int
) -> None:
    content, digest = _content_json(d), content_hash(d)
    ledger.db.execute(
        q.INSERT,
        (
            d.key,
            c.slug,
            d.post,
            d.platform,
            d.account,
            due_ms(d.at_utc),
            c.grace_ms,
            d.thread_index,
            d.reply_to,
            content,  # schema 1's payload column, kept filled for older readers
            digest,
            content,
            digest,
            d.zone,
            state.value,
            now,
            now,
        ),
    )
    new_id = ledger.db.query(q.ID_OF, (d.key,))[0][0]
    ledger.event(new_id, now, actor, None, state, "scheduled from the campaign file")


def _same(ledger: Ledger, row: DeliveryRow, d: Delivery) -> bool:
    """Whether the ledger's copy is what the file now plans. A row scheduled before content
    hashes were kept is compared on what it recorded (no image hashes, no separate link) and,
    when it matches, quietly given its content and hash."""
    digest = content_hash(d)
    if row.content_hash is not None:
        return row.content_hash == digest
    bare = replace(
        d,
        content=replace(
            d.content, media=tuple(replace(m, sha256="") for m in d.content.media), link=None
        ),
        zone=row.delivery.zone,
    )
    if content_hash(row.delivery) != content_hash(bare):
        return False
    ledger.db.execute(q.UPGRADE, (_content_json(d), digest, d.zone, row.id))
    return True


def _one(
    ledger: Ledger,
    c: CampaignRecord,
    row: DeliveryRow,
    d: Delivery,
    paused: bool,
    actor: str,
    now: int,
) -> SyncChange | None:
    same = _same(ledger, row, d)
    if row.state in _LEFT_ALONE:
        return None if same else SyncChange(row.key, "ignored", _LEFT_ALONE[row.state])
    what = changes(row.delivery, d) if not same else []
    said = ", ".join(what)
    if row.state == State.CANCELLED and row.cancelled_by != CancelledBy.FILE:
        if same:
            return None
        reason = f"changed in the campaign file ({said}); stays cancelled: a person cancelled it"
        _rewrite(ledger, c, row, d, State.CANCELLED, row.cancelled_by, reason, actor, now)
        return SyncChange(
            row.key, "updated", reason + f" (`clarion retry {row.key}` sends it)", tuple(what)
        )
    if row.state == State.CANCELLED:  # cancelled because it had left the file: it is back
        to = State.PAUSED if paused else State.PENDING
        reason = "back in the campaign file" + (f" ({said} changed)" if what else "")
        late = due_ms(d.at_utc) + row.grace_ms < now
        note = (
            f"; it was due at {from_ms(due_ms(d.at_utc)):%Y-%m-%d %H:%M} UTC, already past: "
            "the next run marks it missed unless `run-due --catch-up`"
            if late
            else ""
        )
        _rewrite(ledger, c, row, d, to, None, reason + note, actor, now)
        return SyncChange(row.key, "restored", reason + note, tuple(what))
    if same:
        return None
    if row.state in (State.FAILED, State.MISSED):
        to = State.PAUSED if paused else State.PENDING
    else:
        to = State.PENDING if row.state == State.RETRY else row.state
    reason = f"changed in the campaign file: {said}"
    if to != row.state:
        reason += f"; was {row.state.value}, scheduled again"
    _rewrite(ledger, c, row, d, to, None, reason, actor, now)
    kind = "rescheduled" if what == ["time"] else "updated"
    return SyncChange(row.key, kind, reason, tuple(what))


def _rewrite(
    ledger: Ledger,
    c: CampaignRecord,
    row: DeliveryRow,
    d: Delivery,
    to: State,
    cancelled_by: str | None,
    reason: str,
    actor: str,
    now: int,
) -> None:
    if to != row.state and to not in ALLOWED[row.state]:
        raise TransitionError(f"{row.key} is {row.state.value}; it cannot be moved to {to.value}.")
    content, digest = _content_json(d), content_hash(d)
    ledger.db.execute(
        q.REWRITE,
        (
            d.post,
            d.platform,
            d.account,
            due_ms(d.at_utc),
            d.thread_index,
            d.reply_to,
            content,
            digest,
            content,
            digest,
            d.zone,
            c.grace_ms,
            to.value,
            cancelled_by,
            now,
            row.id,
            row.state.value,
        ),
    )
    ledger.event(row.id, now, actor, row.state, to, reason)


def _removed(ledger: Ledger, row: DeliveryRow, actor: str, now: int) -> SyncChange | None:
    if row.state in (State.PENDING, State.RETRY, State.PAUSED):
        reason = "removed from the campaign file"
        ledger.move(row, State.CANCELLED, reason, actor, now, cancelled_by=CancelledBy.FILE)
        return SyncChange(row.key, "cancelled", reason)
    if row.state in _LEFT_ALONE:
        return SyncChange(
            row.key,
            "ignored",
            f"removed from the file but {row.state.value}: Clarion does not delete posts",
        )
    return None
