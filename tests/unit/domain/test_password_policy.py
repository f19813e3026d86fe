"""The password policy: length, not digits alone, not common, not like the account's names."""

from __future__ import annotations

import pytest

from domain import errors
from domain.password_policy import MAX_LENGTH, MIN_LENGTH, check_password, password_problem

GOOD = "correct horse battery staple"


def test_a_long_passphrase_passes() -> None:
    assert password_problem(GOOD, username="johnsmith", email="john.smith@example.com") is None
    check_password(GOOD, username="johnsmith", email="john.smith@example.com")


def test_the_shortest_and_longest_allowed_passwords_pass() -> None:
    assert password_problem("kq7#vRz!") is None
    longest = ((GOOD + " ") * 5)[:MAX_LENGTH]
    assert len(longest) == MAX_LENGTH
    assert password_problem(longest) is None


@pytest.mark.parametrize(
    ("password", "hint"),
    [
        pytest.param("kq7#vRz", f"at least {MIN_LENGTH}", id="7-characters"),
        pytest.param("x" * 129, f"at most {MAX_LENGTH}", id="129-characters"),
        pytest.param("48213975", "digits", id="all-digits"),
        pytest.param("password123", "common", id="common"),
        pytest.param("PassWord123", "common", id="common-in-other-letter-case"),
        pytest.param("qwertyuiop", "common", id="common-keyboard-walk"),
    ],
)
def test_a_weak_password_is_named_with_the_rule_it_breaks(password: str, hint: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert hint in problem


@pytest.mark.parametrize(
    ("password", "username", "email"),
    [
        pytest.param("johnsmith1", "johnsmith", "", id="username-plus-digit"),
        pytest.param("JohnSmith!!", "johnsmith", "", id="username-in-other-case"),
        pytest.param("jsmith2024", "jsmith", "", id="username-plus-year"),
        pytest.param("john.smith1", "", "john.smith@example.com", id="email-local-part"),
        pytest.param("Smith2024!", "", "john.smith@example.com", id="part-of-email"),
        pytest.param("john.smith@example.co", "", "john.smith@example.com", id="whole-email"),
    ],
)
def test_a_password_too_similar_to_the_username_or_email_is_weak(
    password: str, username: str, email: str
) -> None:
    problem = password_problem(password, username=username, email=email)
    assert problem is not None
    assert "similar" in problem


def test_the_same_password_is_fine_for_an_unrelated_account() -> None:
    assert password_problem("johnsmith1", username="mary", email="mary@example.com") is None


def test_check_password_raises_weak_password_for_the_password_field() -> None:
    with pytest.raises(errors.WeakPassword) as caught:
        check_password("password123")
    assert caught.value.field == "password"
    assert caught.value.message == "This password is too common."
    assert str(caught.value) == caught.value.message
