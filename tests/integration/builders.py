"""Users for the integration tests, with unique names and a placeholder hash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from tests.conftest import unique_name

PLACEHOLDER_HASH = PasswordHash("$argon2id$v=19$m=1024,t=1,p=1$placeholder")


def a_user(
    username: str | None = None,
    email: str | None = None,
    *,
    created_at: datetime | None = None,
) -> User:
    """A freshly registered user (it carries a ``UserRegistered`` event)."""
    name = username or unique_name("Member")
    return User.register(
        Username(name),
        EmailAddress(email or f"{name}@Example.COM"),
        PLACEHOLDER_HASH,
        now=created_at or datetime.now(UTC),
    )


def snapshot(user: User) -> dict[str, Any]:
    """Everything stored about a user; ``User`` compares by identity, so tests compare this."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "password_hash": user.password_hash,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "active": user.active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "roles": set(user.roles),
    }
