"""``gatehouse users create`` checks what it can before it asks for a password, and
``users activate``/``deactivate`` say when there is nothing to change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from tests.conftest import unique_name
from tests.integration.test_cli import audit_trail, listed_line
from web import cli_accounts
from web.cli import main

GOOD = "a long and quiet river"


def create(name: str, email: str | None = None, *, typed: list[str]) -> Result:
    """``users create`` with ``typed`` as the lines on standard input."""
    args = ["users", "create", name, email or f"{name}@example.com"]
    return CliRunner().invoke(main, args, input="".join(f"{line}\n" for line in typed))


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if a person typed the answers: prompts are shown and mistakes asked again."""
    monkeypatch.setattr(cli_accounts, "interactive", lambda: True)


# users create: the username and address first, before any password


@pytest.mark.usefixtures("cli_env", "at_a_terminal")
@pytest.mark.parametrize(
    ("taken", "said"),
    [
        (lambda name: (name.upper(), f"new-{name}@example.com"), "That username is already taken."),
        (
            lambda name: (f"new{name}", f"{name}@EXAMPLE.com"),
            "An account with that e-mail address already exists.",
        ),
    ],
    ids=["username", "address"],
)
def test_a_taken_name_stops_before_the_password_is_asked_for(
    taken: Callable[[str], tuple[str, str]], said: str
) -> None:
    name = unique_name("op")
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0
    username, email = taken(name)

    result = create(username, email, typed=[GOOD, GOOD])

    assert result.exit_code == 1
    assert result.output == f"Error: {said}\n"  # no "Password:" prompt came first
    assert "Password" not in result.output


@pytest.mark.usefixtures("cli_env", "at_a_terminal")
def test_an_invalid_username_and_address_are_both_named_before_the_password() -> None:
    result = create("a b", "not-an-address", typed=[GOOD, GOOD])

    assert result.exit_code == 1
    assert result.output == (
        "Error: Usernames are 3 to 25 letters, digits, '.', '_' or '-'. "
        "Enter a valid e-mail address.\n"
    )


# users create: the password, checked as soon as it is typed


@pytest.mark.usefixtures("cli_env", "at_a_terminal")
def test_at_a_terminal_a_weak_password_says_why_and_is_asked_for_again() -> None:
    name = unique_name("op")

    result = create(name, typed=["password123", "short", GOOD, GOOD])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "This password is too common. Try again.",
        "Use at least 8 characters. Try again.",
    ]
    assert result.stdout.count("Password: ") == 3
    assert result.stdout.count("Repeat the password: ") == 1  # only for the good one
    assert result.stdout.endswith(f"Created {name} <{name}@example.com> (no roles).\n")


@pytest.mark.usefixtures("cli_env", "at_a_terminal")
def test_at_a_terminal_a_mistyped_repeat_starts_again() -> None:
    name = unique_name("op")

    result = create(name, typed=[GOOD, "a long and quiet rivet", GOOD, GOOD])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["The two passwords differ. Try again."]
    assert listed_line(name).split()[2] == "active"


@pytest.mark.usefixtures("cli_env", "at_a_terminal")
def test_at_a_terminal_three_weak_passwords_end_the_command_with_the_reason() -> None:
    name = unique_name("op")

    result = create(name, typed=["password123", "12345678901", f"{name}{name}", GOOD, GOOD])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "This password is too common. Try again.",
        "Use more than digits alone. Try again.",
        "Error: This password is too similar to your username or e-mail address.",
    ]
    assert name not in CliRunner().invoke(main, ["users", "list"]).output


@pytest.mark.usefixtures("cli_env")
def test_from_a_pipe_a_weak_password_ends_the_command_at_once() -> None:
    name = unique_name("op")

    result = create(name, typed=["password123", GOOD, GOOD])

    assert result.exit_code == 1
    assert result.output == "Error: This password is too common.\n"
    assert "Password" not in result.output  # no prompts for nobody to read


@pytest.mark.usefixtures("cli_env")
def test_from_a_pipe_a_missing_line_is_one_line() -> None:
    result = create(unique_name("op"), typed=[GOOD])

    assert result.exit_code == 1
    assert result.output == "Error: Give the password twice on standard input, a line each.\n"


# users activate / deactivate: nothing to change is said, and is no mistake


def test_activating_an_active_account_says_so_and_changes_nothing(
    cli_env: dict[str, str],
) -> None:
    name = unique_name("op")
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0
    before = audit_trail(cli_env)

    result = CliRunner().invoke(main, ["users", "activate", name.upper()])

    assert result.exit_code == 0
    assert result.output == f"{name} is already active.\n"
    assert audit_trail(cli_env) == before


def test_deactivating_an_inactive_account_says_so_and_changes_nothing(
    cli_env: dict[str, str],
) -> None:
    name = unique_name("op")
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0
    assert CliRunner().invoke(main, ["users", "deactivate", name]).exit_code == 0
    before = audit_trail(cli_env)

    result = CliRunner().invoke(main, ["users", "deactivate", f"{name}@example.com"])

    assert result.exit_code == 0
    assert result.output == f"{name} is already inactive.\n"
    assert audit_trail(cli_env) == before
    assert listed_line(name).split()[2] == "inactive"


# users delete


def test_deleting_asks_first_at_a_terminal_and_frees_the_names(
    cli_env: dict[str, str], at_a_terminal: None
) -> None:
    name = unique_name("op")
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0
    kept = CliRunner().invoke(main, ["users", "delete", name], input="n\n")
    assert kept.exit_code == 1 and listed_line(name)
    gone = CliRunner().invoke(main, ["users", "delete", f"{name}@example.com"], input="y\n")
    assert gone.exit_code == 0, gone.output
    assert f"Deleted {name}" in gone.output
    assert name not in CliRunner().invoke(main, ["users", "list"]).output
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0  # the names are free again


def test_a_script_deletes_only_with_yes(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    assert create(name, typed=[GOOD, GOOD]).exit_code == 0
    refused = CliRunner().invoke(main, ["users", "delete", name])
    assert refused.exit_code == 1
    assert refused.output.splitlines() == ["Error: Add --yes to delete an account from a script."]
    assert CliRunner().invoke(main, ["users", "delete", name, "--yes"]).exit_code == 0
    unknown = CliRunner().invoke(main, ["users", "delete", name, "--yes"])
    assert unknown.exit_code == 1 and len(unknown.output.splitlines()) == 1
