"""The Invitation aggregate: a link that works once, until it expires, unless it is
revoked or replaced; only the token's hash is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain import errors, events
from domain.invitations import (
    ROLES_MAX,
    InvalidInvitation,
    Invitation,
    InvitationAccepted,
    InvitationClosed,
    InvitationCreated,
    InvitationResent,
    InvitationRevoked,
    hash_token,
    new_token,
)
from domain.values import EmailAddress

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


FIRST = "first-token"


def issued(token: str = FIRST, roles: frozenset[str] = frozenset({"editor"})) -> Invitation:
    return Invitation.issue(
        EmailAddress("grace@example.com"), roles, token, now=NOW, lifetime=WEEK, invited_by=None
    )


def test_an_invitation_keeps_only_the_hash_of_its_token() -> None:
    invitation = issued("first-token")
    assert invitation.token_hash == hash_token("first-token") != "first-token"
    assert "first-token" not in repr(invitation)


def test_issuing_records_the_link_for_the_mail_but_not_for_the_trail() -> None:
    invitation = issued("first-token")
    [created] = invitation.events
    assert isinstance(created, InvitationCreated)
    assert (created.token, created.email, created.roles) == (
        "first-token",
        "grace@example.com",
        "editor",
    )
    assert "token" not in events.public_fields(created)


def test_a_new_invitation_is_pending_until_it_expires() -> None:
    invitation = issued()
    assert invitation.status(now=NOW) == "pending"
    assert invitation.status(now=NOW + WEEK - timedelta(seconds=1)) == "pending"
    assert invitation.status(now=NOW + WEEK) == "expired"
    assert invitation.is_open()


def test_accepting_uses_the_invitation_up_for_the_new_account() -> None:
    invitation, user_id = issued(), uuid4()
    invitation.accept(user_id, now=NOW + timedelta(days=1))
    assert invitation.status(now=NOW + timedelta(days=1)) == "accepted"
    assert (invitation.accepted_by, invitation.is_open()) == (user_id, False)
    assert isinstance(invitation.events[-1], InvitationAccepted)
    with pytest.raises(InvalidInvitation):
        invitation.accept(uuid4(), now=NOW + timedelta(days=1))


@pytest.mark.parametrize(
    "close",
    [
        lambda invitation: invitation.revoke(now=NOW),
        lambda invitation: invitation.accept(uuid4(), now=NOW),
    ],
    ids=["revoked", "accepted"],
)
def test_a_closed_invitation_cannot_be_accepted_or_resent(close: object) -> None:
    invitation = issued()
    close(invitation)  # type: ignore[operator]
    with pytest.raises(InvalidInvitation):
        invitation.accept(uuid4(), now=NOW)
    with pytest.raises(InvitationClosed):
        invitation.renew("second-token", now=NOW, lifetime=WEEK)


def test_an_expired_invitation_cannot_be_accepted_but_can_be_resent() -> None:
    invitation = issued("first-token")
    later = NOW + WEEK + timedelta(days=1)
    with pytest.raises(InvalidInvitation):
        invitation.accept(uuid4(), now=later)
    invitation.renew("second-token", now=later, lifetime=WEEK)
    assert invitation.status(now=later) == "pending"
    assert invitation.expires_at == later + WEEK
    assert invitation.token_hash == hash_token("second-token")
    resent = invitation.events[-1]
    assert isinstance(resent, InvitationResent) and resent.token == "second-token"


def test_revoking_twice_records_one_revocation_and_a_used_one_refuses() -> None:
    invitation = issued()
    invitation.revoke(now=NOW)
    invitation.revoke(now=NOW + timedelta(hours=1))
    assert invitation.revoked_at == NOW
    assert [type(each) for each in invitation.events[1:]] == [InvitationRevoked]
    used = issued()
    used.accept(uuid4(), now=NOW)
    with pytest.raises(InvitationClosed):
        used.revoke(now=NOW)


def test_an_invitation_grants_a_bounded_number_of_roles() -> None:
    too_many = frozenset(f"role{i}" for i in range(ROLES_MAX + 1))
    with pytest.raises(errors.ValidationFailed):
        issued(roles=too_many)
    assert len(issued(roles=frozenset(list(too_many)[:ROLES_MAX])).roles) == ROLES_MAX


def test_tokens_are_long_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(
        len(token) >= 43 and token.replace("-", "").replace("_", "").isalnum() for token in tokens
    )
