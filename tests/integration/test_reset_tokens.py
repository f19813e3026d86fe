"""Password-reset tokens signed by itsdangerous: bound to one account's current state,
timed by the clock passed in, and never raising on a token that is not ours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from domain.users import User
from domain.values import EmailAddress, PasswordHash
from infrastructure.tokens import SALT, SignedResetTokens
from tests.integration.builders import a_user

SECRET = "x" * 40
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def tokens() -> SignedResetTokens:
    return SignedResetTokens(SECRET, max_age=timedelta(hours=1))


@pytest.fixture
def user() -> User:
    return a_user(created_at=T0 - timedelta(days=3))


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def flip_middle(part: str) -> str:
    """``part`` with its middle character replaced by another from the same alphabet.

    The middle, not the end: the last base64 character of a signature partly encodes
    padding bits, so some changes there decode to the same bytes.
    """
    middle = len(part) // 2
    other = "A" if part[middle] != "A" else "B"
    return part[:middle] + other + part[middle + 1 :]


def test_a_token_checks_for_its_user_and_claims_their_id(
    tokens: SignedResetTokens, user: User
) -> None:
    token = tokens.make_token(user, now=T0)
    assert tokens.check_token(user, token, now=later(1))
    assert tokens.claimed_user(token) == user.id


def test_a_token_is_good_until_max_age_and_dead_after_it(
    tokens: SignedResetTokens, user: User
) -> None:
    token = tokens.make_token(user, now=T0)
    assert tokens.check_token(user, token, now=later(59))
    assert not tokens.check_token(user, token, now=later(61))


def test_a_token_fails_for_a_time_before_it_was_issued(
    tokens: SignedResetTokens, user: User
) -> None:
    token = tokens.make_token(user, now=T0)
    assert not tokens.check_token(user, token, now=later(-1))


def test_a_token_fails_for_another_user(tokens: SignedResetTokens, user: User) -> None:
    token = tokens.make_token(user, now=T0)
    assert not tokens.check_token(a_user(), token, now=later(1))


def test_a_token_dies_when_the_password_changes(tokens: SignedResetTokens, user: User) -> None:
    token = tokens.make_token(user, now=T0)
    user.change_password(PasswordHash("$argon2id$v=19$m=1024,t=1,p=1$another"), now=later(1))
    assert not tokens.check_token(user, token, now=later(2))


def test_a_token_dies_when_the_address_changes(tokens: SignedResetTokens, user: User) -> None:
    token = tokens.make_token(user, now=T0)
    user.update_profile(
        first_name=user.first_name,
        last_name=user.last_name,
        email=EmailAddress(f"moved-{user.username}@example.org"),
        now=later(1),
    )
    assert not tokens.check_token(user, token, now=later(2))


def test_a_token_dies_when_the_user_signs_in(tokens: SignedResetTokens, user: User) -> None:
    token = tokens.make_token(user, now=T0)
    user.record_login(now=later(1))
    assert not tokens.check_token(user, token, now=later(2))


def test_a_token_survives_a_change_of_name(tokens: SignedResetTokens, user: User) -> None:
    token = tokens.make_token(user, now=T0)
    user.update_profile(first_name="Ada", last_name="Byron", email=user.email, now=later(1))
    assert tokens.check_token(user, token, now=later(2))


def test_a_token_signed_with_another_secret_is_refused(
    tokens: SignedResetTokens, user: User
) -> None:
    foreign = SignedResetTokens("y" * 40, max_age=timedelta(hours=1)).make_token(user, now=T0)
    assert not tokens.check_token(user, foreign, now=later(1))
    assert tokens.claimed_user(foreign) is None


def alter_payload(token: str) -> str:
    payload, _, signature = token.rpartition(".")
    return f"{flip_middle(payload)}.{signature}"


def alter_signature(token: str) -> str:
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{flip_middle(signature)}"


TAMPERINGS: dict[str, Callable[[str], str]] = {
    "truncated by one": lambda token: token[:-1],
    "cut in half": lambda token: token[: len(token) // 2],
    "payload altered": alter_payload,
    "signature altered": alter_signature,
    "signature dropped": lambda token: token.rpartition(".")[0],
}


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_a_tampered_token_fails_and_claims_no_one(
    tokens: SignedResetTokens, user: User, kind: str
) -> None:
    bad = TAMPERINGS[kind](tokens.make_token(user, now=T0))
    assert not tokens.check_token(user, bad, now=later(1))
    assert tokens.claimed_user(bad) is None


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "not-a-token", "a.b.c", "%%%.###", "é" * 40, "A" * 5000],
)
def test_garbage_fails_and_claims_no_one(
    tokens: SignedResetTokens, user: User, garbage: str
) -> None:
    assert not tokens.check_token(user, garbage, now=later(1))
    assert tokens.claimed_user(garbage) is None


@pytest.mark.parametrize(
    "payload",
    [
        "just a string",
        {"id": "x"},
        ["not-hex", 0, "f"],
        ["0" * 32, "not a time", "f"],
        ["0" * 32, None, "f"],
        ["0" * 32, 0],
    ],
    ids=["string", "object", "bad id", "bad time", "no time", "two items"],
)
def test_a_correctly_signed_value_of_the_wrong_shape_claims_no_one(
    tokens: SignedResetTokens, user: User, payload: object
) -> None:
    token = URLSafeSerializer(SECRET, salt=SALT).dumps(payload)
    assert not tokens.check_token(user, token, now=later(1))
    assert tokens.claimed_user(token) is None
