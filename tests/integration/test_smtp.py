"""Mail over a real SMTP server (aiosmtpd on 127.0.0.1): what SmtpMailer delivers, over
plain SMTP and STARTTLS, and how RetryingMailer copes with failures."""

from __future__ import annotations

import logging
import re
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from domain.ports import Mailer, MailMessage
from domain.users import User
from domain.values import EmailAddress
from infrastructure.mail import JinjaMailTemplates, RetryingMailer, SmtpMailer
from infrastructure.tokens import SignedResetTokens
from tests.integration.builders import a_user
from tests.integration.smtp_server import HOST, SENDER, SmtpServer, free_port, running

SITE = "http://gatehouse.test"
RESET_LINK = re.compile(r"http://gatehouse\.test/reset-password/([\w.-]+)")
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by the openssl tool."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    subject = ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command.split(), *subject, *files], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A server that refuses mail until the client has switched to TLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    with running(tls_context=context, require_starttls=True) as server:
        yield server


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text/plain and text/html alternatives, decoded."""
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def reset_mail(user: User, tokens: SignedResetTokens) -> MailMessage:
    return JinjaMailTemplates(SITE).render(
        "password_reset",
        str(user.email),
        name=user.full_name,
        token=tokens.make_token(user, now=T0),
    )


async def test_a_reset_mail_arrives_with_both_parts_and_a_working_link(
    smtp_server: SmtpServer,
) -> None:
    user = a_user()
    tokens = SignedResetTokens("x" * 40, max_age=timedelta(hours=1))
    await smtp_server.mailer().send(reset_mail(user, tokens))

    envelope, message = smtp_server.only_message()
    assert envelope.mail_from == "noreply@example.com"
    assert envelope.rcpt_tos == [str(user.email)]
    assert message["From"] == SENDER
    assert message["To"] == str(user.email)
    assert message["Subject"] == "Reset your Gatehouse password"
    assert message["Message-ID"].endswith("@example.com>")
    for body in bodies(message):
        (token,) = RESET_LINK.findall(body)
        assert tokens.check_token(user, token, now=T0 + timedelta(minutes=5))


async def test_a_welcome_mail_greets_by_name_and_links_the_site(smtp_server: SmtpServer) -> None:
    user = a_user()
    user.update_profile(first_name="Zoë", last_name="Ångström", email=user.email, now=T0)
    welcome = JinjaMailTemplates(SITE).render("welcome", str(user.email), name=user.full_name)
    await smtp_server.mailer().send(welcome)

    envelope, message = smtp_server.only_message()
    assert envelope.rcpt_tos == [str(user.email)]
    assert message["Subject"] == "Welcome to Gatehouse"
    for body in bodies(message):
        assert "Hello Zoë Ångström," in body
        assert f"{SITE}/" in body
        assert "/reset-password/" not in body


async def test_an_address_with_non_ascii_characters_is_delivered_over_smtputf8() -> None:
    with running(enable_SMTPUTF8=True) as server:
        address = str(EmailAddress("zoë@bücher.example"))
        await server.mailer().send(MailMessage(address, "Grüße", "Hallo", "<p>Hallo</p>"))
        envelope, message = server.only_message()
        assert envelope.rcpt_tos == [address]
        assert message["To"] == address
        assert message["Subject"] == "Grüße"


async def test_starttls_delivers_over_tls_to_a_trusted_certificate(
    starttls_server: SmtpServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    user = a_user()
    welcome = JinjaMailTemplates(SITE).render("welcome", str(user.email), name=user.full_name)
    await starttls_server.mailer("starttls").send(welcome)

    envelope, message = starttls_server.only_message()
    assert starttls_server.inbox.over_tls == [True]
    assert envelope.rcpt_tos == [str(user.email)]
    assert message["Subject"] == "Welcome to Gatehouse"


async def test_the_starttls_server_refuses_plain_smtp(starttls_server: SmtpServer) -> None:
    """So the test above is proof that the mail went over TLS."""
    plain = MailMessage("someone@example.com", "Hello", "text", "<p>html</p>")
    with pytest.raises(aiosmtplib.SMTPSenderRefused):
        await starttls_server.mailer("none").send(plain)
    assert starttls_server.inbox.envelopes == []


async def test_starttls_refuses_an_untrusted_certificate(starttls_server: SmtpServer) -> None:
    user = a_user()
    welcome = JinjaMailTemplates(SITE).render("welcome", str(user.email), name=user.full_name)
    with pytest.raises(ssl.SSLCertVerificationError):
        await starttls_server.mailer("starttls").send(welcome)
    assert starttls_server.inbox.envelopes == []


class CountingMailer(Mailer):
    """Passes messages on to ``inner``, counting the attempts; ``failures`` first ones
    raise ``OSError`` without reaching it."""

    def __init__(self, inner: Mailer | None = None, *, failures: int = 0) -> None:
        self.inner = inner
        self.failures = failures
        self.attempts = 0
        self.sent: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OSError("connection reset")
        if self.inner is not None:
            await self.inner.send(message)
        self.sent.append(message)


async def test_retrying_an_unreachable_server_logs_each_attempt_and_gives_up_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = SmtpMailer(host=HOST, port=free_port(), sender=SENDER, security="none", timeout=5)
    counting = CountingMailer(closed)
    message = MailMessage("someone@example.com", "Hello", "text", "<p>html</p>")

    with caplog.at_level(logging.INFO, logger="gatehouse.mail"):
        await RetryingMailer(counting, attempts=3, pause=0.01).send(message)

    assert counting.attempts == 3
    assert counting.sent == []
    records = [record for record in caplog.records if record.name == "gatehouse.mail"]
    assert [record.levelno for record in records] == [logging.WARNING] * 3 + [logging.ERROR]
    for attempt, record in enumerate(records[:3], start=1):
        assert f"(attempt {attempt} of 3)" in record.getMessage()
    assert "gave up" in records[-1].getMessage()
    assert "someone@example.com" in records[-1].getMessage()


async def test_retrying_sends_once_when_the_second_attempt_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky = CountingMailer(failures=1)
    message = MailMessage("someone@example.com", "Hello", "text", "<p>html</p>")

    with caplog.at_level(logging.INFO, logger="gatehouse.mail"):
        await RetryingMailer(flaky, attempts=3, pause=0.01).send(message)

    assert flaky.attempts == 2
    assert flaky.sent == [message]
    records = [record for record in caplog.records if record.name == "gatehouse.mail"]
    assert [record.levelno for record in records] == [logging.WARNING]
