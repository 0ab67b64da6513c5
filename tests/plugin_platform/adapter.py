"""The pigeon platform's adapter: an in-memory loft that keeps every message it is sent."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from clarion.delivery import Delivery
from clarion.platforms.adapter import AccountStatus, Adapter, Request
from clarion.platforms.outcomes import Absent, Outcome, Published, ReconcileOutcome
from tests.plugin_platform import Pigeon


class PigeonAdapter(Adapter):
    platform = Pigeon
    #: Every message received, in order, across adapters (the tests clear it).
    loft: ClassVar[list[dict[str, Any]]] = []
    _ids: ClassVar[itertools.count[int]] = itertools.count(1)

    def payload(self, d: Delivery, reply_to_id: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": d.text, "ring": d.idempotency_key}
        if d.thread_index:
            payload["after"] = reply_to_id or f"<id of {d.reply_to}>"
        return payload

    def publish(self, request: Request) -> Outcome:
        post_id = str(next(self._ids))
        self.loft.append({"id": post_id, "account": self.account, **request.payload})
        return Published(post_id, f"https://loft.example/{self.account}/{post_id}")

    def reconcile(self, request: Request) -> ReconcileOutcome:
        for message in self.loft:
            if message["ring"] == request.payload["ring"]:
                return Published(
                    message["id"], f"https://loft.example/{self.account}/{message['id']}"
                )
        return Absent()

    def check(self) -> AccountStatus:
        return AccountStatus(self.platform.name, self.account, True, posts_as="the loft")
