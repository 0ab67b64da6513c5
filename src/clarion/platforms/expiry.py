"""When each account's key stops working, in words, and the warning to give before it does.

Pure: an :class:`~clarion.platforms.adapter.AccountStatus` (with ``expires_at``, where the
platform says), the platform's descriptor (how to renew its keys) and instants in; words out.
``accounts check`` shows them; nothing here names a platform.
"""

from __future__ import annotations

import datetime as dt

from clarion.platforms.adapter import AccountStatus
from clarion.platforms.base import Platform

#: A key that expires sooner than this is warned about.
WARN_BEFORE = dt.timedelta(days=7)


def describe(status: AccountStatus, now: dt.datetime) -> str:
    """ "2026-12-06 10:00 UTC (in 3 days)", "never", or "not reported"."""
    at = status.expires_at
    if at is None:
        if status.expires == "never":
            return "never"
        # a key Clarion renews itself says so in its details (an X OAuth 2.0 refresh token)
        return status.expires or status.details.get("key_lifetime") or "not reported"
    when = at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when} ({_from_now(at - now)})"


def warning(
    status: AccountStatus,
    platform: type[Platform] | None,
    now: dt.datetime,
    last_due: dt.datetime | None = None,
) -> str | None:
    """The warning for a key that expires within :data:`WARN_BEFORE`, or before ``last_due``
    (the account's last delivery still to send); None when neither is so."""
    at = status.expires_at
    if at is None:
        return None
    soon = at - now <= WARN_BEFORE
    early = last_due is not None and at <= last_due
    if not (soon or early):
        return None
    label = platform.label if platform is not None else status.platform
    when = at.astimezone(dt.UTC)
    if at <= now:
        lead = f"expired on {_day(when)} at {when:%H:%M} UTC"
    else:
        lead = f"expires on {_day(when)} at {when:%H:%M} UTC, {_from_now(at - now)}"
    if early and last_due is not None:
        due = last_due.astimezone(dt.UTC)
        lead += f", before its last post still to send ({_day(due)} at {due:%H:%M} UTC)"
    steps = platform.renew_steps if platform is not None else ""
    if steps:
        fix = steps.replace("{account}", status.account)
    else:
        fix = (
            f"Make a new key on {label} and save it with `clarion accounts login "
            f"{status.platform} --account {status.account}`, then run `clarion accounts check`"
        )
    return f"warning: the {label} key of account {status.account!r} {lead}. {fix}."


def _from_now(left: dt.timedelta) -> str:
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return "already expired"
    if seconds < 3600:
        return f"in {max(1, seconds // 60)} minutes"
    if seconds < 2 * 86400:
        return f"in {round(seconds / 3600)} hours"
    return f"in {round(seconds / 86400)} days"


def _day(at: dt.datetime) -> str:
    return f"{at:%a} {at.day} {at:%B %Y}"
