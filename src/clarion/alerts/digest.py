"""The daily digest, as typed data: what went out since the last digest (with links), what goes
out for the rest of today, and what needs a person.

"Since the last digest" is the instant the last digest was *sent* (recorded in the ledger as an
alert of kind ``digest``); before the first one, the last 24 hours. "Today" ends at midnight in
the digest's time zone: the zone of ``CLARION_DIGEST_AT`` when it names one, else the first
scheduled campaign's, else UTC. Every post is shown at its own local time with its offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clarion.alerts import messages
from clarion.ledger import notices
from clarion.ledger import queries_alerts as qa
from clarion.ledger.rows import DeliveryRow, from_ms, ms
from clarion.ledger.states import State
from clarion.ledger.store import Ledger

__all__ = ["VERSION", "Digest", "DigestAccount", "DigestPost", "build", "tzinfo_of", "zone_of"]

#: The version of the JSON form (``clarion digest --format json``).
VERSION = 1
_FIX = {
    State.FAILED: "clarion retry {key}",
    State.UNCONFIRMED: "clarion resolve {key} --published URL (or --not-published)",
    State.MISSED: "clarion retry {key}",
    State.PAUSED: "clarion resume {campaign} (or fix the account: clarion accounts check)",
}


@dataclass(frozen=True, slots=True)
class DigestPost:
    key: str
    campaign: str
    campaign_name: str
    platform: str
    account: str
    #: Its time, local with offset (``2022-07-04 09:00 (+01:00)``).
    at: str
    at_utc: dt.datetime
    first_words: str
    state: State
    url: str | None = None
    #: Why it needs a person (its last error), and the command that fixes it.
    reason: str | None = None
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "campaign": self.campaign,
            "campaign_name": self.campaign_name,
            "platform": self.platform,
            "account": self.account,
            "at": self.at,
            "at_utc": self.at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "first_words": self.first_words,
            "state": self.state.value,
            "url": self.url,
            "reason": self.reason,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class DigestAccount:
    platform: str
    account: str
    reason: str
    fix: str


@dataclass(frozen=True, slots=True)
class Digest:
    generated: dt.datetime
    zone: str
    #: The last digest sent (None: none yet; the digest then covers the last 24 hours).
    last_digest: dt.datetime | None
    since: dt.datetime
    until_end_of_day: dt.datetime
    went_out: list[DigestPost] = field(default_factory=list)
    today: list[DigestPost] = field(default_factory=list)
    needs_person: list[DigestPost] = field(default_factory=list)
    paused_accounts: list[DigestAccount] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "version": VERSION,
            "generated": iso(self.generated),
            "zone": self.zone,
            "last_digest": iso(self.last_digest),
            "since": iso(self.since),
            "today_until": iso(self.until_end_of_day),
            "went_out": [p.as_json() for p in self.went_out],
            "today": [p.as_json() for p in self.today],
            "needs_person": [p.as_json() for p in self.needs_person],
            "paused_accounts": [
                {"platform": a.platform, "account": a.account, "reason": a.reason, "fix": a.fix}
                for a in self.paused_accounts
            ],
        }

    @property
    def title(self) -> str:
        day = self.generated.astimezone(tzinfo_of(self.zone)).strftime("%a %d %b %Y")
        need = len(self.needs_person) + len(self.paused_accounts)
        tail = f", {need} need a person" if need else ""
        return (
            f"Clarion digest {day}: {len(self.went_out)} went out, "
            f"{len(self.today)} to go today{tail}"
        )

    def text(self) -> str:
        since = messages.local(self.since, self.zone)
        lines = [self.title, "", f"Went out since {since}:"]
        lines += [
            f"  {p.at}  {messages.platform_label(p.platform)}  {p.campaign_name}: "
            f'"{p.first_words}"  {p.url or ""}'.rstrip()
            for p in self.went_out
        ] or ["  nothing"]
        lines += ["", "Goes out today:"]
        lines += [
            f"  {p.at}  {messages.platform_label(p.platform)}  {p.campaign_name}: "
            f'"{p.first_words}"' + ("  [paused]" if p.state == State.PAUSED else "")
            for p in self.today
        ] or ["  nothing"]
        lines += ["", "Needs a person:"]
        for p in self.needs_person:
            lines.append(
                f"  {p.state.value:11s} {p.at}  {messages.platform_label(p.platform)}  "
                f'{p.campaign_name}: "{p.first_words}" ({p.key})'
            )
            lines.append(f"              {p.reason or ''} -> {p.fix}")
        for a in self.paused_accounts:
            lines.append(f"  paused      {a.platform} account {a.account}: {a.reason} -> {a.fix}")
        if not self.needs_person and not self.paused_accounts:
            lines.append("  nothing")
        return "\n".join(lines)


def tzinfo_of(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return dt.UTC


def zone_of(ledger: Ledger, configured: str | None) -> str:
    """The digest's zone: the one configured, else the first campaign's, else UTC."""
    if configured:
        return configured
    campaigns = ledger.campaigns()
    return campaigns[0].timezone if campaigns else "UTC"


def _post(row: DeliveryRow, names: dict[str, str], reason: str | None = None) -> DigestPost:
    fix = _FIX.get(row.state)
    return DigestPost(
        key=row.key,
        campaign=row.campaign,
        campaign_name=names.get(row.campaign, row.campaign),
        platform=row.platform,
        account=row.account,
        at=messages.local(row.due, row.delivery.zone),
        at_utc=row.due,
        first_words=messages.first_words(row.text),
        state=row.state,
        url=row.platform_url,
        reason=reason,
        fix=None if fix is None else fix.format(key=row.key, campaign=row.campaign),
    )


def build(ledger: Ledger, now: dt.datetime, zone: str) -> Digest:
    """The digest as of ``now``."""
    now_ms = ms(now)
    last = notices.last_digest_ms(ledger)
    since_ms = last if last is not None else now_ms - 24 * 3600 * 1000
    local_now = now.astimezone(tzinfo_of(zone))
    midnight = (local_now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight.astimezone(dt.UTC)
    names = {c.slug: c.name for c in ledger.campaigns()}
    went = ledger.rows_of(qa.PUBLISHED_BETWEEN, (since_ms, now_ms))
    today = ledger.rows_of(qa.DUE_BETWEEN, (now_ms, ms(end)))
    attention = ledger.rows_of(qa.ATTENTION_ALL)
    needs: list[DigestPost] = []
    for row in attention:
        events = ledger.events(row.key)
        needs.append(_post(row, names, row.last_error or (events[-1].reason if events else None)))
    accounts = [
        DigestAccount(
            a.platform,
            a.account,
            a.reason,
            f"{messages.login_command(a.platform, a.account)}, then "
            f"clarion accounts check --platform {a.platform}",
        )
        for a in ledger.paused_accounts()
    ]
    return Digest(
        generated=now,
        zone=zone,
        last_digest=None if last is None else from_ms(last),
        since=from_ms(since_ms),
        until_end_of_day=end,
        went_out=[_post(r, names) for r in went],
        today=[_post(r, names) for r in today],
        needs_person=needs,
        paused_accounts=accounts,
    )
