"""Use cases of an account's life: registering and signing in."""

from __future__ import annotations

from typing import NoReturn, TypedDict
from uuid import UUID

from application.admin import authorise
from application.commands import Actor, Authenticate, CreateUser, NewAccount, RegisterUser
from application.results import UserDetail
from application.unit_of_work import UnitOfWork
from domain import errors, events, password_policy
from domain.invitations import InvitationRequired
from domain.ports import Clock, LoginDigest, PasswordHasher
from domain.roles import Role, role_name
from domain.users import User
from domain.values import EmailAddress, Username


class FailedLogin(TypedDict):
    user_id: UUID | None
    login_digest: str | None


async def register(
    cmd: RegisterUser,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    invite_only: bool = False,
) -> UserDetail:
    """Create an active account with no roles; refused when only invitations may
    register (REGISTRATION=invite, see ``invitations.register_invited``).

    Raises: InvitationRequired, InvalidUsername, InvalidEmail, WeakPassword,
    UsernameTaken, EmailTaken
    """
    if invite_only:
        raise InvitationRequired()
    return await _create(cmd, frozenset(), None, uow=uow, hasher=hasher, clock=clock)


async def register_quietly(
    cmd: RegisterUser,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    invite_only: bool = False,
) -> None:
    """Registration that tells strangers nothing about addresses (EMAIL_VERIFICATION
    =required): a new address gets an account, which its link activates for sign-in;
    a taken one the same answer after the same work (one hash, one commit, one mail),
    and its holder a mail saying someone tried. Usernames are public (the members
    list shows them): a taken one is still said.

    Raises: InvitationRequired, InvalidUsername, InvalidEmail, WeakPassword, UsernameTaken
    """
    if invite_only:
        raise InvitationRequired()
    errors.raise_together(registration_problems(cmd.username, cmd.email, cmd.password))
    username, email = Username(cmd.username), EmailAddress(cmd.email)
    async with uow:
        if await uow.users.username_exists(username.key):
            raise errors.UsernameTaken(field="username")
    password_hash = await hasher.hash(cmd.password)  # whether or not the address is free
    try:
        async with uow:
            holder = await uow.users.get_by_login(email.key)
            if holder is None:
                uow.users.add(User.register(username, email, password_hash, now=clock.now()))
            else:
                _tried(uow, holder, clock)
            await uow.commit()
    except errors.EmailTaken:  # a registration of the same address won the race
        async with uow:
            holder = await uow.users.get_by_login(email.key)
            if holder is not None:
                _tried(uow, holder, clock)
                await uow.commit()


def _tried(uow: UnitOfWork, holder: User, clock: Clock) -> None:
    uow.record(events.RegistrationTriedWithAddress(occurred_at=clock.now(), user_id=holder.id))


async def create_user(
    cmd: CreateUser, actor: Actor, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock
) -> UserDetail:
    """Create an active account holding ``cmd.roles``, its address verified, as an
    administrator or the system (the command line); the audit trail names the actor.

    Raises: PermissionDenied, InvalidUsername, InvalidEmail, WeakPassword, UsernameTaken,
    EmailTaken, RoleNotFound
    """
    return await _create(cmd, cmd.roles, actor, uow=uow, hasher=hasher, clock=clock)


async def check_new_account(cmd: NewAccount, actor: Actor, *, uow: UnitOfWork) -> None:
    """That an account could be made with this username and address now: both follow
    the rules and neither is taken. Lets the command line say so before it asks for a
    password; creating the account checks everything again.

    Raises: PermissionDenied, InvalidUsername, InvalidEmail, InvalidFields, UsernameTaken,
    EmailTaken
    """
    errors.raise_together(_name_problems(cmd.username, cmd.email))
    async with uow:
        await authorise(uow, actor)
        await ensure_available(uow, Username(cmd.username), EmailAddress(cmd.email))


async def _create(
    cmd: RegisterUser,
    roles: frozenset[str],
    actor: Actor | None,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
) -> UserDetail:
    errors.raise_together(registration_problems(cmd.username, cmd.email, cmd.password))
    username, email = Username(cmd.username), EmailAddress(cmd.email)
    async with uow:
        if actor is not None:
            await authorise(uow, actor)
        await ensure_available(uow, username, email)
    password_hash = await hasher.hash(cmd.password)
    async with uow:
        if actor is not None:
            await authorise(uow, actor)
        # An operator (not the registration form) vouches for the address they typed.
        operator = actor is not None
        user = User.register(username, email, password_hash, now=clock.now(), verified=operator)
        for name in sorted(roles):
            role = await _existing_role(uow, name)
            user.grant_role(role.name, now=clock.now())
        uow.users.add(user)
        await uow.commit()
    return UserDetail.of(user)


def registration_problems(
    username: str, email: str, password: str
) -> list[errors.ValidationFailed]:
    """Every rule the new account's username, e-mail and password break, at once, so a
    form or a 422 can show them all; availability is not checked here."""
    problems = _name_problems(username, email)
    weak = password_policy.password_problem(password, username=username, email=email)
    if weak:
        problems.append(errors.WeakPassword(weak, field="password"))
    return problems


def _name_problems(username: str, email: str) -> list[errors.ValidationFailed]:
    problems: list[errors.ValidationFailed] = []
    for check, raw in ((Username, username), (EmailAddress, email)):
        try:
            check(raw)
        except errors.ValidationFailed as error:
            problems.append(error)
    return problems


async def checked_user(
    cmd: Authenticate,
    user: User | None,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    digest: LoginDigest,
    record: bool = True,
) -> User:
    """``user`` (the account ``cmd.login`` names, looked up in ``uow``), active and with
    the right password, its sign-in recorded (not yet committed) unless ``record`` is
    false (a second factor is still owed); on failure the failure is committed and
    InvalidCredentials raised, after the same hashing work."""
    if user is None:
        await hasher.dummy_verify(cmd.password)
        await _fail(uow, clock, who=failed_login(cmd.login, None, digest))
    verification = await hasher.verify(cmd.password, user.password_hash)
    if not verification.ok or not user.active:
        await _fail(uow, clock, who=failed_login(cmd.login, user, digest))
    if verification.upgraded is not None:
        user.rehash_password(verification.upgraded)
    if record:
        user.record_login(now=clock.now())
    return user


def failed_login(login: str, user: User | None, digest: LoginDigest) -> FailedLogin:
    """Who a failed or refused sign-in is recorded against: the account the login
    named, else a keyed digest of the login, never the login itself (it may be a
    password typed into the wrong box)."""
    if user is not None:
        return {"user_id": user.id, "login_digest": None}
    return {"user_id": None, "login_digest": digest.digest(login)}


async def _fail(uow: UnitOfWork, clock: Clock, *, who: FailedLogin) -> NoReturn:
    uow.record(events.LoginFailed(occurred_at=clock.now(), **who))
    await uow.commit()
    raise errors.InvalidCredentials()


async def ensure_available(uow: UnitOfWork, username: Username, email: EmailAddress) -> None:
    if await uow.users.username_exists(username.key):
        raise errors.UsernameTaken(field="username")
    if await uow.users.email_exists(email.key):
        raise errors.EmailTaken(field="email")


async def _existing_role(uow: UnitOfWork, name: str) -> Role:
    role = await uow.roles.get(role_name(name))
    if role is None:
        raise errors.RoleNotFound(f"There is no role named {name!r}.", field="roles")
    return role
