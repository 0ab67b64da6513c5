"""What happens next to a delivery, decided from what happened: pure, no clock, no ledger.

The engine's loop asks :func:`decide` after every answer from a platform (and :func:`missed` for
deliveries later than their grace window) and records what it says. Randomness (the jitter of
the backoff) is passed in, so every decision can be tested on its own.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from clarion.durations import human, show
from clarion.ledger.states import State
from clarion.platforms.outcomes import Absent, Failed, Outcome, Published, RetryLater, Unknown

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Backoff:
    max_attempts: int = 5
    base_ms: int = 30_000
    cap_ms: int = 10 * MINUTE_MS


@dataclass(frozen=True, slots=True)
class Decision:
    """The next state, why (in plain words), and what to record with it."""

    state: State
    why: str
    #: The error to keep on the row (None clears it).
    last_error: str | None = None
    #: Not before this instant (ms), for a retry.
    not_before_ms: int | None = None
    #: The platform's id and link, when published.
    post_id: str | None = None
    url: str | None = None
    #: Look the post up to learn its id and link (published, but the answer did not say where).
    look_up: bool = False
    #: The credentials were refused: hold the account's other deliveries.
    pause_account: bool = False


def _identity(text: str) -> str:
    return text


def decide(
    outcome: Outcome | Absent,
    *,
    attempts: int,
    now_ms: int,
    deadline_ms: int,
    catch_up: bool = False,
    had_unknown: bool = False,
    backoff: Backoff = Backoff(),
    jitter: Callable[[float, float], float] = random.uniform,
    clean: Callable[[str], str] = _identity,
) -> Decision:
    """The next state after ``outcome``. ``attempts``: sends so far, this one included;
    ``deadline_ms``: the end of its grace window; ``had_unknown``: an earlier send of it had an
    unknown outcome (so a "duplicate" answer means it is probably published); ``clean``: hides
    secrets in the platform's words."""
    if isinstance(outcome, Published):
        why = "published" + (
            " (the platform refused a duplicate after an unknown outcome: "
            "taken as already published)"
            if outcome.probable
            else ""
        )
        return Decision(State.PUBLISHED, why, None, post_id=outcome.post_id, url=outcome.url)
    if isinstance(outcome, Failed):
        reason = clean(outcome.reason)
        if outcome.duplicate and had_unknown:
            return Decision(
                State.PUBLISHED,
                "the platform says this is a duplicate of a "
                "post after an unknown outcome: probably published",
                reason,
                look_up=True,
            )
        return Decision(State.FAILED, reason, reason, pause_account=outcome.auth)
    if isinstance(outcome, Unknown):
        reason = clean(outcome.reason)
        return Decision(State.UNCONFIRMED, f"outcome unknown: {reason}", reason)
    reason = clean(outcome.reason)
    not_before = outcome.not_before if isinstance(outcome, RetryLater) else None
    decision = retry(reason, attempts, now_ms, deadline_ms, not_before, catch_up, backoff, jitter)
    sent = isinstance(outcome, RetryLater) and not outcome.before_send
    if decision.state == State.FAILED and sent:
        # it may have reached the platform: giving up on it is an unknown outcome, never "failed"
        return Decision(State.UNCONFIRMED, f"outcome unknown: {decision.why}", reason)
    return decision


def retry(
    reason: str,
    attempts: int,
    now_ms: int,
    deadline_ms: int,
    not_before: dt.datetime | None = None,
    catch_up: bool = False,
    backoff: Backoff = Backoff(),
    jitter: Callable[[float, float], float] = random.uniform,
) -> Decision:
    """Try again later (full jitter backoff, never before the platform's own reset time), or
    give up: after ``max_attempts`` sends, or when the next try would be past the grace window
    (unless catching up)."""
    cap = min(backoff.cap_ms, backoff.base_ms * 2 ** max(0, attempts - 1))
    wait = int(jitter(0, cap))
    when = max(now_ms + wait, int(not_before.timestamp() * 1000) if not_before else 0)
    if attempts >= backoff.max_attempts:
        return Decision(State.FAILED, f"gave up after {attempts} attempts: {reason}", reason)
    if when > deadline_ms and not catch_up:
        return Decision(
            State.FAILED, f"the next try would be past the grace window: {reason}", reason
        )
    return Decision(
        State.RETRY, f"will retry in {human(when - now_ms)}: {reason}", reason, not_before_ms=when
    )


def held(platform: str, account: str, until_ms: int, reason: str) -> str:
    """Why an account's deliveries wait: the platform gave it a time to wait until."""
    until = dt.datetime.fromtimestamp(until_ms / 1000, dt.UTC)
    return (
        f"held until {until:%Y-%m-%d %H:%M:%S} UTC: {platform} asked account {account!r} to wait "
        f"({reason}); not counted as an attempt"
    )


def grace_words(grace_ms: int) -> str:
    """A grace window as the messages say it: "15 min", or "90s" when not whole minutes."""
    return f"{grace_ms // MINUTE_MS} min" if grace_ms % MINUTE_MS == 0 else show(grace_ms)


def missed(due_ms: int, now_ms: int, grace_ms: int, last_error: str | None = None) -> str:
    """Why a delivery later than its grace window is missed, in human durations."""
    due = dt.datetime.fromtimestamp(due_ms / 1000, dt.UTC)
    why = (
        f"due at {due:%Y-%m-%d %H:%M} UTC and still not sent {human(now_ms - due_ms)} later, "
        f"past the {grace_words(grace_ms)} grace window "
        "(use `run-due --catch-up` to send late posts anyway)"
    )
    return why + (f"; last error: {last_error}" if last_error else "")


def late(due_ms: int, now_ms: int) -> str:
    """How late a delivery is, as people say it: "2 days late"; "on time" when it is not."""
    return f"{human(now_ms - due_ms)} late" if now_ms > due_ms else "on time"


def send_lease_ms(lease_ms: int, timeout_s: float) -> int:
    """A send's lease: never shorter than the adapter's own timeout plus a margin (as long as
    the timeout, at most 10 s), so no other run looks a send up as lost while its request can
    still be in flight."""
    timeout_ms = int(timeout_s * 1000)
    return max(lease_ms, timeout_ms + min(10_000, timeout_ms))
