"""The User aggregate changes itself through named methods and records what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import errors, events
from domain.roles import ADMIN
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def new_user(**names: str) -> User:
    user = User.register(
        Username("alice"), EmailAddress("alice@example.com"), PasswordHash("hash-1"), now=NOW
    )
    for attribute, value in names.items():
        setattr(user, attribute, value)
    return user


@pytest.fixture
def user() -> User:
    """A registered user whose registration event has already been taken away."""
    registered = new_user()
    registered.events.clear()
    return registered


def test_register_records_exactly_one_user_registered() -> None:
    user = new_user()
    assert user.events == [
        events.UserRegistered(
            occurred_at=NOW, user_id=user.id, username="alice", email="alice@example.com"
        )
    ]


def test_register_makes_an_active_account_with_no_roles_created_now() -> None:
    user = new_user()
    assert user.active
    assert user.roles == set()
    assert user.created_at == NOW
    assert user.last_login_at is None
    assert ADMIN not in user.roles


def test_every_registered_user_gets_its_own_id() -> None:
    assert new_user().id != new_user().id


@pytest.mark.parametrize(
    ("first_name", "last_name", "full_name"),
    [
        ("", "", "alice"),
        ("Anna", "", "Anna"),
        ("", "Smith", "Smith"),
        ("Anna", "Smith", "Anna Smith"),
    ],
)
def test_full_name_falls_back_to_whichever_name_is_set_then_the_username(
    first_name: str, last_name: str, full_name: str
) -> None:
    assert new_user(first_name=first_name, last_name=last_name).full_name == full_name


def test_record_login_sets_last_login_and_records_user_logged_in(user: User) -> None:
    user.record_login(now=LATER)
    assert user.last_login_at == LATER
    assert user.events == [
        events.UserLoggedIn(occurred_at=LATER, user_id=user.id, username="alice")
    ]


def test_record_login_refuses_an_inactive_user(user: User) -> None:
    user.active = False
    with pytest.raises(errors.InactiveUser):
        user.record_login(now=LATER)
    assert user.last_login_at is None
    assert user.events == []


def test_grant_role_records_role_granted_once_however_often_it_is_called(user: User) -> None:
    user.grant_role("admin", now=LATER)
    user.grant_role("admin", now=LATER)
    user.grant_role("ADMIN", now=LATER)
    assert user.roles == {"admin"}
    assert user.events == [events.RoleGranted(occurred_at=LATER, user_id=user.id, role="admin")]


def test_grant_role_rejects_an_invalid_role_name(user: User) -> None:
    with pytest.raises(errors.InvalidRoleName):
        user.grant_role("a b", now=LATER)
    assert user.roles == set()


def test_revoke_role_removes_a_held_role_and_records_role_revoked(user: User) -> None:
    user.grant_role("editor", now=NOW)
    user.events.clear()
    user.revoke_role("Editor", now=LATER)
    assert user.roles == set()
    assert user.events == [events.RoleRevoked(occurred_at=LATER, user_id=user.id, role="editor")]


def test_revoke_role_of_an_unheld_role_records_nothing(user: User) -> None:
    user.revoke_role("admin", now=LATER)
    assert user.roles == set()
    assert user.events == []


def test_deactivate_records_user_deactivated_only_when_the_user_was_active(user: User) -> None:
    user.deactivate(now=LATER)
    user.deactivate(now=LATER)
    assert not user.active
    assert user.events == [events.UserDeactivated(occurred_at=LATER, user_id=user.id)]


def test_activate_records_nothing_for_an_active_user(user: User) -> None:
    user.activate(now=LATER)
    assert user.active
    assert user.events == []


def test_activate_after_deactivate_records_both_changes(user: User) -> None:
    user.deactivate(now=NOW)
    user.activate(now=LATER)
    assert user.active
    assert user.events == [
        events.UserDeactivated(occurred_at=NOW, user_id=user.id),
        events.UserActivated(occurred_at=LATER, user_id=user.id),
    ]


def test_change_password_stores_the_new_hash_and_records_password_changed(user: User) -> None:
    user.change_password(PasswordHash("hash-2"), now=LATER)
    assert user.password_hash == PasswordHash("hash-2")
    assert user.events == [events.PasswordChanged(occurred_at=LATER, user_id=user.id)]


def test_rehash_password_stores_the_new_hash_and_records_nothing(user: User) -> None:
    user.rehash_password(PasswordHash("hash-2"))
    assert user.password_hash == PasswordHash("hash-2")
    assert user.events == []


def test_a_users_repr_does_not_show_the_password_hash(user: User) -> None:
    assert "hash-1" not in repr(user)


@pytest.mark.parametrize("via", ["change", "reset"])
def test_change_password_records_how_the_password_was_replaced(user: User, via: str) -> None:
    user.change_password(PasswordHash("hash-2"), now=LATER, via=via)
    assert user.password_hash == PasswordHash("hash-2")
    assert user.events == [events.PasswordChanged(occurred_at=LATER, user_id=user.id, via=via)]


@pytest.mark.parametrize(
    ("first_name", "last_name", "email", "changed"),
    [
        ("Anna", "", "alice@example.com", "first_name"),
        ("", "Smith", "alice@example.com", "last_name"),
        ("", "", "anna@example.com", "email"),
        ("", "Smith", "anna@example.com", "last_name,email"),
        ("Anna", "Smith", "anna@example.com", "first_name,last_name,email"),
    ],
)
def test_update_profile_records_profile_updated_naming_exactly_what_changed(
    user: User, first_name: str, last_name: str, email: str, changed: str
) -> None:
    user.update_profile(
        first_name=first_name, last_name=last_name, email=EmailAddress(email), now=LATER
    )
    assert (user.first_name, user.last_name, user.email.value) == (first_name, last_name, email)
    assert user.events == [
        events.ProfileUpdated(occurred_at=LATER, user_id=user.id, changed=changed)
    ]


def test_update_profile_with_the_same_values_records_nothing(user: User) -> None:
    user.update_profile(
        first_name="", last_name="", email=EmailAddress("alice@example.com"), now=LATER
    )
    assert (user.first_name, user.last_name, user.email.value) == ("", "", "alice@example.com")
    assert user.events == []


def test_update_profile_keeps_a_new_letter_case_of_the_address_as_a_change(user: User) -> None:
    user.update_profile(
        first_name="", last_name="", email=EmailAddress("Alice@example.com"), now=LATER
    )
    assert user.email.value == "Alice@example.com"
    assert user.events == [
        events.ProfileUpdated(occurred_at=LATER, user_id=user.id, changed="email")
    ]
