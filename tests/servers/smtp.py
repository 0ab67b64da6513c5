"""A real SMTP server on 127.0.0.1 (aiosmtpd's Controller, a free port) that keeps every mail.

It accepts AUTH LOGIN/PLAIN without TLS for one user and password (so apprise's ``mailto://``
URL carries a password the tests then look for in everything Clarion printed, logged or sent).
:meth:`SmtpServer.url` is the apprise URL; :meth:`SmtpServer.wait_for` polls with a deadline.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.net import free_port

USER = "alerts"
PASSWORD = "smtp-pa55word-7Qx9"


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())  # type: ignore[attr-defined]

    @property
    def raw(self) -> str:
        return self.message.as_string()


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.mails.append(
                Mail(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
            )
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.logins: list[str] = []
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USER
            and data.password.decode() == PASSWORD
        )
        self.logins.append(mechanism)
        return AuthResult(success=ok)

    def url(self, to: str = "comms@example.org") -> str:
        """The apprise URL: plain SMTP (no TLS) to this server, logging in as USER."""
        return (
            f"mailto://{USER}:{PASSWORD}@127.0.0.1:{self.port}"
            f"?smtp=127.0.0.1&from=clarion@example.org&to={to}"
        )

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while len(self.mails) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"the SMTP server got {len(self.mails)} of {n} mails")
            time.sleep(0.01)
        with self.lock:
            return list(self.mails)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
