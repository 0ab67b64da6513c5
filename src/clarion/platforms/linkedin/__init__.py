"""LinkedIn Pages: limits and counting (:mod:`.rules`), the little text format (:mod:`.little`)
and the Posts API adapter (:mod:`.adapter`, plain HTTP over ``requests``, imported only when a
request is made).

``from clarion.platforms.linkedin import LinkedIn`` (the platform) and ``LinkedInAdapter`` both
work from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.linkedin.rules import LinkedIn

if TYPE_CHECKING:
    from clarion.platforms.linkedin.adapter import LinkedInAdapter
    from clarion.platforms.linkedin.api import LINKEDIN_VERSION

#: The adapter is loaded on first use only: validation and previews need just the rules above.
__getattr__ = _lazy.attributes(
    __name__,
    {
        "LINKEDIN_VERSION": "clarion.platforms.linkedin.api",
        "LinkedInAdapter": "clarion.platforms.linkedin.adapter",
    },
)
__all__ = ["LINKEDIN_VERSION", "LinkedIn", "LinkedInAdapter"]
