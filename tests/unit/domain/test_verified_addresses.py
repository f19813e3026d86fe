"""An account's address is verified once its holder proves it; a new address takes
effect, verified, only the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import errors, events
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def registered(*, verified: bool = False) -> User:
    user = User.register(
        Username("alice"),
        EmailAddress("alice@example.com"),
        PasswordHash("h"),
        now=NOW,
        verified=verified,
    )
    user.events.clear()
    return user


def test_a_registration_is_unverified_and_an_operators_creation_verified() -> None:
    assert not registered().email_verified
    assert registered(verified=True).email_verified_at == NOW


def test_proving_the_current_address_verifies_it_once() -> None:
    user = registered()
    user.verify_email(EmailAddress("ALICE@example.com"), now=NOW)
    assert user.email_verified_at == NOW
    assert user.events == [
        events.EmailVerified(occurred_at=NOW, user_id=user.id, email="ALICE@example.com", by="link")
    ]
    with pytest.raises(errors.EmailAlreadyVerified):
        user.verify_email(EmailAddress("alice@example.com"), now=NOW)


def test_proving_a_new_address_makes_it_the_current_one_verified() -> None:
    user = registered(verified=True)
    user.verify_email(EmailAddress("ally@example.org"), now=NOW)
    assert (str(user.email), user.email_verified_at) == ("ally@example.org", NOW)
    assert user.events == [
        events.EmailChanged(
            occurred_at=NOW,
            user_id=user.id,
            old_email="alice@example.com",
            email="ally@example.org",
        )
    ]
