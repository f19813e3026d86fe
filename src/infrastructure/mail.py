"""Mail delivery: a folder (and the log) in development, SMTP in production, with retries."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from domain.ports import Mailer, MailMessage, MailTemplates

logger = logging.getLogger("gatehouse.mail")


def to_email(message: MailMessage, sender: str) -> EmailMessage:
    """A MIME message with a plain-text body and an HTML alternative."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


class FolderMailer(Mailer):
    """Development: each message becomes a ``.eml`` file in a folder, and its text goes
    to the log, so whoever runs the app can open the links."""

    def __init__(self, folder: Path, sender: str) -> None:
        self._folder = folder
        self._sender = sender

    async def send(self, message: MailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self._folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        await asyncio.to_thread(path.write_bytes, bytes(to_email(message, self._sender)))
        logger.info(
            "mail to %s: %s (saved to %s)\n%s", message.to, message.subject, path, message.text
        )


class SmtpMailer(Mailer):
    """Production: SMTP through aiosmtplib, with STARTTLS, implicit TLS or neither."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: Literal["starttls", "tls", "none"] = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._security = security
        self._username, self._password = username, password
        self._timeout = timeout

    async def send(self, message: MailMessage) -> None:
        await aiosmtplib.send(
            to_email(message, self._sender),
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
            timeout=self._timeout,
        )


class RetryingMailer(Mailer):
    """Tries ``attempts`` times with a growing pause; a message that still fails is
    logged, never raised: the change that asked for it is already committed."""

    def __init__(self, inner: Mailer, *, attempts: int = 3, pause: float = 2.0) -> None:
        self._inner = inner
        self._attempts = attempts
        self._pause = pause

    async def send(self, message: MailMessage) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                await self._inner.send(message)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                logger.warning(
                    "sending %r to %s failed (attempt %d of %d): %s",
                    message.subject,
                    message.to,
                    attempt,
                    self._attempts,
                    error,
                )
                if attempt < self._attempts:
                    await asyncio.sleep(self._pause * attempt)
            else:
                return
        logger.error("gave up sending %r to %s", message.subject, message.to)


class JinjaMailTemplates(MailTemplates):
    """``NAME.subject.txt``, ``NAME.txt`` and ``NAME.html`` from the mail_templates folder;
    links are made absolute with the site's public address."""

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url.rstrip("/")
        self._env = Environment(
            loader=PackageLoader("infrastructure", "mail_templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, template: str, to: str, **values: object) -> MailMessage:
        context = {"site": self._public_url, **values}
        subject = self._env.get_template(f"{template}.subject.txt").render(context).strip()
        return MailMessage(
            to=to,
            subject=" ".join(subject.split()),
            text=self._env.get_template(f"{template}.txt").render(context),
            html=self._env.get_template(f"{template}.html").render(context),
        )
