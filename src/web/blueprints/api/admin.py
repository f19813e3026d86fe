"""API: the administration use cases (the use cases check the admin role themselves)."""

from __future__ import annotations

from uuid import UUID

from quart import ResponseReturnValue, url_for
from quart_schema import security_scheme, validate_querystring, validate_request, validate_response

from application.commands import AuditQuery, DefineRole, RoleChange, SearchUsers
from application.results import AdminUserDetail, RoleSummary, UserDetail
from web.auth import actor
from web.blueprints.api.accounts import SIGNED_IN, me
from web.blueprints.api.base import administrators_only, blueprint, no_content, problems
from web.blueprints.api.schemas import AuditEvents, AuditSearch, Users, UserSearch
from web.runtime import services

PREFIX = "/admin"


@blueprint.get(f"{PREFIX}/users")
@validate_querystring(UserSearch)
@validate_response(Users)
@security_scheme(SIGNED_IN)
@problems(401, 422)
@administrators_only
async def users(query_args: UserSearch) -> Users:
    """Search users.

    Accounts whose username or e-mail address starts with `q` (in any letter case),
    active or not, by username, `limit` to a page. Follow `next` for the following
    page."""
    me()
    query = SearchUsers(query=query_args.q, after=query_args.after, limit=query_args.limit)
    page = await services().search_users(query, actor())
    following = None
    if page.after is not None:
        following = url_for(
            "api.users",
            q=query_args.q or None,
            after=page.after,
            limit=query_args.limit,
        )
    return Users(items=list(page.items), next=following)


@blueprint.get(f"{PREFIX}/users/<uuid:user_id>")
@validate_response(AdminUserDetail)
@security_scheme(SIGNED_IN)
@problems(401, 404)
@administrators_only
async def user(user_id: UUID) -> AdminUserDetail:
    """Get a user.

    Any account, active or not, with its roles and whether two-factor is on."""
    me()
    return await services().admin_get_user(user_id, actor())


@blueprint.post(f"{PREFIX}/users/<uuid:user_id>/two-factor/reset")
@validate_response(AdminUserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def reset_two_factor(user_id: UUID) -> AdminUserDetail:
    """Turn a user's two-factor off.

    For someone who lost their phone and their recovery codes: two-factor is off, every
    session of the account ends, its trusted browsers are forgotten and the user is
    mailed; the next sign-in asks only for the password. An account without two-factor
    is a 409."""
    me()
    return await services().reset_two_factor(user_id, actor())


@blueprint.post(f"{PREFIX}/users/<uuid:user_id>/activate")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404)
@administrators_only
async def activate(user_id: UUID) -> UserDetail:
    """Activate a user.

    The account can sign in again. Activating an active account changes nothing."""
    me()
    return await services().activate_user(user_id, actor())


@blueprint.post(f"{PREFIX}/users/<uuid:user_id>/deactivate")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def deactivate(user_id: UUID) -> UserDetail:
    """Deactivate a user.

    The account can no longer sign in, and all its sessions end at once. Nobody can
    deactivate their own account or the last active administrator (409)."""
    me()
    return await services().deactivate_user(user_id, actor())


@blueprint.put(f"{PREFIX}/users/<uuid:user_id>/roles/<role>")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409, 422)
@administrators_only
async def grant(user_id: UUID, role: str) -> UserDetail:
    """Grant a role.

    Gives `role` to the user. An unknown role is a 404; one the user already holds is
    a 409."""
    me()
    return await services().grant_role(RoleChange(user_id=user_id, role=role[:25]), actor())


@blueprint.delete(f"{PREFIX}/users/<uuid:user_id>/roles/<role>")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409, 422)
@administrators_only
async def revoke(user_id: UUID, role: str) -> UserDetail:
    """Revoke a role.

    Takes `role` from the user. A role the user does not hold is a 409, and so is
    taking `admin` from the last active administrator."""
    me()
    return await services().revoke_role(RoleChange(user_id=user_id, role=role[:25]), actor())


@blueprint.get(f"{PREFIX}/roles")
@validate_response(list[RoleSummary])
@security_scheme(SIGNED_IN)
@problems(401)
@administrators_only
async def roles() -> list[RoleSummary]:
    """List the roles.

    Every role with its description and how many accounts hold it."""
    me()
    return await services().list_roles(actor())


@blueprint.post(f"{PREFIX}/roles")
@validate_request(DefineRole)
@validate_response(RoleSummary, 201)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422)
@administrators_only
async def create_role(data: DefineRole) -> tuple[RoleSummary, int]:
    """Create a role.

    A new role that no account holds yet; a name already in use, in any letter case,
    is a 409."""
    me()
    return await services().create_role(data, actor()), 201


@blueprint.get(f"{PREFIX}/audit-events")
@validate_querystring(AuditSearch)
@validate_response(AuditEvents)
@security_scheme(SIGNED_IN)
@problems(401, 422)
@administrators_only
async def audit_events(query_args: AuditSearch) -> AuditEvents:
    """Read the audit trail.

    Security events and changes, newest first: what happened, to which account, done
    by whom, when and from which address. Filter by `user` (an account's id) and
    `type` (an event name such as `RoleGranted`); follow `next` for older entries."""
    me()
    query = AuditQuery(
        user_id=query_args.user,
        event_type=query_args.type,
        before=query_args.before,
        limit=query_args.limit,
    )
    page = await services().list_audit(query, actor())
    following = None
    if page.before is not None:
        following = url_for(
            "api.audit_events",
            user=query_args.user,
            type=query_args.type,
            before=page.before,
            limit=query_args.limit,
        )
    return AuditEvents(items=list(page.items), next=following)


@blueprint.post(f"{PREFIX}/users/<uuid:user_id>/verify-email")
@validate_response(AdminUserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def mark_verified(user_id: UUID) -> AdminUserDetail:
    """Mark a user's address verified.

    For an address checked some other way: it counts as proved from now on, and the
    audit trail names who vouched. An address verified already is a 409."""
    me()
    return await services().mark_verified(user_id, actor())


@blueprint.post(f"{PREFIX}/users/<uuid:user_id>/verification-link")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def send_verification_link(user_id: UUID) -> ResponseReturnValue:
    """Send a user a new verification link.

    The account's address is mailed a link valid for three days. An address verified
    already is a 409."""
    me()
    await services().send_verification_link(user_id, actor())
    return "", 204


@blueprint.delete(f"{PREFIX}/users/<uuid:user_id>")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def delete_user(user_id: UUID) -> ResponseReturnValue:
    """Delete a user.

    Ends every session and token of the account and erases its personal data; the
    username and address become free, and the audit trail keeps the account's id (and
    who deleted it). Not your own account (delete it with `DELETE /api/v1/users/me`),
    nor the last active administrator (409)."""
    me()
    await services().delete_user(user_id, actor())
    return "", 204
