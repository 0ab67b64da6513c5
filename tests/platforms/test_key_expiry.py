"""A key's expiry in words and the warning before it (:mod:`clarion.platforms.expiry`)."""

from __future__ import annotations

import datetime as dt

from clarion.platforms import get
from clarion.platforms.adapter import AccountStatus
from clarion.platforms.expiry import describe, warning

NOW = dt.datetime(2030, 6, 25, 10, 0, tzinfo=dt.UTC)


def status(platform: str, at: dt.datetime | None, **kw: object) -> AccountStatus:
    return AccountStatus(platform, "press", True, expires_at=at, **kw)  # type: ignore[arg-type]


def test_describe_says_when_never_or_not_reported() -> None:
    assert (
        describe(status("x", NOW + dt.timedelta(days=3)), NOW) == "2030-06-28 10:00 UTC (in 3 days)"
    )
    assert describe(status("x", NOW + dt.timedelta(hours=2)), NOW).endswith("(in 2 hours)")
    assert describe(status("facebook", None, expires="never"), NOW) == "never"
    assert describe(status("mastodon", None), NOW) == "not reported"
    renewed = status("x", None, details={"key_lifetime": "renewed by Clarion"})
    assert describe(renewed, NOW) == "renewed by Clarion"


def test_a_week_ahead_and_no_sooner_unless_a_post_comes_after_it() -> None:
    assert warning(status("x", NOW + dt.timedelta(days=8)), get("x"), NOW) is None
    assert warning(status("x", None), get("x"), NOW) is None
    soon = warning(status("x", NOW + dt.timedelta(days=6, hours=23)), get("x"), NOW)
    assert soon is not None and soon.startswith(
        "warning: the X key of account 'press' expires on Tue 2 July 2030 at 09:00 UTC, in 7 days."
    )
    assert "offline.access" in soon and "`clarion accounts login x --account press`" in soon
    later = warning(
        status("facebook", NOW + dt.timedelta(days=20)),
        get("facebook"),
        NOW,
        last_due=NOW + dt.timedelta(days=21),
    )
    assert later is not None and "before its last post still to send (Tue 16 July 2030" in later
    gone = warning(status("mastodon", NOW - dt.timedelta(hours=1)), get("mastodon"), NOW)
    assert gone is not None and "expired on Tue 25 June 2030 at 09:00 UTC" in gone
    # a platform without steps of its own gets the general advice
    assert "Make a new key on Mastodon and save it with `clarion accounts login mastodon" in gone
