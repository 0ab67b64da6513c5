"""What a person asks of the ledger: retry, cancel, pause, resume, resolve, un-pause an account,
and the status summary. Each is refused in plain words (:class:`TransitionError`) when the
delivery's state does not allow it. A claim whose lease has run out (on the real clock) is first
recovered, as the next run would, so a run that died never blocks a person.

What undoes what (the commands' ``--help`` and docs/running.md say the same):

* ``cancel KEY``: only ``retry KEY`` (``schedule`` leaves a person's cancel alone);
* ``cancel CAMPAIGN``: ``retry CAMPAIGN`` (or ``retry KEY``, one at a time);
* ``pause CAMPAIGN``: ``resume CAMPAIGN``; a paused account: ``accounts check``;
* ``retry`` keeps a delivery's time when it has not come; when it has passed, the delivery may
  go out at the next run (its grace window is stretched to now, its time is not changed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.ledger import claims
from clarion.ledger import queries as q
from clarion.ledger.rows import CampaignStatus, DeliveryRow, Retried
from clarion.ledger.states import WAITING, CancelledBy, State, TransitionError

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger

RETRYABLE = (State.FAILED, State.MISSED, State.CANCELLED, State.RETRY)


def _row(ledger: Ledger, key: str, actor: str, now: int) -> DeliveryRow:
    row = ledger.get(key)
    if row is None:
        raise TransitionError(f"No delivery {key!r} in the ledger (see `clarion status`).")
    if claims.recover_row(ledger, row, now, actor) is not None:
        row = ledger.get(key) or row
    return row


def _known(ledger: Ledger, slug: str) -> None:
    if slug not in {c.slug for c in ledger.campaigns()}:
        raise TransitionError(f"No campaign {slug!r} in the ledger.")


def _again(
    ledger: Ledger, row: DeliveryRow, why: str, actor: str, now: int, send_by: int | None = None
) -> bool:
    """Back to pending, its time kept; with ``send_by``, its grace window reaches that instant."""
    grace = row.grace_ms
    if send_by is not None and row.due_ms + grace < send_by:
        grace = send_by - row.due_ms
    return ledger.move(
        row,
        State.PENDING,
        why,
        actor,
        now,
        attempts=0,
        not_before_ms=None,
        last_error=None,
        cancelled_by=None,
        grace_ms=grace,
    )


def retry(ledger: Ledger, key: str, actor: str, now: int) -> Retried:
    row = _row(ledger, key, actor, now)
    if row.state not in RETRYABLE:
        raise TransitionError(
            f"{key} is {row.state.value}; only failed, missed, cancelled "
            "or retrying deliveries can be retried."
        )
    passed = row.due_ms <= now
    # Sent at the next run when its time has passed: it may go out for a grace window from now.
    send_by = now + row.grace_ms if passed else None
    why = "retry asked for by a person" + ("; due now" if passed else "; at its own time")
    with ledger.db.transaction():
        if not _again(ledger, row, why, actor, now, send_by):
            raise TransitionError(f"{key} changed while Clarion was working on it; try again.")
        parts = _follow(ledger, key, actor, now, send_by)
    fresh = ledger.get(key) or row
    return Retried(fresh, parts, passed)


def _follow(ledger: Ledger, key: str, actor: str, now: int, send_by: int | None) -> int:
    """Its thread parts follow it again (they could not go out without it)."""
    follow = 0
    children = ledger.children(key)
    while children:
        part = children[0]
        if part.state in (State.FAILED, State.MISSED, State.CANCELLED):
            _again(ledger, part, f"follows {key}, retried by a person", actor, now, send_by)
        elif part.state in (*WAITING, State.PAUSED):
            if send_by is not None and part.due_ms + part.grace_ms < send_by:
                ledger.db.execute(q.SET_GRACE, (send_by - part.due_ms, now, part.id))
        else:
            break
        follow += 1
        children = ledger.children(part.key)
    return follow


def retry_campaign(ledger: Ledger, slug: str, actor: str, now: int) -> int:
    """Undo ``cancel CAMPAIGN``: every delivery cancelled with its campaign waits again (at its
    own time; those whose time has passed may go out at the next run)."""
    _known(ledger, slug)
    done = 0
    with ledger.db.transaction():
        for row in ledger.rows(slug, (State.CANCELLED,)):
            if row.cancelled_by != CancelledBy.CAMPAIGN:
                continue
            passed = row.due_ms + row.grace_ms < now
            send_by = now + row.grace_ms if passed else None
            done += _again(ledger, row, "campaign retried by a person", actor, now, send_by)
    return done


def cancel(ledger: Ledger, key: str, actor: str, now: int) -> DeliveryRow:
    row = _row(ledger, key, actor, now)
    why = "cancelled by a person"
    if not ledger.move(row, State.CANCELLED, why, actor, now, cancelled_by=CancelledBy.PERSON):
        raise TransitionError(f"{key} changed while Clarion was working on it; try again.")
    return ledger.get(key) or row


def cancel_campaign(ledger: Ledger, slug: str, actor: str, now: int) -> int:
    rows = ledger.rows(slug, (*WAITING, State.PAUSED))
    if not rows:
        _known(ledger, slug)
    why = "campaign cancelled by a person"
    by = CancelledBy.CAMPAIGN
    return sum(ledger.move(r, State.CANCELLED, why, actor, now, cancelled_by=by) for r in rows)


def _set_paused(ledger: Ledger, slug: str, paused: bool) -> None:
    if ledger.db.execute(q.SET_CAMPAIGN_PAUSED, (int(paused), slug)) == 0:
        raise TransitionError(f"No campaign {slug!r} in the ledger.")


def pause_campaign(ledger: Ledger, slug: str, actor: str, now: int) -> int:
    with ledger.db.transaction():
        _set_paused(ledger, slug, True)
        rows = ledger.rows(slug, WAITING)
        why = "campaign paused by a person"
        return sum(ledger.move(r, State.PAUSED, why, actor, now) for r in rows)


def resume_campaign(ledger: Ledger, slug: str, actor: str, now: int) -> int:
    """Paused deliveries wait again, except those of a paused account (late ones are missed
    by the next run)."""
    with ledger.db.transaction():
        _set_paused(ledger, slug, False)
        blocked = {(a.platform, a.account) for a in ledger.paused_accounts()}
        rows = [
            r for r in ledger.rows(slug, (State.PAUSED,)) if (r.platform, r.account) not in blocked
        ]
        why = "campaign resumed by a person"
        return sum(ledger.move(r, State.PENDING, why, actor, now) for r in rows)


def resolve(
    ledger: Ledger, key: str, url: str | None, post_id: str | None, actor: str, now: int
) -> DeliveryRow:
    """Settle an unconfirmed delivery: published at ``url``, or (``url`` None) not published,
    so it is sent again at the next run."""
    row = _row(ledger, key, actor, now)
    if row.state != State.UNCONFIRMED:
        raise TransitionError(f"{key} is {row.state.value}, not unconfirmed.")
    if url:
        pid = post_id or url.rstrip("/").rsplit("/", 1)[-1]
        moved = ledger.move(
            row,
            State.PUBLISHED,
            f"a person confirmed it is published at {url}",
            actor,
            now,
            platform_url=url,
            platform_id=pid,
            lease_owner=None,
            lease_until_ms=None,
        )
    else:
        grace = max(row.grace_ms, now + row.grace_ms - row.due_ms)
        moved = ledger.move(
            row,
            State.RETRY,
            "a person confirmed it is not on the platform",
            actor,
            now,
            not_before_ms=None,
            grace_ms=grace,
        )
    if not moved:
        raise TransitionError(f"{key} changed while Clarion was working on it; try again.")
    return ledger.get(key) or row


def unpause_account(ledger: Ledger, platform: str, account: str, actor: str, now: int) -> int:
    """The account passed ``accounts check``: its paused deliveries wait again (those of a
    paused campaign stay paused)."""
    paused_campaigns = {c.slug for c in ledger.campaigns() if c.paused}
    done = 0
    with ledger.db.transaction():
        ledger.db.execute(q.UNPAUSE_ACCOUNT, (platform, account))
        paused = State.PAUSED.value
        for row in ledger.rows_of(q.of_account_in(1), (platform, account, paused)):
            if row.campaign not in paused_campaigns:
                why = "the account passed `clarion accounts check`"
                done += ledger.move(row, State.PENDING, why, actor, now)
    return done


def status(ledger: Ledger, campaign: str | None) -> list[CampaignStatus]:
    out: list[CampaignStatus] = []
    for info in ledger.campaigns():
        if campaign and info.slug != campaign:
            continue
        upcoming = ledger.rows_of(q.NEXT_WAITING, (info.slug,))
        attention = [
            (r, r.last_error or _last_reason(ledger, r.key))
            for r in ledger.rows_of(q.ATTENTION_ROWS, (info.slug,))
        ]
        out.append(
            CampaignStatus(
                info, ledger.counts(info.slug), upcoming[0] if upcoming else None, attention
            )
        )
    return out


def _last_reason(ledger: Ledger, key: str) -> str:
    events = ledger.events(key)
    return events[-1].reason if events else ""
