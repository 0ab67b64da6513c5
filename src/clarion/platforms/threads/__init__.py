"""Threads (Meta): limits and counting (:mod:`.rules`) and the Threads API adapter
(:mod:`.adapter`, plain HTTP over ``requests`` in :mod:`.api`, imported only when a request is
made).

``from clarion.platforms.threads import Threads`` (the platform) and ``ThreadsAdapter`` (for
``CLARION_ADAPTERS=threads=clarion.platforms.threads:ThreadsAdapter``) both work from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.threads.rules import Threads

if TYPE_CHECKING:
    from clarion.platforms.threads.adapter import ThreadsAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules.
__getattr__ = _lazy.attributes(__name__, {"ThreadsAdapter": "clarion.platforms.threads.adapter"})
__all__ = ["Threads", "ThreadsAdapter"]
