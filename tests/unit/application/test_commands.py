"""Commands bound sizes and refuse unknown fields before the domain looks closer."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from application.commands import Authenticate, ListMembers, RegisterUser

VALID = {"username": "alice", "email": "alice@example.com", "password": "a" * 12}


def test_register_user_accepts_a_valid_sign_up() -> None:
    assert RegisterUser(**VALID).username == "alice"


def test_register_user_rejects_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        RegisterUser(**VALID, is_admin=True)
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "a" * 26),
        ("email", "a" * 243 + "@example.com"),
        ("password", "a" * 129),
        ("username", ""),
        ("password", ""),
    ],
)
def test_register_user_rejects_empty_and_overlong_values(field: str, value: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        RegisterUser(**(VALID | {field: value}))
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize("value", [None, 42, ["alice"]])
def test_register_user_rejects_values_that_are_not_strings(value: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        RegisterUser(**(VALID | {"username": value}))


def test_commands_never_show_the_password() -> None:
    secret = "correct horse battery staple"
    assert secret not in repr(RegisterUser(**(VALID | {"password": secret})))
    assert secret not in repr(Authenticate(login="alice", password=secret))


def test_authenticate_rejects_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        Authenticate(login="alice", password="secret", remember=True)


@pytest.mark.parametrize(
    "query", [{"page": 0}, {"per_page": 0}, {"per_page": 101}, {"page": 1_000_001}]
)
def test_list_members_bounds_page_and_page_size(query: dict[str, int]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ListMembers(**query)
