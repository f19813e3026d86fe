"""Deleting an account on SQLite and PostgreSQL: afterwards no column of any row of any
table holds its username or address, its names are free, and the trail keeps its id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application import deletion
from application.commands import Actor
from domain.passkeys import NewCredential, Passkey
from domain.sessions import Session, SessionPolicy, new_session_key
from domain.trusted_browsers import TrustedBrowser, new_trust_token
from domain.two_factor import PendingTwoFactor, TwoFactor
from domain.users import User
from domain.values import EmailAddress
from infrastructure.clock import SystemClock
from infrastructure.db.tables import audit_events, metadata
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime.now(UTC)
POLICY = SessionPolicy(idle_timeout=timedelta(hours=2), lifetime=timedelta(days=14))
CLI = Actor.system("the command line")


async def an_account_with_everything(new_uow: UowFactory) -> User:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    async with new_uow() as uow:
        found = await uow.users.get(user.id)
        assert found is not None
        found.first_name, found.last_name = "Ada", "Lovelace"
        found.verify_email(EmailAddress(f"new.{user.email}"), now=NOW)  # an older address
        uow.sessions.add(
            Session.start(user.id, new_session_key(), now=NOW, policy=POLICY, persistent=True)
        )
        pending = PendingTwoFactor.begin(user.id, "gAAAA-secret", now=NOW)
        uow.two_factor.add(TwoFactor.enable(pending, step=1, code_hashes=["a" * 64], now=NOW))
        credential = NewCredential(credential_id=b"cred", public_key=b"key", sign_count=0)
        uow.passkeys.add(Passkey.register(user.id, credential, name="Ada's phone", now=NOW))
        uow.trusted_browsers.add(
            TrustedBrowser.trust(user.id, new_trust_token(), now=NOW, lifetime=timedelta(days=30))
        )
        await uow.commit()
    return user


async def every_value(engine: AsyncEngine) -> list[str]:
    found = []
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                for value in row:
                    text = (
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    )
                    found.append(text.casefold())
    return found


async def test_no_row_keeps_the_deleted_accounts_name_or_address(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await an_account_with_everything(new_uow)
    names = [str(user.username).casefold(), user.email.key, f"new.{user.email.key}", "lovelace"]
    before = await every_value(clean_engine)
    assert all(any(name in value for value in before) for name in names)  # the scan can see

    await deletion.delete_user(user.id, CLI, uow=new_uow(), clock=SystemClock())

    after = await every_value(clean_engine)
    for name in names:
        assert not [value for value in after if name in value], name
    async with clean_engine.connect() as connection:
        trail = (
            (
                await connection.execute(
                    select(audit_events.c.event_type).where(audit_events.c.user_id == user.id)
                )
            )
            .scalars()
            .all()
        )
    assert {"UserRegistered", "EmailChanged", "AccountDeleted"} <= set(trail)


async def test_the_names_are_free_for_a_new_account(new_uow: UowFactory) -> None:
    user = await an_account_with_everything(new_uow)
    await deletion.delete_user(user.id, CLI, uow=new_uow(), clock=SystemClock())
    again = a_user(str(user.username), str(user.email))
    async with new_uow() as uow:
        uow.users.add(again)
        await uow.commit()
    async with new_uow() as uow:
        assert (await uow.users.get_by_login(str(user.username))) is not None
