"""Facebook Pages: limits and counting (:mod:`.platform`) and the Graph API adapter
(:mod:`.adapter`, plain HTTP over ``requests``, imported only when a request is made).

``from clarion.platforms.facebook import Facebook`` (the platform) and ``FacebookAdapter`` (for
``CLARION_ADAPTERS=facebook=clarion.platforms.facebook:FacebookAdapter``) both work from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.facebook.platform import Facebook

if TYPE_CHECKING:
    from clarion.platforms.facebook.adapter import GRAPH_VERSION, FacebookAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules above.
__getattr__ = _lazy.attributes(
    __name__,
    {
        "GRAPH_VERSION": "clarion.platforms.facebook.adapter",
        "FacebookAdapter": "clarion.platforms.facebook.adapter",
    },
)
__all__ = ["GRAPH_VERSION", "Facebook", "FacebookAdapter"]
