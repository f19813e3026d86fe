"""The passkey repository over Core tables, through the real unit of work, on both
backends: stored as given, a use written only over the count it read, a removal deletes
the row, a challenge spent once, the same credential never twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import errors
from domain.passkeys import (
    Assertion,
    Ceremony,
    NewCredential,
    Passkey,
    PasskeyChallenge,
    challenge_digest,
    new_challenge,
)
from domain.users import User
from infrastructure.db.tables import audit_events, passkeys
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)


async def a_member(new_uow: UowFactory) -> User:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    return user


def credential(tag: bytes = b"1", sign_count: int = 0) -> NewCredential:
    return NewCredential(
        credential_id=b"credential-" + tag,
        public_key=b"\x00\xffkey" * 20,
        sign_count=sign_count,
        transports=("internal", "hybrid"),
        authenticator="built into a device",
    )


async def added(
    new_uow: UowFactory, user: User, tag: bytes = b"1", *, at: datetime = NOW
) -> Passkey:
    passkey = Passkey.register(user.id, credential(tag), name="Laptop", now=at)
    async with new_uow() as uow:
        uow.client_ip = "198.51.100.9"
        uow.passkeys.add(passkey)
        await uow.commit()
    return passkey


async def test_a_passkey_is_stored_as_given_and_audited(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await a_member(new_uow)
    passkey = await added(new_uow, user)
    async with new_uow() as uow:
        by_id = await uow.passkeys.get(passkey.id)
        by_credential = await uow.passkeys.get_by_credential(b"credential-1")
    assert by_id is not None and by_credential is not None and by_id.id == by_credential.id
    assert (by_id.credential_id, by_id.public_key, by_id.sign_count) == (
        b"credential-1",
        b"\x00\xffkey" * 20,
        0,
    )
    assert (by_id.transports, by_id.authenticator, by_id.name) == (
        ("internal", "hybrid"),
        "built into a device",
        "Laptop",
    )
    assert (by_id.created_at, by_id.last_used_at, by_id.user_id) == (NOW, None, user.id)
    async with clean_engine.connect() as connection:
        rows = (
            await connection.execute(select(audit_events.c.event_type, audit_events.c.ip))
        ).all()
    assert ("PasskeyAdded", "198.51.100.9") in [tuple(row) for row in rows]


async def test_the_list_is_the_accounts_own_oldest_first(new_uow: UowFactory) -> None:
    user, other = await a_member(new_uow), await a_member(new_uow)
    second = await added(new_uow, user, b"2", at=NOW + timedelta(hours=1))
    first = await added(new_uow, user, b"1")
    await added(new_uow, other, b"3")
    async with new_uow() as uow:
        listed = await uow.passkeys.list_for_user(user.id)
    assert [passkey.id for passkey in listed] == [first.id, second.id]


async def test_a_use_and_a_new_name_are_written_and_a_removal_deletes_the_row(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await a_member(new_uow)
    passkey = await added(new_uow, user)
    async with new_uow() as uow:
        found = await uow.passkeys.get(passkey.id)
        assert found is not None
        found.use(Assertion(b"credential-1", sign_count=3), now=NOW + timedelta(days=1))
        found.rename("Phone")
        await uow.commit()
    async with new_uow() as uow:
        (found,) = await uow.passkeys.list_for_user(user.id)
        assert (found.sign_count, found.name) == (3, "Phone")
        assert found.last_used_at == NOW + timedelta(days=1)
        found.remove(now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.passkeys.get(passkey.id) is None
        assert await uow.passkeys.get_by_credential(b"credential-1") is None
    async with clean_engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(passkeys)) == 0


async def test_of_two_uses_read_at_once_only_the_first_is_written(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    passkey = await added(new_uow, user)
    first, second = new_uow(), new_uow()
    async with first, second:
        mine = await first.passkeys.get(passkey.id)
        theirs = await second.passkeys.get(passkey.id)
        assert mine is not None and theirs is not None
        mine.use(Assertion(b"credential-1", sign_count=1), now=NOW)
        await first.commit()
        theirs.use(Assertion(b"credential-1", sign_count=1), now=NOW)
        with pytest.raises(errors.InvalidPasskey):
            await second.commit()


async def test_the_same_credential_added_twice_at_once_is_kept_once(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await a_member(new_uow)

    async def add() -> None:
        async with new_uow() as uow:
            uow.passkeys.add(Passkey.register(user.id, credential(), name="", now=NOW))
            await uow.commit()

    outcomes = await asyncio.gather(add(), add(), return_exceptions=True)
    assert sum(isinstance(outcome, errors.InvalidPasskey) for outcome in outcomes) == 1
    async with clean_engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(passkeys)) == 1


async def test_a_challenge_is_found_by_its_digest_and_spent_once(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    challenge = new_challenge()
    async with new_uow() as uow:
        uow.passkeys.add_challenge(
            PasskeyChallenge.issue(
                challenge, Ceremony.SECOND_FACTOR, now=NOW, user_id=user.id, sign_in_challenge="ab"
            )
        )
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first, second:
        mine = await first.passkeys.get_challenge(challenge_digest(challenge))
        theirs = await second.passkeys.get_challenge(challenge_digest(challenge))
        assert mine is not None and theirs is not None
        assert (mine.ceremony, mine.user_id, mine.sign_in_challenge) == (
            Ceremony.SECOND_FACTOR,
            user.id,
            "ab",
        )
        mine.spend(Ceremony.SECOND_FACTOR, now=NOW, user_id=user.id)
        await first.commit()
        theirs.spend(Ceremony.SECOND_FACTOR, now=NOW, user_id=user.id)
        with pytest.raises(errors.InvalidChallenge):
            await second.commit()


async def test_expired_challenges_are_removed(new_uow: UowFactory) -> None:
    old, fresh = new_challenge(), new_challenge()
    async with new_uow() as uow:
        uow.passkeys.add_challenge(PasskeyChallenge.issue(old, Ceremony.SIGN_IN, now=NOW))
        uow.passkeys.add_challenge(
            PasskeyChallenge.issue(fresh, Ceremony.SIGN_IN, now=NOW + timedelta(minutes=4))
        )
        await uow.commit()
    async with new_uow() as uow:
        await uow.passkeys.remove_expired_challenges(now=NOW + timedelta(minutes=6))
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.passkeys.get_challenge(challenge_digest(old)) is None
        assert await uow.passkeys.get_challenge(challenge_digest(fresh)) is not None
