"""The words of every alert: what happened to which post, what it means, the command that fixes it.

Pure functions of what the ledger holds (no SQL, no sending). Times are the post's local time
with its offset (``2022-07-04 09:00 (+01:00)``); a post is named by its campaign, platform,
account, key and the first words of its text. Nothing here ever holds a secret: the texts are
redacted again when sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from clarion.ledger.rows import DeliveryRow
from clarion.ledger.states import State

__all__ = [
    "Message",
    "batch",
    "cannot_post",
    "delivery",
    "expiring",
    "first_words",
    "local",
    "login_command",
    "paused_account",
    "platform_label",
]


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str


def local(instant: dt.datetime, zone: str) -> str:
    """An instant as local time with its offset: ``2022-07-04 09:00 (+01:00)``."""
    from zoneinfo import ZoneInfo

    try:
        t = instant.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        t = instant.astimezone(dt.UTC)
    off = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} ({off[:3]}:{off[3:]})"


def first_words(text: str, limit: int = 60) -> str:
    """The start of a post's text on one line, cut at a word: ``"Launch day! Join us…"``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" ,.;:") + "…"


def platform_label(name: str) -> str:
    from clarion import platforms

    try:
        return platforms.get(name).label
    except Exception:  # a platform no longer installed: its name will do
        return name


def _account_option(account: str) -> str:
    return "" if account == "default" else f" --account {account}"


def login_command(platform: str, account: str) -> str:
    return f"clarion accounts login {platform}{_account_option(account)}"


def _post_lines(row: DeliveryRow, campaign_name: str) -> list[str]:
    return [
        f"Campaign: {campaign_name} ({row.campaign})",
        f"Platform: {platform_label(row.platform)}, account {row.account}",
        f"Due: {local(row.due, row.delivery.zone)}",
        f'Post: "{first_words(row.text)}" ({row.key})',
    ]


_MEANS = {
    State.FAILED: "The platform refused this post (or every try failed); Clarion will not "
    "try it again by itself.",
    State.UNCONFIRMED: "Clarion sent this post but never heard back, so it may or may not be on "
    "the platform, and 10 minutes of asking the platform have not settled it. Clarion never "
    "sends it again blindly: a person has to look.",
    State.MISSED: "Its time passed (by more than its grace window) before a run could send it, "
    "so Clarion did not post it late. Were cron or the daemon stopped, or the machine off?",
}
_WHAT = {
    State.FAILED: "failed",
    State.UNCONFIRMED: "is unconfirmed",
    State.MISSED: "was missed",
}


def delivery(
    row: DeliveryRow,
    campaign_name: str,
    reason: str,
    *,
    account_paused: bool = False,
    campaign_file: str | None = None,
) -> Message:
    """The alert for a delivery that reached failed, unconfirmed or missed."""
    key = row.key
    if row.state == State.FAILED and account_paused:
        fix = [
            f"The account's key was refused: give it a working one with "
            f"`{login_command(row.platform, row.account)}`,",
            f"then `clarion accounts check --platform {row.platform}` (it lets the account's "
            f"held posts go again) and `clarion retry {key}`.",
        ]
    elif row.state == State.FAILED:
        where = f"`clarion schedule {campaign_file}`" if campaign_file else "`clarion schedule`"
        fix = [
            f"Correct the post in the campaign file and run {where}, or send it again as it "
            f"is: `clarion retry {key}`.",
        ]
    elif row.state == State.UNCONFIRMED:
        fix = [
            f"Look at the {platform_label(row.platform)} account. If the post is there: "
            f"`clarion resolve {key} --published URL`;",
            f"if it is not: `clarion resolve {key} --not-published` (sent at the next run).",
        ]
    else:
        fix = [
            f"`clarion retry {key}` sends it at the next run. `clarion status` shows what else "
            "is late.",
        ]
    what = _WHAT.get(row.state, row.state.value)
    title = f"Clarion: a post {what} ({campaign_name}, {platform_label(row.platform)})"
    lines = [
        f"A post {what}.",
        *_post_lines(row, campaign_name),
        f"What happened: {reason or row.state.value}",
        f"What it means: {_MEANS.get(row.state, '')}",
        "To fix it: " + " ".join(fix),
    ]
    return Message(title, "\n".join(lines))


def awaiting_signoff(
    row: DeliveryRow, campaign_name: str, cause: str, campaign_file: str | None
) -> Message:
    """A due post of a campaign that requires approval, held because what will be sent is not
    what was approved."""
    title = f"Clarion: a {platform_label(row.platform)} post waits for sign-off ({cause})"
    file = campaign_file or "CAMPAIGN.yaml"
    lines = [
        *_post_lines(row, campaign_name),
        f"What happened: its time has come, but it was not sent: {cause}.",
        "What it means: the campaign says `approval: required`, so only approved content goes "
        "out; if nobody approves it before its grace window ends it is missed.",
        f"To fix it: `clarion diff {file}` shows what changed since the sign-off, then "
        f"`clarion approve {file} --by NAME` approves it and the next run sends it.",
    ]
    return Message(title, "\n".join(lines))


def paused_account(platform: str, account: str, reason: str, held: int) -> Message:
    label = platform_label(platform)
    title = f"Clarion: {label} account {account} is paused"
    lines = [
        f"Clarion stopped posting from the {label} account {account}: the platform refused its "
        "key.",
        f"What happened: {reason}",
        f"What it means: {held} post(s) of this account wait, held, and will not go out until "
        "the account works again; the longer it waits, the more of them are missed.",
        f"To fix it: `{login_command(platform, account)}` with a working key, then "
        f"`clarion accounts check --platform {platform}` (it un-pauses the account).",
    ]
    return Message(title, "\n".join(lines))


def expiring(platform: str, account: str, expires: dt.datetime, zone: str) -> Message:
    label = platform_label(platform)
    title = f"Clarion: the key of {label} account {account} expires {local(expires, zone)}"
    lines = [
        f"The key Clarion posts with on the {label} account {account} stops working at "
        f"{local(expires, zone)}.",
        "What it means: posts due after then will fail and the account will be paused.",
        f"To fix it: renew the key with `{login_command(platform, account)}`; "
        f"`clarion accounts check --platform {platform}` shows the new expiry.",
    ]
    return Message(title, "\n".join(lines))


def cannot_post(
    platform: str, account: str, problem: str, campaign_name: str, first: dt.datetime, zone: str
) -> Message:
    label = platform_label(platform)
    title = f"Clarion: {label} account {account} cannot post ({campaign_name} starts soon)"
    lines = [
        f"The {label} account {account} cannot post, and its first post of {campaign_name} is "
        f"due {local(first, zone)}.",
        f"What happened: {problem}",
        "What it means: unless it is fixed before then, its posts will fail or be held.",
        f"To fix it: `clarion accounts check --platform {platform}` says why; "
        f"`{login_command(platform, account)}` gives it a working key.",
    ]
    return Message(title, "\n".join(lines))


def batch(messages: Sequence[Message], shown: int = 20) -> Message:
    """Several alerts of one run in one message (one mail, not fifty): each in full up to
    ``shown``, then how many more (``clarion status`` lists them all)."""
    if len(messages) == 1:
        return messages[0]
    title = f"Clarion: {len(messages)} things need attention"
    parts = [f"{m.title.removeprefix('Clarion: ')}\n{m.body}" for m in messages[:shown]]
    if len(messages) > shown:
        parts.append(f"…and {len(messages) - shown} more: run `clarion status` to see them all.")
    return Message(title, "\n\n".join(parts))
