"""The ``gatehouse`` command, run through click's runner against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from infrastructure.db import migrations
from tests.conftest import unique_name
from web.cli import main

PASSWORD = "a long and quiet river"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "GATEHOUSE_ENV": "test"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    migrations.upgrade(url)
    return env


def create(name: str, *extra: str, password: str = PASSWORD, repeat: str | None = None) -> object:
    answers = f"{password}\n{repeat if repeat is not None else password}\n"
    return CliRunner().invoke(
        main, ["users", "create", name, f"{name}@example.com", *extra], input=answers
    )


def test_users_create_asks_twice_and_grants_admin_with_the_flag(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    result = create(name, "--admin")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"Created {name}" in result.output  # type: ignore[attr-defined]
    listed = CliRunner().invoke(main, ["users", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith(name))
    assert "admin" in line
    assert "active" in line


def test_the_password_is_never_echoed(cli_env: dict[str, str]) -> None:
    result = create(unique_name("op"))
    assert PASSWORD not in result.output  # type: ignore[attr-defined]


def test_users_create_refuses_mismatched_passwords(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    result = create(name, repeat="something different entirely")
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert name not in CliRunner().invoke(main, ["users", "list"]).output


def test_a_weak_password_is_a_clear_error_and_a_non_zero_exit(cli_env: dict[str, str]) -> None:
    result = create(unique_name("op"), password="password123")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "This password is too common." in result.output  # type: ignore[attr-defined]


def test_a_taken_username_is_a_clear_error(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    create(name)
    result = create(name.upper())
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "That username is already taken." in result.output  # type: ignore[attr-defined]


def test_users_list_on_an_empty_database_says_so(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 0
    assert "No users." in result.output


def test_bad_settings_stop_the_command_with_one_line(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_ENV", "production")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: Invalid setting: SECRET_KEY must be set when GATEHOUSE_ENV=production"
    ]


def test_db_downgrade_then_upgrade_round_trips(cli_env: dict[str, str]) -> None:
    assert CliRunner().invoke(main, ["db", "downgrade", "base"]).exit_code == 0
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert CliRunner().invoke(main, ["users", "list"]).exit_code == 0


def test_the_password_cannot_be_given_on_the_command_line(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["users", "create", "someone", "someone@example.com", "--password", PASSWORD]
    )
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_an_over_long_username_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = create("u" * 40)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "username: String should have at most 25 characters" in result.output  # type: ignore[attr-defined]
