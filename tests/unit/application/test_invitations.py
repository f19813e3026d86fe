"""Invitation use cases on fakes: administrators invite, resend and revoke; an invitee
registers once with the link, verified and holding the roles named; with invite-only
registration nobody else registers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from application.commands import DefineRole
from application.invitations import InvitationMail, Invite, ListInvitations
from application.results import UserDetail
from application.services import Services
from domain import errors
from domain.invitations import (
    InvalidInvitation,
    InvitationClosed,
    InvitationCreated,
    InvitationForAnotherAddress,
    InvitationNotFound,
    InvitationPending,
    InvitationRequired,
    InvitationResent,
)
from tests.fakes import FakeClock, FakeState, PlainMailTemplates, RecordingBus, RecordingMailer
from tests.unit.application.helpers import SignUp, acting, registration

GRACE = "grace@example.com"


@pytest.fixture
async def admin(make_admin: SignUp, services: Services) -> UserDetail:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editor"), acting(root))
    return root


def link_of(bus: RecordingBus, email: str = GRACE) -> str:
    """The token the newest mail-bound event for ``email`` carries."""
    sent = [
        event
        for event in bus.published
        if isinstance(event, InvitationCreated | InvitationResent) and event.email == email
    ]
    return sent[-1].token


async def invited(
    services: Services, admin: UserDetail, email: str = GRACE, roles: frozenset[str] = frozenset()
) -> str:
    await services.invite(Invite(email=email, roles=roles), acting(admin))
    assert isinstance(services.bus, RecordingBus)
    return link_of(services.bus, email)


async def test_an_invitee_registers_verified_with_the_roles_and_the_link_dies(
    services: Services, state: FakeState, admin: UserDetail
) -> None:
    token = await invited(services, admin, roles=frozenset({"Editor"}))
    assert await services.invited_address(token) == GRACE

    grace = await services.register_invited(registration("grace", GRACE), token)

    assert grace.email_verified and grace.roles == ("editor",)
    with pytest.raises(InvalidInvitation):
        await services.invited_address(token)
    with pytest.raises(InvalidInvitation):
        await services.register_invited(registration("grace2", GRACE), token)
    [listed] = (await services.list_invitations(ListInvitations(), acting(admin))).items
    assert (listed.status, listed.accepted_by, listed.invited_by) == ("accepted", grace.id, "root")


async def test_every_step_is_audited_with_who_did_it(
    services: Services, state: FakeState, admin: UserDetail, bus: RecordingBus
) -> None:
    token = await invited(services, admin)
    made = (await services.list_invitations(ListInvitations(), acting(admin))).items[0]
    await services.resend_invitation(made.id, acting(admin))
    grace = await services.register_invited(registration("grace", GRACE), link_of(bus))
    trail = [
        (e.event_type, e.actor_id, e.user_id) for e in state.audit if "Invitation" in e.event_type
    ]
    assert trail == [
        ("InvitationCreated", admin.id, None),
        ("InvitationResent", admin.id, None),
        ("InvitationAccepted", grace.id, grace.id),
    ]
    created = next(e for e in state.audit if e.event_type == "InvitationCreated")
    assert created.details["email"] == GRACE and "token" not in created.details
    assert token not in str([e.details for e in state.audit])


async def test_a_resent_invitation_kills_the_old_link_and_lasts_from_now(
    services: Services, admin: UserDetail, clock: FakeClock, bus: RecordingBus
) -> None:
    old = await invited(services, admin)
    made = (await services.list_invitations(ListInvitations(), acting(admin))).items[0]
    clock.advance(days=8)
    with pytest.raises(InvalidInvitation):
        await services.invited_address(old)

    resent = await services.resend_invitation(made.id, acting(admin))

    assert resent.status == "pending" and resent.expires_at == clock.now() + timedelta(days=7)
    with pytest.raises(InvalidInvitation):
        await services.invited_address(old)
    assert await services.invited_address(link_of(services.bus)) == GRACE  # type: ignore[arg-type]


async def test_a_revoked_invitation_stops_working_and_cannot_be_resent(
    services: Services, admin: UserDetail
) -> None:
    token = await invited(services, admin)
    made = (await services.list_invitations(ListInvitations(), acting(admin))).items[0]

    revoked = await services.revoke_invitation(made.id, acting(admin))

    assert revoked.status == "revoked"
    with pytest.raises(InvalidInvitation):
        await services.register_invited(registration("grace", GRACE), token)
    with pytest.raises(InvitationClosed):
        await services.resend_invitation(made.id, acting(admin))
    assert (await services.revoke_invitation(made.id, acting(admin))).status == "revoked"


async def test_a_used_invitation_cannot_be_revoked(services: Services, admin: UserDetail) -> None:
    token = await invited(services, admin)
    await services.register_invited(registration("grace", GRACE), token)
    made = (await services.list_invitations(ListInvitations(), acting(admin))).items[0]
    with pytest.raises(InvitationClosed):
        await services.revoke_invitation(made.id, acting(admin))


@pytest.mark.parametrize(
    ("invite", "error"),
    [
        (Invite(email="root@example.com"), errors.EmailTaken),
        (Invite(email="not an address"), errors.InvalidEmail),
        (Invite(email=GRACE, roles=frozenset({"nobody"})), errors.RoleNotFound),
        (Invite(email=GRACE, roles=frozenset({"a b"})), errors.InvalidRoleName),
    ],
    ids=["has-an-account", "bad-address", "unknown-role", "bad-role-name"],
)
async def test_what_cannot_be_invited_is_refused_and_nothing_is_sent(
    services: Services, state: FakeState, admin: UserDetail, invite: Invite, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await services.invite(invite, acting(admin))
    assert state.invitations == {}


async def test_an_address_with_a_pending_invitation_is_not_invited_twice(
    services: Services, state: FakeState, admin: UserDetail, clock: FakeClock
) -> None:
    await invited(services, admin)
    with pytest.raises(InvitationPending):
        await services.invite(Invite(email="GRACE@example.com"), acting(admin))
    clock.advance(days=8)  # once it expired, a fresh invitation may be made
    await services.invite(Invite(email=GRACE), acting(admin))
    assert len(state.invitations) == 2


async def test_only_active_administrators_manage_invitations(
    services: Services, state: FakeState, admin: UserDetail, sign_up: SignUp
) -> None:
    bob = await sign_up("bob")
    with pytest.raises(errors.PermissionDenied):
        await services.invite(Invite(email=GRACE), acting(bob))
    with pytest.raises(errors.PermissionDenied):
        await services.list_invitations(ListInvitations(), acting(bob))
    await invited(services, admin)
    made = next(iter(state.invitations))
    for act in (services.resend_invitation, services.revoke_invitation):
        with pytest.raises(errors.PermissionDenied):
            await act(made, acting(bob))
    assert next(iter(state.invitations.values())).is_open()


async def test_an_unknown_invitation_is_not_found(services: Services, admin: UserDetail) -> None:
    with pytest.raises(InvitationNotFound):
        await services.resend_invitation(uuid4(), acting(admin))


async def test_the_link_registers_only_the_address_it_invites(
    services: Services, state: FakeState, admin: UserDetail
) -> None:
    token = await invited(services, admin)
    with pytest.raises(InvitationForAnotherAddress):
        await services.register_invited(registration("mallory", "mallory@example.com"), token)
    assert all(str(user.username) != "mallory" for user in state.users.values())
    assert next(iter(state.invitations.values())).is_open()


@pytest.mark.parametrize("token", ["", "x" * 500, "made-up-token"])
async def test_a_bad_link_is_one_error_and_changes_nothing(
    services: Services, state: FakeState, token: str
) -> None:
    with pytest.raises(InvalidInvitation):
        await services.register_invited(registration("grace", GRACE), token)
    assert len(state.users) == 0


async def test_a_role_deleted_since_the_invitation_is_not_granted(
    services: Services, admin: UserDetail
) -> None:
    token = await invited(services, admin, roles=frozenset({"editor", "admin"}))
    await services.delete_role("editor", acting(admin))
    grace = await services.register_invited(registration("grace", GRACE), token)
    assert grace.roles == ("admin",)


async def test_two_registrations_racing_with_one_link_make_one_account(
    services: Services, state: FakeState, admin: UserDetail
) -> None:
    token = await invited(services, admin)
    outcomes = await asyncio.gather(
        *(services.register_invited(registration(f"grace{i}", GRACE), token) for i in range(5)),
        return_exceptions=True,
    )
    made = [each for each in outcomes if isinstance(each, UserDetail)]
    assert len(made) == 1
    assert all(isinstance(each, InvalidInvitation) for each in outcomes if each not in made)
    assert [str(u.email) for u in state.users.values()].count(GRACE) == 1


async def test_invite_only_registration_refuses_the_open_form(services: Services) -> None:
    closed = replace(services, invite_only=True)
    with pytest.raises(InvitationRequired):
        await closed.register(registration("eve"))
    with pytest.raises(InvitationRequired):
        await closed.register_quietly(registration("eve"))


async def test_invite_only_registration_still_lets_the_invited_in(
    services: Services, admin: UserDetail
) -> None:
    closed = replace(services, invite_only=True)
    token = await invited(closed, admin)
    assert (await closed.register_invited(registration("grace", GRACE), token)).username == "grace"


async def test_the_mail_carries_the_link_and_how_long_it_works(
    services: Services, admin: UserDetail, bus: RecordingBus
) -> None:
    mailer = RecordingMailer()
    mail = InvitationMail(mailer=mailer, templates=PlainMailTemplates(), lifetime=timedelta(days=7))
    mail.subscribe(bus)
    await services.invite(Invite(email=GRACE), acting(admin))
    await bus.drain()
    [sent] = mailer.sent
    assert (sent.to, sent.subject) == (GRACE, "invitation")
    assert f"token={link_of(bus)}" in sent.text and "days=7 days" in sent.text
