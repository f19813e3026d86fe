"""``gatehouse invitations``: invite from the command line, list, resend and revoke;
each mails or says what it did, every mistake is one line, and the trail names the
command line."""

from __future__ import annotations

import email
import re
from pathlib import Path

import pytest

from tests.integration.test_cli import audit_trail, run
from tests.integration.test_cli_accounts import GOOD, create


def mails(env: dict[str, str]) -> list[email.message.Message]:
    folder = Path(env["INSTANCE_PATH"]) / "mail"
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def link_in(message: email.message.Message) -> str:
    text = next(
        part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    found = re.search(r"/register/([\w-]+)", text)
    assert found, text
    return found.group(1)


def invitation_id(address: str) -> str:
    listed = run("invitations", "list")
    assert listed.exit_code == 0, listed.output
    return next(line.split()[0] for line in listed.output.splitlines() if address in line)


@pytest.mark.usefixtures("cli_env")
def test_create_mails_a_link_and_lists_the_invitation_with_its_role(
    cli_env: dict[str, str],
) -> None:
    assert run("roles", "create", "editor").exit_code == 0

    made = run("invitations", "create", "grace@example.com", "--role", "Editor")

    assert made.exit_code == 0, made.output
    assert made.output.startswith("Invited grace@example.com (editor); the link is mailed")
    [mail] = mails(cli_env)
    assert mail["To"] == "grace@example.com" and link_in(mail)
    line = run("invitations", "list").output.splitlines()[0].split()
    assert line[1:] == ["grace@example.com", "pending", "editor"]
    created = [details for kind, details in audit_trail(cli_env) if kind == "InvitationCreated"]
    assert created == [created[0]] and created[0]["by"] == "cli"
    assert created[0]["roles"] == "editor"


@pytest.mark.usefixtures("cli_env")
def test_resend_mails_a_new_link_and_revoke_closes_it(cli_env: dict[str, str]) -> None:
    assert run("invitations", "create", "grace@example.com").exit_code == 0
    made = invitation_id("grace@example.com")

    resent = run("invitations", "resend", made)
    revoked = run("invitations", "revoke", made)

    assert resent.exit_code == 0 and resent.output.startswith("Sent grace@example.com a new link")
    first, second = mails(cli_env)
    assert link_in(first) != link_in(second)
    assert revoked.output == "Revoked the invitation of grace@example.com.\n"
    assert "revoked" in run("invitations", "list").output
    again = run("invitations", "resend", made)
    assert (again.exit_code, again.output) == (
        1,
        "Error: This invitation has been used or withdrawn; it cannot be changed.\n",
    )


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["create", "not-an-address"], "Error: Enter a valid e-mail address.\n"),
        (
            ["create", "a@example.com", "--role", "nobody"],
            "Error: There is no role named 'nobody'.\n",
        ),
        (["resend", "12345"], "Error: Invalid value for 'ID': '12345' is not a valid UUID."),
        (
            ["revoke", "7a1c9b52-4e1d-4f7e-9a55-1b7a0f0d3c11"],
            "Error: There is no such invitation.\n",
        ),
    ],
    ids=["bad-address", "unknown-role", "bad-id", "unknown-id"],
)
def test_mistakes_are_one_line_and_change_nothing(
    cli_env: dict[str, str], args: list[str], said: str
) -> None:
    result = run("invitations", *args)
    assert result.exit_code == 1
    assert result.output.startswith(said)
    assert run("invitations", "list").output == "No invitations.\n"
    assert mails(cli_env) == []


@pytest.mark.usefixtures("cli_env")
def test_an_address_with_an_account_or_a_pending_invitation_is_refused() -> None:
    assert create("bob", typed=[GOOD, GOOD]).exit_code == 0
    taken = run("invitations", "create", "Bob@example.com")
    assert taken.output == "Error: An account with that e-mail address already exists.\n"
    assert run("invitations", "create", "grace@example.com").exit_code == 0
    twice = run("invitations", "create", "GRACE@example.com")
    assert (
        twice.output == "Error: This address has an open invitation already: resend it instead.\n"
    )
