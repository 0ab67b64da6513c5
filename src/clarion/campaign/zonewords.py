"""What to say of a `timezone:` Clarion cannot use: abbreviations, capitals, cities, typos."""

from __future__ import annotations

import datetime as dt

#: Abbreviations people write for a zone -> (what the abbreviation is, the IANA name to use).
_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "BST": ("the UK's summer time abbreviation", "Europe/London"),
    "UK": ("a country", "Europe/London"),
    "CEST": ("Central European summer time", "Europe/Paris"),
    "EEST": ("Eastern European summer time", "Europe/Athens"),
    "WEST": ("Western European summer time", "Europe/Lisbon"),
    "IST": ("", ""),  # ambiguous: said below
    "CST": ("", ""),
    "EDT": ("US Eastern daylight time", "America/New_York"),
    "CDT": ("US Central daylight time", "America/Chicago"),
    "MDT": ("US Mountain daylight time", "America/Denver"),
    "PST": ("US Pacific standard time", "America/Los_Angeles"),
    "PDT": ("US Pacific daylight time", "America/Los_Angeles"),
    "AKST": ("Alaska standard time", "America/Anchorage"),
    "AKDT": ("Alaska daylight time", "America/Anchorage"),
    "AST": ("Atlantic standard time", "America/Halifax"),
    "ADT": ("Atlantic daylight time", "America/Halifax"),
    "NST": ("Newfoundland standard time", "America/St_Johns"),
    "AEST": ("Australian Eastern standard time", "Australia/Sydney"),
    "AEDT": ("Australian Eastern daylight time", "Australia/Sydney"),
    "ACST": ("Australian Central standard time", "Australia/Adelaide"),
    "AWST": ("Australian Western standard time", "Australia/Perth"),
    "NZST": ("New Zealand standard time", "Pacific/Auckland"),
    "NZDT": ("New Zealand daylight time", "Pacific/Auckland"),
    "JST": ("Japan standard time", "Asia/Tokyo"),
    "KST": ("Korea standard time", "Asia/Seoul"),
    "HKT": ("Hong Kong time", "Asia/Hong_Kong"),
    "SGT": ("Singapore time", "Asia/Singapore"),
    "SAST": ("South Africa standard time", "Africa/Johannesburg"),
    "EAT": ("East Africa time", "Africa/Nairobi"),
    "WAT": ("West Africa time", "Africa/Lagos"),
    "MSK": ("Moscow time", "Europe/Moscow"),
    "PKT": ("Pakistan standard time", "Asia/Karachi"),
    "IDT": ("Israel daylight time", "Asia/Jerusalem"),
    "BRT": ("Brasília time", "America/Sao_Paulo"),
}

_AMBIGUOUS = {
    "IST": "India (Asia/Kolkata), Ireland (Europe/Dublin) and Israel (Asia/Jerusalem)",
    "CST": "US Central time (America/Chicago), China (Asia/Shanghai) and Cuba (America/Havana)",
}


def unknown_zone(name: str) -> str:
    """Why ``name`` is no time zone Clarion can use, and the name to write instead."""
    written = name if len(name) <= 60 else name[:57] + "..."
    key = name.strip().upper()
    if key in _AMBIGUOUS:
        return (
            f"`{written}` is not a time zone name Clarion can use, and it stands for several: "
            f"{_AMBIGUOUS[key]}. Write the one you mean."
        )
    if key in _ABBREVIATIONS:
        what, iana = _ABBREVIATIONS[key]
        switch = (
            "which switches between GMT and BST by itself"
            if iana == "Europe/London"
            else "which follows the clock there all year, summer time included"
        )
        return (
            f"`{written}` is not a time zone name Clarion can use (it is {what}). Use {iana}, "
            f"{switch}."
        )
    import zoneinfo

    known = zoneinfo.available_timezones()
    squashed = "/".join(part.strip().replace(" ", "_") for part in name.split("/")).lower()
    by_lower = {z.lower(): z for z in known}
    if squashed in by_lower:
        return (
            f"`{written}` is not written quite as the time zone's name: write {by_lower[squashed]} "
            "(capitals, `/` and `_` exactly so)."
        )
    cities = {z.rsplit("/", 1)[-1].lower(): z for z in sorted(known) if "/" in z}
    if squashed in cities:
        return (
            f"`{written}` is a place, not a time zone name: write {cities[squashed]} "
            "(the zone's full name)."
        )
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return (
        f"`{written}` is not a time zone Clarion knows. Use a name from the IANA list such as "
        f"Europe/London or America/New_York.{hint}"
    )


#: Zone names that exist but never change their clocks, and the zone people mean by them.
FIXED_BUT_MEANT = {"GMT": ("Europe/London", "BST"), "EST": ("America/New_York", "EDT")}


def fixed_zone(name: str, start: dt.date, end: dt.date) -> str | None:
    """What to say when ``name`` (GMT, EST) is a clock that never changes but the campaign runs
    while the place people mean by it is on summer time; None otherwise."""
    from zoneinfo import ZoneInfo

    meant, summer = FIXED_BUT_MEANT[name]
    there, fixed = ZoneInfo(meant), ZoneInfo(name)
    day = start
    for _ in range(400):  # a campaign spans at most 366 days
        if day > end:
            return None
        noon = dt.datetime.combine(day, dt.time(12))
        if noon.replace(tzinfo=there).utcoffset() != noon.replace(tzinfo=fixed).utcoffset():
            break
        if day == dt.date.max:
            return None
        day += dt.timedelta(days=1)
    else:
        return None
    return (
        f"`{name}` is a clock that never changes, but on {day:%d %B %Y}".replace(" 0", " ")
        + f" {meant} is on {summer}, an hour ahead: a post at 09:00 would go out at 10:00 "
        f"there. Use {meant}, which switches to {summer} and back by itself (or UTC if you "
        "really mean a clock that never changes)."
    )
