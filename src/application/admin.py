"""Administration: users, roles and the audit trail. Every use case checks its actor."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.commands import Actor, AuditQuery, DefineRole, RoleChange, SearchUsers
from application.results import (
    AdminUserDetail,
    AuditPage,
    AuditRecord,
    RoleSummary,
    UserDetail,
    UserPage,
)
from application.revocation import end_sessions
from application.unit_of_work import UnitOfWork
from domain import audit, errors
from domain.audit import AuditEntry
from domain.ports import Clock
from domain.roles import ADMIN, Role, role_name
from domain.users import User
from domain.values import login_key


async def authorise(uow: UnitOfWork, actor: Actor) -> None:
    """Let the system and active administrators through; note the actor for the audit.

    Raises: PermissionDenied
    """
    uow.actor_id, uow.client_ip = actor.user_id, actor.client.ip
    uow.actor_name = actor.name
    if actor.user_id is None:
        return
    acting = await uow.users.get(actor.user_id)
    if acting is None or not acting.active or ADMIN not in acting.roles:
        raise errors.PermissionDenied()


async def search_users(query: SearchUsers, actor: Actor, *, uow: UnitOfWork) -> UserPage:
    """Users whose username or e-mail starts with the query (case-insensitive, wildcards
    literal), by username, one page after the cursor ``after``.

    Raises: PermissionDenied
    """
    prefix = login_key(query.query)
    async with uow:
        await authorise(uow, actor)
        found = await uow.users.search(prefix, after=query.after, limit=query.limit + 1)
        page = found[: query.limit]
        with_two_factor = await uow.two_factor.enabled_among(user.id for user in page)
    after = page[-1].username.key if len(found) > query.limit else None
    items = tuple(
        AdminUserDetail.of_account(user, two_factor=user.id in with_two_factor) for user in page
    )
    return UserPage(items=items, after=after)


async def get_user(user_id: UUID, actor: Actor, *, uow: UnitOfWork) -> AdminUserDetail:
    """Raises: PermissionDenied, UserNotFound"""
    async with uow:
        await authorise(uow, actor)
        user = await _user(uow, user_id)
        two_factor = bool(await uow.two_factor.enabled_among([user.id]))
    return AdminUserDetail.of_account(user, two_factor=two_factor)


async def find_user(login: str, actor: Actor, *, uow: UnitOfWork) -> UserDetail:
    """The account with this username or e-mail, in any letter case.

    Raises: PermissionDenied, UserNotFound
    """
    async with uow:
        await authorise(uow, actor)
        user = await uow.users.get_by_login(login)
    if user is None:
        raise errors.UserNotFound(f"There is no user {login!r}.")
    return UserDetail.of(user)


async def deactivate_user(
    user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> UserDetail:
    """Deactivate an account and end all its sessions.

    Raises: PermissionDenied, UserNotFound, CannotDeactivateSelf, LastAdmin
    """
    async with uow:
        await authorise(uow, actor)
        user = await _user(uow, user_id)
        if user.id == actor.user_id:
            raise errors.CannotDeactivateSelf()
        if user.active and ADMIN in user.roles:
            await keep_an_admin(uow)
        now = clock.now()
        user.deactivate(now=now)
        await end_sessions(uow, user.id, now=now, reason="deactivated")
        await uow.commit()
    return UserDetail.of(user)


async def activate_user(
    user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> UserDetail:
    """Raises: PermissionDenied, UserNotFound"""
    async with uow:
        await authorise(uow, actor)
        user = await _user(uow, user_id)
        user.activate(now=clock.now())
        await uow.commit()
    return UserDetail.of(user)


async def grant_role(cmd: RoleChange, actor: Actor, *, uow: UnitOfWork, clock: Clock) -> UserDetail:
    """Raises: PermissionDenied, UserNotFound, RoleNotFound, RoleAlreadyHeld, InvalidRoleName"""
    name = role_name(cmd.role)
    async with uow:
        await authorise(uow, actor)
        user = await _user(uow, cmd.user_id)
        await _role(uow, name)
        if name in user.roles:
            raise errors.RoleAlreadyHeld(f"{user.username} already holds {name!r}.")
        user.grant_role(name, now=clock.now())
        await uow.commit()
    return UserDetail.of(user)


async def revoke_role(
    cmd: RoleChange, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> UserDetail:
    """Raises: PermissionDenied, UserNotFound, RoleNotHeld, LastAdmin, InvalidRoleName"""
    name = role_name(cmd.role)
    async with uow:
        await authorise(uow, actor)
        user = await _user(uow, cmd.user_id)
        if name not in user.roles:
            raise errors.RoleNotHeld(f"{user.username} does not hold {name!r}.")
        if name == ADMIN and user.active:
            await keep_an_admin(uow)
        user.revoke_role(name, now=clock.now())
        await uow.commit()
    return UserDetail.of(user)


async def list_roles(actor: Actor, *, uow: UnitOfWork) -> list[RoleSummary]:
    """Raises: PermissionDenied"""
    async with uow:
        await authorise(uow, actor)
        found = await uow.roles.list_with_members()
    return [_summary(role, members) for role, members in found]


async def create_role(
    cmd: DefineRole, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> RoleSummary:
    """Raises: PermissionDenied, InvalidRoleName, ValidationFailed, RoleAlreadyExists"""
    role = Role.create(cmd.name, cmd.description, now=clock.now())
    async with uow:
        await authorise(uow, actor)
        if await uow.roles.get(role.name) is not None:
            raise errors.RoleAlreadyExists(field="name")
        uow.roles.add(role)
        await uow.commit()
    return _summary(role, 0)


async def describe_role(
    cmd: DefineRole, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> RoleSummary:
    """Raises: PermissionDenied, RoleNotFound, ValidationFailed"""
    async with uow:
        await authorise(uow, actor)
        role = await _role(uow, role_name(cmd.name))
        role.describe(cmd.description, now=clock.now())
        members = await uow.roles.count_members(role.name)
        await uow.commit()
    return _summary(role, members)


async def delete_role(name: str, actor: Actor, *, uow: UnitOfWork, clock: Clock) -> None:
    """Raises: PermissionDenied, RoleNotFound, RoleInUse (built in, or held by anyone)"""
    async with uow:
        await authorise(uow, actor)
        role = await _role(uow, role_name(name))
        role.delete(members=await uow.roles.count_members(role.name), now=clock.now())
        uow.roles.remove(role)
        await uow.commit()


async def list_audit(query: AuditQuery, actor: Actor, *, uow: UnitOfWork) -> AuditPage:
    """Newest first, filtered by subject and event type (named by type or label, in any
    letter case), one page before ``before``. A visitor's events have no actor.

    Raises: PermissionDenied
    """
    before = _cursor(query.before)
    wanted = query.event_type or None
    event_type = wanted and (audit.event_type_named(wanted) or wanted)
    async with uow:
        await authorise(uow, actor)
        found = await uow.audit.list(
            user_id=query.user_id,
            event_type=event_type,
            before=before,
            limit=query.limit + 1,
        )
        page = found[: query.limit]
        ids = {e.user_id for e in page} | {e.acted_by for e in page} | {query.user_id}
        names = await uow.users.usernames(i for i in ids if i is not None)
    cursor = (
        f"{page[-1].occurred_at.isoformat()}|{page[-1].id}" if len(found) > query.limit else None
    )
    records = tuple(audit_record(entry, names) for entry in page)
    subject = names.get(query.user_id) if query.user_id else None
    return AuditPage(items=records, before=cursor, user_name=subject, event_type=event_type)


def audit_record(entry: AuditEntry, names: dict[UUID, str]) -> AuditRecord:
    actor_id = entry.acted_by
    return AuditRecord(
        id=entry.id,
        occurred_at=entry.occurred_at,
        event_type=entry.event_type,
        user_id=entry.user_id,
        user_name=names.get(entry.user_id) if entry.user_id else None,
        actor_id=actor_id,
        actor_name=names.get(actor_id) if actor_id else entry.details.get("by"),
        ip=entry.ip,
        details=entry.details,
    )


def _cursor(raw: str | None) -> tuple[datetime, UUID] | None:
    """The (time, id) of the page's last entry, or None for a missing or mangled cursor."""
    if not raw:
        return None
    at, _, entry_id = raw.partition("|")
    try:
        time, key = datetime.fromisoformat(at), UUID(entry_id)
    except ValueError:
        return None
    return (time, key) if time.tzinfo is not None else None


async def _user(uow: UnitOfWork, user_id: UUID) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise errors.UserNotFound()
    return user


async def _role(uow: UnitOfWork, name: str) -> Role:
    role = await uow.roles.get(name)
    if role is None:
        raise errors.RoleNotFound(f"There is no role named {name!r}.", field="role")
    return role


async def keep_an_admin(uow: UnitOfWork) -> None:
    if await uow.users.count_active_holding(ADMIN) <= 1:
        raise errors.LastAdmin()


def _summary(role: Role, members: int) -> RoleSummary:
    return RoleSummary(
        name=role.name, description=role.description, members=members, built_in=role.built_in
    )
