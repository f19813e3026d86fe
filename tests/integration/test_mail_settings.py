"""Mail settings as the operator gives them, and the mailer the composition root makes of
them: SMTP when SMTP_HOST is set, files in the instance folder otherwise."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from domain.ports import MailMessage
from infrastructure.encryption import new_key
from infrastructure.mail import RetryingMailer
from infrastructure.settings import Settings, SettingsError, load_settings
from tests.integration.smtp_server import HOST, free_port, running
from web.bootstrap import mailer

SECRET = "k" * 40
MESSAGE = MailMessage("ada@example.com", "Hello", "Hello Ada", "<p>Hello Ada</p>")


@pytest.fixture(autouse=True)
def no_outside_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test passes counts: no setting from the environment or a ``.env``."""
    for setting in Settings.model_fields.values():
        if isinstance(setting.validation_alias, str):
            monkeypatch.delenv(setting.validation_alias, raising=False)
    monkeypatch.chdir(tmp_path)


POSTGRES = "postgresql+asyncpg://gatehouse@db.internal:5432/gatehouse"


def test_production_without_an_smtp_host_is_refused_naming_it() -> None:
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        load_settings(GATEHOUSE_ENV="production", SECRET_KEY=SECRET, DATABASE_URL=POSTGRES)


def test_production_from_the_environment_without_an_smtp_host_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEHOUSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        load_settings()


def test_production_with_an_smtp_host_loads() -> None:
    settings = load_settings(
        GATEHOUSE_ENV="production",
        SECRET_KEY=SECRET,
        SMTP_HOST="smtp.example.com",
        DATABASE_URL=POSTGRES,
        ENCRYPTION_KEYS=new_key(),
    )
    assert settings.smtp_host == "smtp.example.com"


@pytest.mark.parametrize(
    "address",
    ["gatehouse.example", "ftp://gatehouse.example", "//gatehouse.example", "https://", ""],
)
def test_a_public_url_that_is_not_an_absolute_http_address_is_refused(address: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        load_settings(PUBLIC_URL=address)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://gatehouse.example/", "https://gatehouse.example"),
        ("https://gatehouse.example/accounts//", "https://gatehouse.example/accounts"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_the_public_url_loses_its_trailing_slash(given: str, kept: str) -> None:
    assert load_settings(PUBLIC_URL=given).public_url == kept


async def test_with_an_smtp_host_mail_goes_over_smtp_with_the_configured_login(
    tmp_path: Path,
) -> None:
    logins: list[tuple[str, str]] = []

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    with running(authenticator=authenticate, auth_require_tls=False) as server:
        settings = load_settings(
            INSTANCE_PATH=tmp_path,
            MAIL_FROM="Gatehouse <noreply@gatehouse.test>",
            SMTP_HOST=HOST,
            SMTP_PORT=server.port,
            SMTP_SECURITY="none",
            SMTP_USERNAME="mailer",
            SMTP_PASSWORD="a secret password",
        )
        configured = mailer(settings)
        await configured.send(MESSAGE)

        envelope, message = server.only_message()
    assert isinstance(configured, RetryingMailer)
    assert logins == [("mailer", "a secret password")]
    assert envelope.mail_from == "noreply@gatehouse.test"
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert message["Subject"] == "Hello"
    assert not settings.mail_folder.exists()


async def test_without_an_smtp_host_mail_is_written_to_the_instance_mail_folder(
    tmp_path: Path,
) -> None:
    configured = mailer(load_settings(INSTANCE_PATH=tmp_path))
    await configured.send(MESSAGE)

    assert isinstance(configured, RetryingMailer)
    (path,) = (tmp_path / "mail").glob("*.eml")
    assert b"To: ada@example.com" in path.read_bytes()


async def test_mail_attempts_is_how_often_an_unreachable_server_is_tried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(
        INSTANCE_PATH=tmp_path,
        SMTP_HOST=HOST,
        SMTP_PORT=free_port(),
        SMTP_SECURITY="none",
        MAIL_ATTEMPTS=1,
    )
    with caplog.at_level(logging.INFO, logger="gatehouse.mail"):
        await mailer(settings).send(MESSAGE)

    records = [record for record in caplog.records if record.name == "gatehouse.mail"]
    assert [record.levelno for record in records] == [logging.WARNING, logging.ERROR]
    assert "(attempt 1 of 1)" in records[0].getMessage()
