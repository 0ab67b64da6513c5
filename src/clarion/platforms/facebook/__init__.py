"""Facebook Pages: limits and counting (:mod:`.platform`) and the Graph API adapter
(:mod:`.adapter`, plain HTTP over ``requests``, imported only when a request is made).

``from clarion.platforms.facebook import Facebook`` (the platform) and ``FacebookAdapter`` (for
``CLARION_ADAPTERS=facebook=clarion.platforms.facebook:FacebookAdapter``) both work from here.
"""

from __future__ import annotations

from clarion.platforms.facebook.adapter import GRAPH_VERSION, FacebookAdapter
from clarion.platforms.facebook.platform import Facebook

__all__ = ["GRAPH_VERSION", "Facebook", "FacebookAdapter"]
