"""A send that takes long: the fake platform's adapter (tests/fake_http.py) making
``CLARION_FAKE_UPLOADS`` requests before it posts, as a post with several large images uploads
each one first. Each request answers within the adapter's timeout; the whole send outlasts a
short lease. Loaded by a ``clarion`` subprocess with
``CLARION_ADAPTERS=*=tests.ledger.slow_fake:SlowUploadAdapter``."""

from __future__ import annotations

import os

from clarion.platforms.adapter import Request
from clarion.platforms.outcomes import Outcome, RetryLater, Unknown
from tests.fake_http import HttpFakeAdapter


class SlowUploadAdapter(HttpFakeAdapter):
    def publish(self, request: Request) -> Outcome:
        for _ in range(int(os.environ.get("CLARION_FAKE_UPLOADS", "0"))):
            answer = self._call("GET", "/api/v1/accounts/verify_credentials", None, self._headers())
            if isinstance(answer, RetryLater | Unknown):
                return RetryLater(f"an upload failed: {answer.reason}", before_send=True)
        return super().publish(request)
