"""The invitation repository over Core tables, through the real unit of work on both
backends: found by its token's hash, listed newest first, closed only once when a
revocation and a registration race, and gone with the account it made."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.invitations import (
    InvalidInvitation,
    Invitation,
    InvitationClosed,
    hash_token,
    new_token,
)
from domain.values import EmailAddress
from infrastructure.db.tables import audit_events, invitations
from tests.conftest import unique_name
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)
WEEK = timedelta(days=7)


async def stored(
    new_uow: UowFactory, email: str | None = None, *, at: datetime = NOW
) -> tuple[Invitation, str]:
    token = new_token()
    invitation = Invitation.issue(
        EmailAddress(email or f"{unique_name('guest')}@Example.org"),
        frozenset({"admin"}),
        token,
        now=at,
        lifetime=WEEK,
        invited_by=None,
    )
    async with new_uow() as uow:
        uow.invitations.add(invitation)
        await uow.commit()
    return invitation, token


async def test_an_invitation_is_stored_found_by_its_token_and_audited(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    made, token = await stored(new_uow, "Grace.Hopper@Example.org")
    async with new_uow() as uow:
        found = await uow.invitations.get_by_token(token)
        assert await uow.invitations.get_by_token(hash_token(token)) is None  # not the hash
        assert await uow.invitations.get_by_token("x" * 500) is None
    assert found is not None
    assert (found.id, str(found.email), found.email.key, found.roles) == (
        made.id,
        "Grace.Hopper@example.org",
        "grace.hopper@example.org",
        frozenset({"admin"}),
    )
    assert (found.created_at, found.expires_at, found.status(now=NOW)) == (
        NOW,
        NOW + WEEK,
        "pending",
    )
    async with clean_engine.connect() as connection:
        hashes = (await connection.execute(select(invitations.c.token_hash))).scalars().all()
        kinds = (await connection.execute(select(audit_events.c.event_type))).scalars().all()
    assert hashes == [hash_token(token)]
    assert kinds == ["InvitationCreated"]


async def test_open_invitations_of_an_address_in_any_letter_case(new_uow: UowFactory) -> None:
    email = f"{unique_name('guest')}@example.org"
    first, _ = await stored(new_uow, email)
    second, _ = await stored(new_uow, email)
    async with new_uow() as uow:
        revoked = await uow.invitations.get(second.id)
        assert revoked is not None
        revoked.revoke(now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        found = await uow.invitations.open_for(EmailAddress(email.upper()))
    assert [each.id for each in found] == [first.id]


async def test_resending_writes_the_new_hash_and_expiry(new_uow: UowFactory) -> None:
    made, old = await stored(new_uow)
    fresh, later = new_token(), NOW + timedelta(days=3)
    async with new_uow() as uow:
        found = await uow.invitations.get(made.id)
        assert found is not None
        found.renew(fresh, now=later, lifetime=WEEK)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.invitations.get_by_token(old) is None
        renewed = await uow.invitations.get_by_token(fresh)
    assert renewed is not None and renewed.expires_at == later + WEEK


async def test_pages_list_the_newest_first_with_the_total(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    made = [(await stored(new_uow, at=NOW + timedelta(minutes=i)))[0] for i in range(5)]
    async with new_uow() as uow:
        first = await uow.invitations.page(offset=0, limit=2)
        last = await uow.invitations.page(offset=4, limit=2)
        beyond = await uow.invitations.page(offset=10, limit=2)
    assert [each.id for each in first.invitations] == [made[4].id, made[3].id]
    assert [each.id for each in last.invitations] == [made[0].id]
    assert (first.total, last.total, beyond.total, beyond.invitations) == (5, 5, 5, [])


async def test_of_a_revocation_and_an_acceptance_racing_only_the_first_holds(
    new_uow: UowFactory,
) -> None:
    made, _ = await stored(new_uow)
    user = a_user()
    async with new_uow() as setup:
        setup.users.add(user)
        await setup.commit()
    async with new_uow() as revoking, new_uow() as accepting:
        by_admin = await revoking.invitations.get(made.id)
        by_invitee = await accepting.invitations.get(made.id)
        assert by_admin is not None and by_invitee is not None
        by_admin.revoke(now=NOW)
        by_invitee.accept(user.id, now=NOW)
        await revoking.commit()
        with pytest.raises(InvalidInvitation):
            await accepting.commit()
    async with new_uow() as uow:
        found = await uow.invitations.get(made.id)
    assert found is not None and found.status(now=NOW) == "revoked"
    assert found.accepted_by is None


async def test_a_resend_after_someone_closed_it_fails(new_uow: UowFactory) -> None:
    made, _ = await stored(new_uow)
    async with new_uow() as first, new_uow() as second:
        revoking = await first.invitations.get(made.id)
        resending = await second.invitations.get(made.id)
        assert revoking is not None and resending is not None
        revoking.revoke(now=NOW)
        resending.renew(new_token(), now=NOW, lifetime=WEEK)
        await first.commit()
        with pytest.raises(InvitationClosed):
            await second.commit()


async def test_deleting_the_account_an_invitation_made_deletes_the_invitation(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    made, _ = await stored(new_uow)
    user = a_user()
    async with new_uow() as uow:
        found = await uow.invitations.get(made.id)
        assert found is not None
        found.accept(user.id, now=NOW)
        uow.users.add(user)
        await uow.commit()
    async with new_uow() as uow:
        gone = await uow.users.get(user.id)
        assert gone is not None
        gone.delete(now=NOW, by="themselves")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.invitations.get(made.id) is None


async def test_parallel_units_of_work_each_store_their_own(new_uow: UowFactory) -> None:
    made = await asyncio.gather(*(stored(new_uow) for _ in range(6)))
    async with new_uow() as uow:
        listed = await uow.invitations.page(offset=0, limit=100)
    assert {each.id for each, _ in made} <= {each.id for each in listed.invitations}


async def test_of_thirty_units_of_work_accepting_one_invitation_one_wins(
    new_uow: UowFactory,
) -> None:
    made, _ = await stored(new_uow)
    invitees = [a_user() for _ in range(30)]

    async def accept(user: object) -> str:
        try:
            async with new_uow() as uow:
                found = await uow.invitations.get(made.id)
                assert found is not None
                found.accept(user.id, now=NOW)  # type: ignore[attr-defined]
                uow.users.add(user)  # type: ignore[arg-type]
                await uow.commit()
        except InvalidInvitation:
            return "refused"
        return "accepted"

    outcomes = await asyncio.gather(*(accept(user) for user in invitees))

    assert sorted(outcomes) == ["accepted"] + ["refused"] * 29
    async with new_uow() as uow:
        found = await uow.invitations.get(made.id)
        made_accounts = [await uow.users.get(user.id) for user in invitees]
    assert found is not None and found.accepted_by is not None
    assert [user.id for user in made_accounts if user is not None] == [found.accepted_by]
