"""The relational schema as SQLAlchemy Core tables; the migrations are derived from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from domain.sessions import USER_AGENT_MAX

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamp(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which stores them naive."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("username", String(25), nullable=False),
    # Casefolded copies of username and e-mail carry the uniqueness: "Alice" and
    # "alice" collide in the database itself, whatever the application checked.
    Column("username_key", String(25), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("first_name", String(30), nullable=False, default=""),
    Column("last_name", String(30), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Timestamp(), nullable=False),
    Column("last_login_at", Timestamp(), nullable=True),
    Column("email_verified_at", Timestamp(), nullable=True),
)
# The members list walks active users oldest first.
Index("ix_users_active_created_at", users.c.active, users.c.created_at)

roles = Table(
    "roles",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(25), nullable=False, unique=True),
    Column("description", String(200), nullable=False, default=""),
    Column("created_at", Timestamp(), nullable=False),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Uuid, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    Column("granted_at", Timestamp(), nullable=False),
)
Index("ix_user_roles_role_id", user_roles.c.role_id)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # sha256 of the cookie's key: the key itself is never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp(), nullable=False),
    Column("last_seen_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("persistent", Boolean, nullable=False),
    Column("user_agent", String(USER_AGENT_MAX), nullable=False, default=""),
    Column("ip", String(45), nullable=True),
    Column("revoked_at", Timestamp(), nullable=True),
    Column("api_token", Boolean, nullable=False, default=False, server_default=false()),
    # What proved the second factor (domain.sessions.SecondFactor), when one was asked.
    Column("second_factor", String(20), nullable=True),
)
Index("ix_sessions_user_id_last_seen_at", sessions.c.user_id, sessions.c.last_seen_at)

# No foreign keys: the trail outlives the accounts it mentions.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("occurred_at", Timestamp(), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("user_id", Uuid, nullable=True),
    Column("actor_id", Uuid, nullable=True),
    Column("ip", String(45), nullable=True),
    Column("details", JSON, nullable=False),
)
Index("ix_audit_events_occurred_at", audit_events.c.occurred_at)
Index("ix_audit_events_user_id_occurred_at", audit_events.c.user_id, audit_events.c.occurred_at)
Index(
    "ix_audit_events_event_type_occurred_at",
    audit_events.c.event_type,
    audit_events.c.occurred_at,
)

# Cache invalidations written with the change that calls for them and removed once the
# relay has delivered them (application/outbox.py). No foreign key: a message about an
# account outlives the account.
cache_outbox = Table(
    "cache_outbox",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", Timestamp(), nullable=False),
    Column("user_id", Uuid, nullable=True),
    Column("members", Boolean, nullable=False),
)
Index("ix_cache_outbox_created_at", cache_outbox.c.created_at)

two_factor = Table(
    "two_factor",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # Fernet tokens of a 32-character secret are about 140 characters.
    Column("secret_encrypted", String(500), nullable=False),
    Column("enabled_at", Timestamp(), nullable=False),
    Column("last_step", BigInteger, nullable=True),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column(
        "user_id",
        Uuid,
        ForeignKey("two_factor.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("code_hash", String(64), primary_key=True),
    Column("used_at", Timestamp(), nullable=True),
)

two_factor_pending = Table(
    "two_factor_pending",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("secret_encrypted", String(500), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
)

sign_in_challenges = Table(
    "sign_in_challenges",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("remember", Boolean, nullable=False),
    Column("api_token", Boolean, nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("used_at", Timestamp(), nullable=True),
)
Index("ix_sign_in_challenges_user_id", sign_in_challenges.c.user_id)

trusted_browsers = Table(
    "trusted_browsers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # sha256 of the cookie's token: the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("last_used_at", Timestamp(), nullable=False),
    Column("user_agent", String(USER_AGENT_MAX), nullable=False),
    Column("ip", String(45), nullable=True),
    Column("revoked_at", Timestamp(), nullable=True),
)
Index("ix_trusted_browsers_user_id", trusted_browsers.c.user_id)

passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Uuid, primary_key=True),
    # The user handle authenticators keep is this id's 16 bytes, checked at each sign-in.
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # WebAuthn allows 1023 bytes; authenticators use 16 to 64.
    Column("credential_id", LargeBinary(1023), nullable=False, unique=True),
    Column("public_key", LargeBinary(2048), nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("name", String(60), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("transports", String(100), nullable=False),  # comma-separated
    Column("authenticator", String(40), nullable=False),
    Column("last_used_at", Timestamp(), nullable=True),
)
Index("ix_passkeys_user_id", passkeys.c.user_id)

passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("ceremony", String(20), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("sign_in_challenge", String(64), nullable=True),
    Column("used_at", Timestamp(), nullable=True),
)
Index("ix_passkey_challenges_expires_at", passkey_challenges.c.expires_at)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("roles", String(260), nullable=False),  # comma-separated role names
    # sha256 of the link's token: the token itself is only ever mailed.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp(), nullable=False),
    Column("expires_at", Timestamp(), nullable=False),
    Column("invited_by", Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("accepted_at", Timestamp(), nullable=True),
    # Deleting the account that used the invitation deletes it too: it names the address.
    Column("accepted_by", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("revoked_at", Timestamp(), nullable=True),
)
Index("ix_invitations_email_key", invitations.c.email_key)
Index("ix_invitations_created_at", invitations.c.created_at)

# Prefix search (admin user search) on PostgreSQL: LIKE 'abc%' can use these whatever
# the database's collation. SQLite searches the unique indexes by range instead.
for _column in (users.c.username_key, users.c.email_key):
    Index(
        f"ix_users_{_column.name}_pattern",
        _column,
        postgresql_ops={_column.name: "varchar_pattern_ops"},
    ).ddl_if(dialect="postgresql")
