"""Duplicate accounts racing each other: the database decides, as a domain error."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from application import accounts
from application.commands import RegisterUser
from application.event_bus import EventBus
from application.results import UserDetail
from domain import errors
from domain.users import User
from infrastructure.clock import SystemClock
from infrastructure.db.tables import users
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.passwords import PasslibPasswordHasher, make_context
from tests.conftest import unique_name
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

RACE_TIMEOUT_S = 20


async def user_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(users))).scalar_one())


async def race(new_uow: UowFactory, *contenders: User) -> list[BaseException | None]:
    """Each contender in its own unit of work: every one checks that its username and
    e-mail are free, and only when all have passed that check do they add and commit."""
    all_checked = asyncio.Barrier(len(contenders))

    async def register(user: User) -> None:
        async with new_uow() as uow:
            assert not await uow.users.username_exists(user.username.key)
            assert not await uow.users.email_exists(user.email.key)
            await all_checked.wait()
            uow.users.add(user)
            await uow.commit()

    async with asyncio.timeout(RACE_TIMEOUT_S):
        return await asyncio.gather(*map(register, contenders), return_exceptions=True)


async def test_racing_usernames_differing_in_case_let_exactly_one_commit(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    name = unique_name("Racer")
    lower, upper = (
        a_user(name.lower(), f"{name}.one@example.com"),
        a_user(name.upper(), f"{name}.two@example.com"),
    )

    outcomes = await race(new_uow, lower, upper)

    assert outcomes.count(None) == 1, outcomes
    [failure] = [outcome for outcome in outcomes if outcome is not None]
    assert isinstance(failure, errors.UsernameTaken)
    assert failure.field == "username"
    assert await user_rows(clean_engine) == 1


async def test_racing_emails_differing_in_case_let_exactly_one_commit(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    email = f"{unique_name('same')}@example.com"
    first, second = a_user(email=email.lower()), a_user(email=email.upper())

    outcomes = await race(new_uow, first, second)

    assert outcomes.count(None) == 1, outcomes
    [failure] = [outcome for outcome in outcomes if outcome is not None]
    assert isinstance(failure, errors.EmailTaken)
    assert failure.field == "email"
    assert await user_rows(clean_engine) == 1


@pytest.mark.parametrize(
    ("clash", "expected"),
    [("username", errors.UsernameTaken), ("email", errors.EmailTaken)],
)
async def test_a_sequential_duplicate_insert_becomes_the_domain_error_not_integrity_error(
    new_uow: UowFactory,
    clean_engine: AsyncEngine,
    clash: str,
    expected: type[errors.DomainError],
) -> None:
    first = a_user()
    async with new_uow() as uow:
        uow.users.add(first)
        await uow.commit()
    other = a_user()
    duplicate = (
        a_user(str(first.username).swapcase(), str(other.email))
        if clash == "username"
        else a_user(str(other.username), str(first.email).upper())
    )

    with pytest.raises(expected) as raised:
        async with new_uow() as uow:
            uow.users.add(duplicate)
            await uow.commit()

    assert not isinstance(raised.value, IntegrityError)
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert await user_rows(clean_engine) == 1


async def test_concurrent_registrations_of_one_username_give_one_account_and_one_username_taken(
    clean_engine: AsyncEngine,
) -> None:
    hasher = PasslibPasswordHasher(make_context(fast=True))
    clock = SystemClock()
    name = unique_name("Signup")

    async def register(username: str, email: str) -> UserDetail:
        cmd = RegisterUser(username=username, email=email, password="correct horse battery")
        uow = SqlAlchemyUnitOfWork(clean_engine, EventBus())
        return await accounts.register(cmd, uow=uow, hasher=hasher, clock=clock)

    async with asyncio.timeout(RACE_TIMEOUT_S):
        outcomes = await asyncio.gather(
            register(name, f"{name}.a@example.com"),
            register(name.upper(), f"{name}.b@example.com"),
            return_exceptions=True,
        )

    successes = [outcome for outcome in outcomes if isinstance(outcome, UserDetail)]
    failures = [outcome for outcome in outcomes if not isinstance(outcome, UserDetail)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1
    assert isinstance(failures[0], errors.UsernameTaken), failures
    assert successes[0].username.casefold() == name.casefold()
    assert await user_rows(clean_engine) == 1
