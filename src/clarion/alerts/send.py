"""Sending one message to one target through apprise (imported here, and only when sending).

A send never holds anything up for long: it runs in a thread of its own and is given up after
:data:`TIMEOUT_S` (the thread is left to finish on its own). Whatever happens (apprise says no,
raises, or does not answer) comes back as a :class:`Sent` with the reason, redacted.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from clarion.alerts.targets import Target
from clarion.secrets import redact

__all__ = ["TIMEOUT_S", "Sent", "send"]

log = logging.getLogger("clarion.alerts")

#: Longest wait for one target, in seconds.
TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Sent:
    """What happened to one message at one target."""

    target: str  # the target's label (never its URL)
    ok: bool
    #: Why it did not get through, in plain words (redacted); empty when it did.
    error: str = ""


def _notify(target: Target, title: str, body: str, out: list[Sent]) -> None:
    try:
        import apprise

        box = apprise.Apprise()
        capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
        with capture as captured:
            if not box.add(target.url):
                said = captured.getvalue().strip().splitlines()
                out.append(Sent(target.label, False, _not_a_url(target, box, said)))
                return
            ok = bool(box.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
            said = captured.getvalue().strip().splitlines()
        if ok:
            out.append(Sent(target.label, True))
        else:
            why = said[-1] if said else "the notifier did not accept the message"
            out.append(Sent(target.label, False, redact(why)[:300]))
    except Exception as exc:
        out.append(Sent(target.label, False, redact(f"{type(exc).__name__}: {exc}")[:300]))


def _not_a_url(target: Target, box: Any, said: list[str]) -> str:
    """Why apprise cannot use a target, in plain words: a scheme it has no service for (with
    the one meant, when one is close), or a known service's URL it could not read (with
    apprise's own reason)."""
    import difflib

    scheme = target.url.partition("://")[0].lower()
    known = {
        name.lower()
        for service in box.details().get("schemas", ())
        for key in ("protocols", "secure_protocols")
        for name in service.get(key) or ()
    }
    wiki = "https://github.com/caronc/apprise/wiki"
    if scheme not in known:
        close = difflib.get_close_matches(scheme, sorted(known), n=1, cutoff=0.6)
        meant = f" Did you mean '{close[0]}://'?" if close else ""
        return redact(
            f"target {target.index}: apprise has no service called '{scheme or '(none)'}://'."
            f"{meant} Correct CLARION_NOTIFY (every service's URL is listed at {wiki})"
        )
    why = next(
        (line for line in said if not line.startswith(("Could not load", "Unparseable"))), ""
    )
    return redact(
        f"target {target.index}: apprise could not read this {scheme}:// URL"
        + (f" ({why.rstrip('.')})" if why else "")
        + f"; correct CLARION_NOTIFY (the {scheme}:// URL's form is at {wiki})"
    )[:400]


def send(target: Target, title: str, body: str, timeout_s: float = TIMEOUT_S) -> Sent:
    """Send one message to one target; never raises, never waits more than ``timeout_s``."""
    out: list[Sent] = []
    worker = threading.Thread(
        target=_notify, args=(target, redact(title), redact(body), out), daemon=True
    )
    worker.start()
    worker.join(timeout_s)
    result = out[0] if out else Sent(target.label, False, f"no answer within {timeout_s:g} s")
    if result.ok:
        log.info("alert sent to %s: %s", target.label, redact(title))
    else:
        log.warning("alert not sent to %s: %s", target.label, result.error)
    return result
