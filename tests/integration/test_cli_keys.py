"""``gatehouse keys rotate`` on a real SQLite file: every secret re-encrypted with the
first of ENCRYPTION_KEYS, or, when one opens with no key, nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select

from application.commands import ConfirmTwoFactor, CreateUser
from domain import totp, two_factor
from infrastructure.db.tables import two_factor as two_factor_table
from infrastructure.db.tables import two_factor_pending
from infrastructure.settings import load_settings
from tests.conftest import unique_name
from web.cli import main
from web.cli_runtime import run_with_services

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


def stored_secrets(cli_env: dict[str, str]) -> dict[str, str]:
    engine = create_engine(cli_env["DATABASE_URL"].replace("+aiosqlite", ""))
    with engine.connect() as connection:
        found = {
            "on": connection.execute(select(two_factor_table.c.secret_encrypted)).scalar_one(),
            "pending": connection.execute(
                select(two_factor_pending.c.secret_encrypted)
            ).scalar_one(),
        }
    engine.dispose()
    return found


@pytest.fixture
def secrets_under_old_key(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One account with two-factor on and one in the middle of its set-up, under OLD;
    the secrets as the apps hold them."""
    monkeypatch.setenv("ENCRYPTION_KEYS", OLD)
    settings = load_settings()
    held = []
    for confirm in (True, False):
        name = unique_name("key")
        user = run_with_services(
            settings,
            lambda s, name=name: s.create_user(
                CreateUser(username=name, email=f"{name}@example.com", password="a" * 4 + "x" * 8)
            ),
        )
        setup = run_with_services(settings, lambda s, u=user: s.begin_two_factor_setup(u.id))
        held.append(setup.secret)
        if confirm:
            code = totp.code_at(setup.secret, two_factor.step_of(datetime.now(UTC)))
            cmd = ConfirmTwoFactor(user_id=user.id, code=code)
            run_with_services(settings, lambda s, c=cmd: s.confirm_two_factor_setup(c))
    return held


def test_rotating_re_encrypts_every_secret_with_the_first_key(
    cli_env: dict[str, str], secrets_under_old_key: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{NEW},{OLD}")
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Re-encrypted 2 secrets with the first key; the other key can now be removed.\n"
    )
    stored = stored_secrets(cli_env)
    opened = {
        where: Fernet(NEW.encode()).decrypt(token).decode() for where, token in stored.items()
    }
    assert opened == {"on": secrets_under_old_key[0], "pending": secrets_under_old_key[1]}


def test_a_secret_no_key_opens_stops_it_and_changes_nothing(
    cli_env: dict[str, str], secrets_under_old_key: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_secrets(cli_env)
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{NEW},{STRANGER}")
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("Error: A stored secret opens with none of ENCRYPTION_KEYS")
    assert stored_secrets(cli_env) == before


def test_with_nothing_stored_it_says_so(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEYS", NEW)
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert (result.exit_code, result.output) == (0, "Re-encrypted 0 secrets with the first key.\n")
