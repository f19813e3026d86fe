"""Address links signed by itsdangerous: bound to the account, the address to verify and
the account's address and verified state; they expire, die once used, and never raise
on a token that is not ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.users import User
from domain.values import EmailAddress
from infrastructure.tokens import SignedAddressTokens, SignedResetTokens
from tests.integration.builders import a_user

SECRET = "x" * 40
T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
THREE_DAYS = timedelta(days=3)


@pytest.fixture
def tokens() -> SignedAddressTokens:
    return SignedAddressTokens(SECRET, max_age=THREE_DAYS)


@pytest.fixture
def user() -> User:
    return a_user(created_at=T0 - timedelta(days=1))


def test_a_link_for_the_current_address_works_until_it_is_used(
    tokens: SignedAddressTokens, user: User
) -> None:
    token = tokens.make_token(user, user.email, now=T0)
    assert tokens.claimed(token) == (user.id, str(user.email))
    assert tokens.check_token(user, user.email, token, now=T0 + THREE_DAYS)
    user.verify_email(user.email, now=T0)
    assert not tokens.check_token(user, user.email, token, now=T0)  # spent


def test_a_link_expires_after_its_age_and_is_not_good_before_it_was_made(
    tokens: SignedAddressTokens, user: User
) -> None:
    token = tokens.make_token(user, user.email, now=T0)
    assert not tokens.check_token(
        user, user.email, token, now=T0 + THREE_DAYS + timedelta(seconds=1)
    )
    assert not tokens.check_token(user, user.email, token, now=T0 - timedelta(seconds=1))


def test_a_link_for_a_new_address_dies_when_the_address_changes_any_other_way(
    tokens: SignedAddressTokens, user: User
) -> None:
    new = EmailAddress("new@example.org")
    token = tokens.make_token(user, new, now=T0)
    assert tokens.check_token(user, new, token, now=T0)
    assert not tokens.check_token(user, EmailAddress("other@example.org"), token, now=T0)
    user.verify_email(EmailAddress("third@example.org"), now=T0)
    assert not tokens.check_token(user, new, token, now=T0)


def test_another_accounts_or_another_kinds_token_is_refused(
    tokens: SignedAddressTokens, user: User
) -> None:
    other = a_user()
    mine = tokens.make_token(user, user.email, now=T0)
    assert not tokens.check_token(other, user.email, mine, now=T0)
    reset = SignedResetTokens(SECRET, max_age=THREE_DAYS).make_token(user, now=T0)
    assert tokens.claimed(reset) is None
    assert not tokens.check_token(user, user.email, reset, now=T0)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 600, "é\\u0000"])
def test_a_token_that_is_not_ours_is_refused_without_raising(
    tokens: SignedAddressTokens, user: User, token: str
) -> None:
    assert tokens.claimed(token) is None
    assert not tokens.check_token(user, user.email, token, now=T0)
