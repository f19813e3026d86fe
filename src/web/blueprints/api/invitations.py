"""API: invitations, for administrators (the use cases check the admin role themselves)."""

from __future__ import annotations

from uuid import UUID

from quart import ResponseReturnValue, url_for
from quart_schema import security_scheme, validate_querystring, validate_request, validate_response

from application.invitations import InvitationView, Invite, ListInvitations
from web.auth import actor
from web.blueprints.api.accounts import SIGNED_IN, me, page_of
from web.blueprints.api.base import administrators_only, blueprint, no_content, problems
from web.blueprints.api.schemas import InvitationPageQuery, Invitations
from web.runtime import services

PREFIX = "/admin/invitations"


@blueprint.get(PREFIX)
@validate_querystring(InvitationPageQuery)
@validate_response(Invitations)
@security_scheme(SIGNED_IN)
@problems(401, 422)
@administrators_only
async def invitations(query_args: InvitationPageQuery) -> Invitations:
    """List invitations.

    Every invitation, the newest first, in any state (`pending`, `accepted`, `revoked`
    or `expired`), `limit` to a page. Follow `next` for the following page."""
    me()
    page_number = page_of(query_args.cursor)
    query = ListInvitations(page=page_number, per_page=query_args.limit)
    listed = await services().list_invitations(query, actor())
    following = None
    if listed.has_next:
        following = url_for("api.invitations", cursor=str(page_number + 1), limit=query_args.limit)
    return Invitations(items=list(listed.items), total=listed.total, next=following)


@blueprint.post(PREFIX)
@validate_request(Invite)
@validate_response(InvitationView, 201)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409, 413, 415, 422)
@administrators_only
async def invite(data: Invite) -> tuple[InvitationView, int, dict[str, str]]:
    """Invite an address.

    The address is mailed a link to a registration form with the address filled in
    and verified; the link works once, for `INVITATION_MAX_AGE` (7 days unless set),
    and the new account holds the `roles` named here. An address with an account, or
    with a pending invitation, is a 409; a role that does not exist is a 404."""
    me()
    made = await services().invite(data, actor())
    return made, 201, {"Location": url_for("api.invitation", invitation_id=made.id)}


@blueprint.get(f"{PREFIX}/<uuid:invitation_id>")
@validate_response(InvitationView)
@security_scheme(SIGNED_IN)
@problems(401, 404)
@administrators_only
async def invitation(invitation_id: UUID) -> InvitationView:
    """Get an invitation.

    Its address, roles and state; the link itself is only ever mailed."""
    me()
    return await services().get_invitation(invitation_id, actor())


@blueprint.post(f"{PREFIX}/<uuid:invitation_id>/resend")
@validate_response(InvitationView)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def resend_invitation(invitation_id: UUID) -> InvitationView:
    """Send an invitation again.

    A new link goes to the address, working for a whole `INVITATION_MAX_AGE` from now
    (an expired invitation works again); the link sent before works no more. A used
    or revoked invitation is a 409."""
    me()
    return await services().resend_invitation(invitation_id, actor())


@blueprint.delete(f"{PREFIX}/<uuid:invitation_id>")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 409)
@administrators_only
async def revoke_invitation(invitation_id: UUID) -> ResponseReturnValue:
    """Revoke an invitation.

    Its link stops working at once; revoking it again changes nothing. A used
    invitation is a 409: the account it made is managed as any other."""
    me()
    await services().revoke_invitation(invitation_id, actor())
    return "", 204
