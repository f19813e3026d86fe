"""The development mailer: one ``.eml`` file per message on disk, and its text in the log."""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from domain.ports import MailMessage
from infrastructure.mail import FolderMailer, JinjaMailTemplates

SENDER = "Gatehouse <noreply@example.com>"
SITE = "http://gatehouse.test"
TOKEN = "eyJhIjoxfQ.c2lnbmF0dXJl"


def reset_mail(to: str) -> MailMessage:
    return JinjaMailTemplates(SITE).render("password_reset", to, name="Ada", token=TOKEN)


def saved(folder: Path) -> list[Path]:
    """Everything in ``folder``."""
    return sorted(folder.iterdir())


def parsed(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


async def test_each_message_becomes_one_eml_file_in_a_folder_made_on_demand(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "instance" / "mail"
    mailer = FolderMailer(folder, SENDER)
    await mailer.send(reset_mail("ada@example.com"))
    await mailer.send(reset_mail("grace@example.com"))

    files = saved(folder)
    assert [path.suffix for path in files] == [".eml", ".eml"]
    assert sorted(parsed(path)["To"] for path in files) == ["ada@example.com", "grace@example.com"]


async def test_a_saved_message_parses_back_with_its_headers_and_both_parts(
    tmp_path: Path,
) -> None:
    await FolderMailer(tmp_path, SENDER).send(reset_mail("ada@example.com"))

    (path,) = saved(tmp_path)
    message = parsed(path)
    assert message["From"] == SENDER
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your Gatehouse password"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert f"{SITE}/reset-password/{TOKEN}" in text.get_content()
    assert f'href="{SITE}/reset-password/{TOKEN}"' in html.get_content()


async def test_the_text_goes_to_the_mail_log_with_the_link(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gatehouse.mail"):
        await FolderMailer(tmp_path, SENDER).send(reset_mail("ada@example.com"))

    (record,) = [record for record in caplog.records if record.name == "gatehouse.mail"]
    (path,) = saved(tmp_path)
    logged = record.getMessage()
    assert record.levelno == logging.INFO
    assert "ada@example.com" in logged
    assert "Reset your Gatehouse password" in logged
    assert str(path) in logged
    assert f"{SITE}/reset-password/{TOKEN}" in logged
