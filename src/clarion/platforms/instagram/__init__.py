"""Instagram professional accounts: caption and image rules (:mod:`.rules`) and the content
publishing adapter (:mod:`.adapter`, plain HTTP, imported only when a request is made).

``from clarion.platforms.instagram import Instagram`` (the platform) and ``InstagramAdapter`` (for
``CLARION_ADAPTERS=instagram=clarion.platforms.instagram:InstagramAdapter``) both work from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.platforms import _lazy
from clarion.platforms.instagram.rules import Instagram

if TYPE_CHECKING:
    from clarion.platforms.instagram.adapter import InstagramAdapter

#: The adapter is loaded on first use only: validation and previews need just the rules above.
__getattr__ = _lazy.attributes(
    __name__, {"InstagramAdapter": "clarion.platforms.instagram.adapter"}
)
__all__ = ["Instagram", "InstagramAdapter"]
