"""Settings from the environment and an optional ``.env``, checked once at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from infrastructure import encryption

Environment = Literal["development", "production", "test"]
DEFAULT_INSTANCE = Path("instance")
DEFAULT_STATIC_ROOT = Path("build/static")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
ENCRYPTION_KEY_FILE = "encryption_key"
MIN_SECRET_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line meant for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    env: Environment = Field(default="development", validation_alias="GATEHOUSE_ENV")
    instance_path: Path = Field(default=DEFAULT_INSTANCE, validation_alias="INSTANCE_PATH")
    static_root: Path = Field(default=DEFAULT_STATIC_ROOT, validation_alias="STATIC_ROOT")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    secret_key: SecretStr | None = Field(default=None, validation_alias="SECRET_KEY")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["text", "json"] | None = Field(default=None, validation_alias="LOG_FORMAT")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, validation_alias="MAX_BODY_BYTES")
    members_per_page: int = Field(default=20, ge=1, le=100, validation_alias="MEMBERS_PER_PAGE")

    session_idle_timeout: timedelta = Field(
        default=timedelta(days=7), gt=timedelta(0), validation_alias="SESSION_IDLE_TIMEOUT"
    )
    session_lifetime: timedelta = Field(
        default=timedelta(days=30), gt=timedelta(0), validation_alias="SESSION_LIFETIME"
    )
    signin_failure_limit: int = Field(default=5, ge=1, validation_alias="SIGNIN_FAILURE_LIMIT")
    signin_failure_window: timedelta = Field(
        default=timedelta(minutes=15), gt=timedelta(0), validation_alias="SIGNIN_FAILURE_WINDOW"
    )
    signin_ip_limit: int = Field(default=20, ge=1, validation_alias="SIGNIN_IP_LIMIT")
    register_ip_limit: int = Field(default=10, ge=1, validation_alias="REGISTER_IP_LIMIT")
    register_attempt_limit: int = Field(default=30, ge=1, validation_alias="REGISTER_ATTEMPT_LIMIT")
    request_ip_limit: int = Field(default=300, ge=1, validation_alias="REQUEST_IP_LIMIT")
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10, validation_alias="TRUSTED_PROXY_HOPS")

    allow_sqlite_in_production: bool = Field(
        default=False, validation_alias="ALLOW_SQLITE_IN_PRODUCTION"
    )
    hash_threads: int = Field(default=1, ge=1, le=64, validation_alias="HASH_THREADS")
    cache_ttl: float = Field(default=300, ge=0, le=86400, validation_alias="CACHE_TTL")
    cache_local_ttl: float = Field(default=5, ge=0, le=86400, validation_alias="CACHE_LOCAL_TTL")
    cache_settle: float = Field(default=5, gt=0, le=60, validation_alias="CACHE_SETTLE")
    cache_max_entries: int = Field(
        default=10_000, ge=100, le=10_000_000, validation_alias="CACHE_MAX_ENTRIES"
    )
    db_pool_size: int = Field(default=10, ge=1, le=200, validation_alias="DB_POOL_SIZE")
    db_pool_timeout: float = Field(default=5, gt=0, le=60, validation_alias="DB_POOL_TIMEOUT")
    db_connect_timeout: float = Field(default=5, gt=0, le=60, validation_alias="DB_CONNECT_TIMEOUT")
    db_statement_timeout: float = Field(
        default=30, gt=0, le=600, validation_alias="DB_STATEMENT_TIMEOUT"
    )

    drain_seconds: float = Field(default=5, ge=0, le=300, validation_alias="DRAIN_SECONDS")
    metrics_token: SecretStr | None = Field(
        default=None, min_length=MIN_METRICS_TOKEN_LENGTH, validation_alias="METRICS_TOKEN"
    )

    public_url: str = Field(default="http://localhost:8000", validation_alias="PUBLIC_URL")
    password_reset_max_age: timedelta = Field(
        default=timedelta(hours=1), gt=timedelta(0), validation_alias="PASSWORD_RESET_MAX_AGE"
    )
    reset_address_limit: int = Field(default=3, ge=1, validation_alias="RESET_ADDRESS_LIMIT")
    reset_address_window: timedelta = Field(
        default=timedelta(hours=1), gt=timedelta(0), validation_alias="RESET_ADDRESS_WINDOW"
    )
    reset_ip_limit: int = Field(default=10, ge=1, validation_alias="RESET_IP_LIMIT")
    mail_from: str = Field(
        default="Gatehouse <noreply@localhost>", min_length=3, validation_alias="MAIL_FROM"
    )
    mail_attempts: int = Field(default=3, ge=1, le=10, validation_alias="MAIL_ATTEMPTS")
    smtp_host: str | None = Field(default=None, validation_alias="SMTP_HOST")
    smtp_port: int = Field(default=587, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", validation_alias="SMTP_SECURITY"
    )
    smtp_username: str | None = Field(default=None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="SMTP_PASSWORD")
    smtp_timeout: float = Field(default=10, gt=0, le=120, validation_alias="SMTP_TIMEOUT")

    encryption_keys: SecretStr | None = Field(default=None, validation_alias="ENCRYPTION_KEYS")
    trusted_browser_days: int = Field(
        default=30, ge=1, le=365, validation_alias="TRUSTED_BROWSER_DAYS"
    )
    admin_requires_two_factor: bool | None = Field(
        default=None, validation_alias="ADMIN_REQUIRES_TWO_FACTOR"
    )
    email_verification: Literal["none", "optional", "required"] = Field(
        default="optional", validation_alias="EMAIL_VERIFICATION"
    )
    registration: Literal["open", "invite"] = Field(default="open", validation_alias="REGISTRATION")
    invitation_max_age: timedelta = Field(
        default=timedelta(days=7),
        gt=timedelta(0),
        le=timedelta(days=365),
        validation_alias="INVITATION_MAX_AGE",
    )
    webauthn_rp_id: str | None = Field(default=None, validation_alias="WEBAUTHN_RP_ID")
    webauthn_origin: str | None = Field(default=None, validation_alias="WEBAUTHN_ORIGIN")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @model_validator(mode="after")
    def _idle_within_lifetime(self) -> Settings:
        if self.session_idle_timeout > self.session_lifetime:
            raise ValueError("SESSION_IDLE_TIMEOUT must not exceed SESSION_LIFETIME")
        return self

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or not urlsplit(value).hostname:
            raise ValueError("use an absolute http:// or https:// address")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set when GATEHOUSE_ENV=production")
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        return self

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not all(map(encryption.is_key, _split(value))):
            raise ValueError("each of the comma-separated keys must be a Fernet key")
        if value is not None and not _split(value):
            raise ValueError("give at least one Fernet key")
        return value

    @model_validator(mode="after")
    def _production_uses_a_server_database(self) -> Settings:
        sqlite = not self.database_url or self.database_url.startswith("sqlite")
        if self.env == "production" and sqlite and not self.allow_sqlite_in_production:
            raise ValueError(
                "DATABASE_URL must name PostgreSQL when GATEHOUSE_ENV=production "
                "(or set ALLOW_SQLITE_IN_PRODUCTION=true for a single-host deployment)"
            )
        return self

    @model_validator(mode="after")
    def _production_mails_over_smtp(self) -> Settings:
        if self.env == "production" and not self.smtp_host:
            raise ValueError("SMTP_HOST must be set when GATEHOUSE_ENV=production")
        return self

    @model_validator(mode="after")
    def _production_encrypts_with_its_own_keys(self) -> Settings:
        if self.env == "production" and self.encryption_keys is None:
            raise ValueError("ENCRYPTION_KEYS must be set when GATEHOUSE_ENV=production")
        return self

    @field_validator("webauthn_origin")
    @classmethod
    def _an_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
            raise ValueError("use an origin such as https://accounts.example.com")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _passkeys_fit_the_site(self) -> Settings:
        host = urlsplit(self.effective_webauthn_origin).hostname or ""
        rp_id = self.effective_webauthn_rp_id
        if host != rp_id and not host.endswith("." + rp_id):
            raise ValueError(f"WEBAUTHN_RP_ID must be {host} or a domain it is under")
        local = host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost")
        if (
            self.env == "production"
            and not local
            and not self.effective_webauthn_origin.startswith("https://")
        ):
            raise ValueError("WEBAUTHN_ORIGIN must be https:// when GATEHOUSE_ENV=production")
        return self

    @property
    def effective_webauthn_origin(self) -> str:
        """Where passkeys are used: the setting, or the origin of ``PUBLIC_URL``."""
        if self.webauthn_origin is not None:
            return self.webauthn_origin
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def effective_webauthn_rp_id(self) -> str:
        """The passkeys' site: the setting, or the host of the origin."""
        return self.webauthn_rp_id or urlsplit(self.effective_webauthn_origin).hostname or ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        """``DATABASE_URL``, or a SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.instance_path / 'gatehouse.db').resolve()}"

    @property
    def mail_folder(self) -> Path:
        """Where development mail is written."""
        return self.instance_path / "mail"

    @property
    def effective_log_format(self) -> Literal["text", "json"]:
        return self.log_format or ("json" if self.is_production else "text")

    def secret(self) -> str:
        """The signing key: the setting, or (outside production) one kept in the instance
        folder so sign-ins survive restarts."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _kept_secret(self.instance_path / SECRET_KEY_FILE)

    def encryption_key_list(self) -> list[str]:
        """The keys for secrets at rest, the encrypting one first: the setting, or
        (outside production) one generated and kept in the instance folder."""
        if self.encryption_keys is not None:
            return _split(self.encryption_keys)
        return [_kept_secret(self.instance_path / ENCRYPTION_KEY_FILE, encryption.new_key)]

    @property
    def effective_admin_requires_two_factor(self) -> bool:
        """The setting, or by default on in production only."""
        if self.admin_requires_two_factor is None:
            return self.is_production
        return self.admin_requires_two_factor


def _split(keys: SecretStr) -> list[str]:
    return [key.strip() for key in keys.get_secret_value().split(",") if key.strip()]


def _kept_secret(path: Path, make: Callable[[], str] | None = None) -> str:
    """The key in ``path``, made first when missing: private (0600) from its first byte,
    and made once even when two processes start together."""
    if path.exists():
        return path.read_text("utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = make() if make is not None else secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text("utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Every setting by its variable name with the value in force, written as it would
    be set: durations in ISO 8601 (``PT15M``), whole numbers without a fraction, the
    database in use (the SQLite default by its real path), secrets and the passwords
    in URLs masked."""
    return [
        (str(field.validation_alias or name).upper(), _shown(settings, name))
        for name, field in type(settings).model_fields.items()
    ]


_DURATION: TypeAdapter[timedelta] = TypeAdapter(timedelta)


def _shown(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    if name == "database_url":
        return masked_url(settings.effective_database_url)
    if name == "secret_key" and value is None:
        return f"generated ({settings.instance_path / SECRET_KEY_FILE})"
    if name == "encryption_keys" and value is None:
        return f"generated ({settings.instance_path / ENCRYPTION_KEY_FILE})"
    if name == "admin_requires_two_factor" and value is None:
        return str(settings.effective_admin_requires_two_factor).lower()
    if name == "log_format" and value is None:
        return settings.effective_log_format
    if name == "webauthn_origin" and value is None:
        return settings.effective_webauthn_origin
    if name == "webauthn_rp_id" and value is None:
        return settings.effective_webauthn_rp_id
    if isinstance(value, SecretStr):
        return "********"
    if value is None:
        return "(unset)"
    if name == "redis_url":
        return masked_url(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, timedelta):
        return str(_DURATION.dump_python(value, mode="json"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def masked_url(url: str) -> str:
    """A database or Redis URL with its password, if any, replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning any problem into one ``SettingsError`` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        prefix = f"Invalid setting {where}" if where else "Invalid setting"
        raise SettingsError(f"{prefix}: {message}") from None
