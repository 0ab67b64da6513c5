"""Getting recorded alerts to every target, each once.

For each target, the alerts it has not had (recorded in the last :data:`KEEP_MS`) are taken
(:func:`clarion.ledger.notices.take`: no other worker sends them meanwhile) and sent together in
one message; a digest goes on its own. A send that fails is tried again by a later run, no sooner
than :data:`RETRY_MS` after, until the alert is a day old; ``clarion status`` shows it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clarion.alerts import messages
from clarion.alerts.send import TIMEOUT_S, Sent
from clarion.alerts.targets import Target
from clarion.ledger import notices
from clarion.ledger import queries_alerts as qa
from clarion.ledger.notices import AlertRecord
from clarion.ledger.store import Ledger

__all__ = ["KEEP_MS", "RETRY_MS", "Delivered", "deliver"]

#: How long an alert is still worth sending.
KEEP_MS = 24 * 3600 * 1000
#: The wait before a failed send is tried again (at the first run after it).
RETRY_MS = 5 * 60 * 1000
#: A send taken by a run that then died is free again after this.
LEASE_MS = int(TIMEOUT_S * 1000) * 4

Sender = Callable[[Target, str, str], Sent]


@dataclass(frozen=True, slots=True)
class Delivered:
    """One message to one target: which alerts it carried and whether it got through."""

    target: str  # label
    alert_ids: tuple[int, ...]
    kinds: tuple[str, ...]
    ok: bool
    error: str = ""


def _groups(alerts: Sequence[AlertRecord]) -> list[list[AlertRecord]]:
    digests = [[a] for a in alerts if a.kind == qa.ALERT_DIGEST]
    others = [a for a in alerts if a.kind != qa.ALERT_DIGEST]
    return ([others] if others else []) + digests


def deliver(
    ledger: Ledger, targets: Sequence[Target], now_ms: int, sender: Sender | None = None
) -> list[Delivered]:
    """Send what each target has not had; ``now_ms`` is the real clock."""
    if sender is None:
        from clarion.alerts.send import send

        sender = send
    done: list[Delivered] = []
    for target in targets:
        waiting = notices.alerts_for(ledger, target.fingerprint, now_ms - KEEP_MS, now_ms)
        taken = [
            a
            for a in waiting
            if notices.take(ledger, a.id, target.fingerprint, target.label, now_ms, LEASE_MS)
        ]
        for group in _groups(taken):
            message = messages.batch([messages.Message(a.title, a.body) for a in group])
            result = sender(target, message.title, message.body)
            ids = [a.id for a in group]
            if result.ok:
                notices.mark_sent(ledger, ids, target.fingerprint, now_ms)
            else:
                oldest = min(a.created_ms for a in group)
                again = now_ms + RETRY_MS
                next_ms = again if again < oldest + KEEP_MS else None
                notices.mark_not_sent(
                    ledger, ids, target.fingerprint, result.error, next_ms, now_ms
                )
            done.append(
                Delivered(
                    target.label,
                    tuple(ids),
                    tuple(a.kind for a in group),
                    result.ok,
                    result.error,
                )
            )
    return done
