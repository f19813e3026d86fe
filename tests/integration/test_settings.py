"""Settings: production refuses unsafe values with one line; `gatehouse config` masks secrets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from infrastructure.encryption import FernetSecretBox, new_key
from infrastructure.settings import SettingsError, describe, load_settings
from web.cli import main

SECRET = "k" * 40
KEY, OLD_KEY = new_key(), new_key()
POSTGRES = "postgresql+asyncpg://gatehouse:hunter2hunter2@db.internal:5432/gatehouse"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DATABASE_URL": POSTGRES, "SMTP_HOST": "smtp"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "DATABASE_URL": POSTGRES, "SMTP_HOST": "smtp"}, "SECRET_KEY"),
        ({"SECRET_KEY": SECRET, "SMTP_HOST": "smtp"}, "DATABASE_URL"),
        ({"SECRET_KEY": SECRET, "DATABASE_URL": POSTGRES}, "SMTP_HOST"),
        ({"SECRET_KEY": SECRET, "DATABASE_URL": POSTGRES, "SMTP_HOST": "smtp"}, "ENCRYPTION_KEYS"),
    ],
)
def test_production_refuses_unsafe_settings_with_one_line(
    overrides: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(GATEHOUSE_ENV="production", **overrides)
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_production_on_sqlite_is_allowed_only_when_asked_for() -> None:
    settings = load_settings(
        GATEHOUSE_ENV="production",
        SECRET_KEY=SECRET,
        SMTP_HOST="smtp",
        ALLOW_SQLITE_IN_PRODUCTION=True,
        ENCRYPTION_KEYS=new_key(),
    )
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_the_effective_settings_mask_every_secret() -> None:
    settings = load_settings(
        SECRET_KEY=SECRET,
        DATABASE_URL=POSTGRES,
        REDIS_URL="redis://:redispass@cache:6379/0",
        SMTP_PASSWORD="smtp-secret-words",
        ENCRYPTION_KEYS=f"{KEY},{OLD_KEY}",
    )
    shown = dict(describe(settings))
    text = "\n".join(f"{k} {v}" for k, v in shown.items())
    for secret in (SECRET, "hunter2hunter2", "redispass", "smtp-secret-words", KEY, OLD_KEY):
        assert secret not in text
    assert shown["DATABASE_URL"] == "postgresql+asyncpg://gatehouse:***@db.internal:5432/gatehouse"
    assert shown["REDIS_URL"] == "redis://:***@cache:6379/0"
    assert shown["SECRET_KEY"] == "********"
    assert shown["SMTP_PASSWORD"] == "********"
    assert shown["ENCRYPTION_KEYS"] == "********"
    assert shown["DB_POOL_SIZE"] == "10"


def test_gatehouse_config_prints_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", "PT30M")
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0
    assert SECRET not in result.output
    rows = [line.split(None, 1) for line in result.output.splitlines()]
    assert ["SESSION_IDLE_TIMEOUT", "PT30M"] in rows
    assert len(rows) == len({name for name, _ in rows})  # one row a setting


def test_the_defaults_are_shown_as_they_are_in_force(tmp_path: Path) -> None:
    """The database in use (not an empty row), where the generated key is kept, and
    each value as it would be written in the environment."""
    settings = load_settings(GATEHOUSE_ENV="development", INSTANCE_PATH=tmp_path)
    shown = dict(describe(settings))

    assert shown["DATABASE_URL"] == f"sqlite+aiosqlite:///{tmp_path.resolve()}/gatehouse.db"
    assert shown["SECRET_KEY"] == f"generated ({tmp_path / 'secret_key'})"
    assert shown["LOG_FORMAT"] == "text"
    assert shown["REDIS_URL"] == "(unset)"
    assert (shown["SESSION_IDLE_TIMEOUT"], shown["SESSION_LIFETIME"]) == ("P7D", "P30D")
    assert (shown["SIGNIN_FAILURE_WINDOW"], shown["PASSWORD_RESET_MAX_AGE"]) == ("PT15M", "PT1H")
    assert (shown["CACHE_TTL"], shown["DB_POOL_TIMEOUT"], shown["MAX_BODY_BYTES"]) == (
        "300",
        "5",
        "1048576",
    )
    assert shown["ALLOW_SQLITE_IN_PRODUCTION"] == "false"
    assert shown["ENCRYPTION_KEYS"] == f"generated ({tmp_path / 'encryption_key'})"
    assert (shown["TRUSTED_BROWSER_DAYS"], shown["ADMIN_REQUIRES_TWO_FACTOR"]) == ("30", "false")
    assert shown["PUBLIC_URL"] == "http://localhost:8000"
    assert (shown["WEBAUTHN_ORIGIN"], shown["WEBAUTHN_RP_ID"]) == (
        "http://localhost:8000",
        "localhost",
    )
    assert not [name for name in shown if "effective" in name.lower()]


def test_values_that_were_set_are_shown_in_the_form_they_were_set_in() -> None:
    settings = load_settings(
        GATEHOUSE_ENV="test",
        SIGNIN_FAILURE_WINDOW="PT90M",
        SESSION_LIFETIME="P30DT12H",
        CACHE_TTL="2.5",
        DB_STATEMENT_TIMEOUT="45",
        LOG_FORMAT="json",
    )
    shown = dict(describe(settings))

    assert (shown["SIGNIN_FAILURE_WINDOW"], shown["SESSION_LIFETIME"]) == ("PT1H30M", "P30DT12H")
    assert (shown["CACHE_TTL"], shown["DB_STATEMENT_TIMEOUT"]) == ("2.5", "45")
    assert shown["LOG_FORMAT"] == "json"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CACHE_TTL", "-1"),
        ("CACHE_SETTLE", "0"),
        ("CACHE_MAX_ENTRIES", "lots"),
        ("DB_POOL_SIZE", "0"),
        ("MEMBERS_PER_PAGE", "1000"),
        ("SESSION_IDLE_TIMEOUT", "soon"),
        ("LOG_FORMAT", "xml"),
        ("ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("ENCRYPTION_KEYS", f"{new_key()},short"),
        ("ENCRYPTION_KEYS", " , "),
        ("TRUSTED_BROWSER_DAYS", "0"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**{name: value})
    assert name in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_development_key_is_private_from_its_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody can read the key between its writing and a later chmod: there is none to
    wait for (chmod is disabled here to see the mode the file was written with)."""
    monkeypatch.setattr(Path, "chmod", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(os, "chmod", lambda *_args, **_kwargs: None)
    settings = load_settings(GATEHOUSE_ENV="development", INSTANCE_PATH=tmp_path)
    umask = os.umask(0o022)  # the usual one, which lets everyone read a new file
    try:
        key = settings.secret()
    finally:
        os.umask(umask)

    kept = tmp_path / "secret_key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text("utf-8").strip() == key
    assert load_settings(GATEHOUSE_ENV="development", INSTANCE_PATH=tmp_path).secret() == key


def test_development_keeps_a_generated_encryption_key_beside_the_secret_key(
    tmp_path: Path,
) -> None:
    keys = load_settings(GATEHOUSE_ENV="development", INSTANCE_PATH=tmp_path).encryption_key_list()
    kept = tmp_path / "encryption_key"
    assert len(keys) == 1
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = load_settings(GATEHOUSE_ENV="development", INSTANCE_PATH=tmp_path)
    assert again.encryption_key_list() == keys
    assert FernetSecretBox(keys).decrypt(FernetSecretBox(keys).encrypt("s")) == "s"


def test_the_encryption_keys_are_listed_first_one_first() -> None:
    settings = load_settings(ENCRYPTION_KEYS=f" {KEY} ,{OLD_KEY},")
    assert settings.encryption_key_list() == [KEY, OLD_KEY]


@pytest.mark.parametrize(
    ("env", "value", "required"),
    [
        ("production", None, True),
        ("development", None, False),
        ("test", None, False),
        ("production", "false", False),
        ("development", "true", True),
    ],
)
def test_admins_need_two_factor_by_default_in_production_only(
    env: str, value: str | None, required: bool
) -> None:
    overrides = {"ADMIN_REQUIRES_TWO_FACTOR": value} if value is not None else {}
    settings = load_settings(
        GATEHOUSE_ENV=env,
        SECRET_KEY=SECRET,
        DATABASE_URL=POSTGRES,
        SMTP_HOST="smtp",
        ENCRYPTION_KEYS=KEY,
        **overrides,
    )
    assert settings.effective_admin_requires_two_factor is required
    assert dict(describe(settings))["ADMIN_REQUIRES_TWO_FACTOR"] == str(required).lower()


PRODUCTION = {
    "GATEHOUSE_ENV": "production",
    "SECRET_KEY": SECRET,
    "DATABASE_URL": POSTGRES,
    "SMTP_HOST": "smtp",
    "ENCRYPTION_KEYS": KEY,
}


def test_passkeys_default_to_the_public_urls_origin_and_host() -> None:
    settings = load_settings(PUBLIC_URL="https://accounts.example.com/gatehouse")
    assert settings.effective_webauthn_origin == "https://accounts.example.com"
    assert settings.effective_webauthn_rp_id == "accounts.example.com"
    shared = load_settings(PUBLIC_URL="https://accounts.example.com", WEBAUTHN_RP_ID="example.com")
    assert shared.effective_webauthn_rp_id == "example.com"


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"WEBAUTHN_RP_ID": "other.example"}, "WEBAUTHN_RP_ID must be"),
        ({"WEBAUTHN_RP_ID": "ample.com", "PUBLIC_URL": "https://example.com"}, "WEBAUTHN_RP_ID"),
        ({"WEBAUTHN_ORIGIN": "ftp://example.com"}, "WEBAUTHN_ORIGIN"),
        ({"WEBAUTHN_ORIGIN": "https://example.com/path"}, "WEBAUTHN_ORIGIN"),
    ],
)
def test_a_passkey_site_that_does_not_fit_is_one_line(overrides: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**overrides)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_production_wants_passkeys_over_https_except_on_localhost() -> None:
    with pytest.raises(SettingsError, match="WEBAUTHN_ORIGIN must be https"):
        load_settings(**PRODUCTION, PUBLIC_URL="http://accounts.example.com")
    load_settings(**PRODUCTION, PUBLIC_URL="https://accounts.example.com")
    load_settings(**PRODUCTION, PUBLIC_URL="http://localhost:8000")
    with pytest.raises(SettingsError, match="WEBAUTHN_ORIGIN must be https"):
        load_settings(
            **PRODUCTION,
            PUBLIC_URL="https://accounts.example.com",
            WEBAUTHN_ORIGIN="http://accounts.example.com",
        )
