"""A real SMTP server for the tests: aiosmtpd on a free port of 127.0.0.1, keeping
what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infrastructure.mail import SmtpMailer

HOST = "127.0.0.1"
SENDER = "Gatehouse <noreply@example.com>"


class Inbox:
    """An aiosmtpd handler keeping every envelope the server accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.over_tls: list[bool] = []

    async def handle_DATA(  # noqa: N802 (the name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        self.over_tls.append(session.ssl is not None)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox = field(default_factory=Inbox)

    def mailer(self, security: Literal["starttls", "tls", "none"] = "none") -> SmtpMailer:
        return SmtpMailer(host=HOST, port=self.port, sender=SENDER, security=security, timeout=5)

    def only_message(self) -> tuple[Envelope, EmailMessage]:
        (envelope,) = self.inbox.envelopes
        raw = cast(bytes, envelope.content)
        return envelope, BytesParser(policy=policy.default).parsebytes(raw)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(**options: Any) -> Iterator[SmtpServer]:
    """An SMTP server on a free port of 127.0.0.1, in aiosmtpd's own thread."""
    server = SmtpServer(free_port())
    controller = Controller(server.inbox, hostname=HOST, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
