"""Leaving: deleting an account erases its personal data and frees its names; the audit
trail keeps the account's id, without a name or an address."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.admin import authorise, keep_an_admin
from application.commands import Actor, DeleteAccount
from application.profile import active_user
from application.revocation import end_sessions
from application.two_factor import checked_password, prove_code
from application.unit_of_work import UnitOfWork
from domain import errors
from domain.ports import Clock, LoginThrottle, PasswordHasher, RecoveryCodeHasher, SecretBox
from domain.roles import ADMIN
from domain.users import User

CODE_NEEDED = "Enter a code from your app, or a recovery code: two-factor is on."


async def delete_own_account(
    cmd: DeleteAccount,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
    throttle: LoginThrottle,
) -> None:
    """The holder deletes the account, knowing the password and, with two-factor on, a
    code (wrong ones count toward the account's lock). The last active administrator
    cannot.

    Raises: UserNotFound, InvalidCredentials, InvalidCode, AccountLocked, LastAdmin
    """
    user = await checked_password(
        cmd.user_id, cmd.password, uow=uow, hasher=hasher, throttle=throttle
    )
    async with uow:
        uow.client_ip = cmd.client.ip
        user = await active_user(uow, user.id)
        state = await uow.two_factor.get(user.id)
        if state is not None:
            if not cmd.code.strip():
                raise errors.InvalidCode(CODE_NEEDED, field="code")
            await prove_code(
                uow, user, state, cmd.code, box=box, codes=codes, clock=clock, throttle=throttle
            )
        await erase(uow, user, now=clock.now(), by="themselves")
        await uow.commit()


async def delete_user(user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock) -> None:
    """An administrator (or the command line) deletes an account; not their own (that
    asks for the password, on their own page), nor the last active administrator.

    Raises: PermissionDenied, UserNotFound, CannotDeleteSelf, LastAdmin
    """
    async with uow:
        await authorise(uow, actor)
        user = await uow.users.get(user_id)
        if user is None:
            raise errors.UserNotFound()
        if user.id == actor.user_id:
            raise errors.CannotDeleteSelf()
        by = "an administrator" if actor.user_id is not None else actor.name
        await erase(uow, user, now=clock.now(), by=by)
        await uow.commit()


async def erase(uow: UnitOfWork, user: User, *, now: datetime, by: str) -> None:
    """Inside ``uow``: end every session and token, forget the trail's names and
    addresses of the account, and delete it with all it holds (names, address, hashes,
    second factor, passkeys, trusted browsers)."""
    if user.active and ADMIN in user.roles:
        await keep_an_admin(uow)
    await end_sessions(uow, user.id, now=now, reason="account deleted")
    await uow.audit.forget_personal(user.id)
    user.delete(now=now, by=by)
