"""API: registration, sign-in sessions and bearer tokens, the own account, resets."""

from __future__ import annotations

from uuid import UUID

from quart import ResponseReturnValue, abort, url_for
from quart_schema import security_scheme, validate_querystring, validate_request, validate_response
from werkzeug.exceptions import Unauthorized

from application.commands import (
    TOKEN_MAX,
    ChangePassword,
    ListMembers,
    RegisterUser,
    RequestPasswordReset,
    ResetPassword,
    SignIn,
    UpdateProfile,
)
from application.results import MemberSummary, UserDetail
from web import auth, csrf
from web.blueprints.api.base import blueprint, no_content, problems
from web.blueprints.api.schemas import (
    Accepted,
    CsrfToken,
    Members,
    NewPasswordBody,
    PageQuery,
    PasswordChangeBody,
    PasswordChanged,
    ProfilePatch,
    ResetRequestBody,
    Sessions,
    SignInBody,
    Token,
)
from web.client import client
from web.runtime import services
from web.throttling import limited, reserved

SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]


def me() -> UserDetail:
    user = auth.viewer()
    if user is None:
        raise Unauthorized("Sign in first: send a bearer token from POST /api/v1/sessions.")
    return user


@blueprint.get("/csrf-token")
@validate_response(CsrfToken)
async def csrf_token() -> CsrfToken:
    """The token browser JavaScript sends in X-CSRFToken with cookie-authenticated changes."""
    return CsrfToken(csrf_token=csrf.csrf_token())


@blueprint.post("/users")
@limited("register_attempt")
@validate_request(RegisterUser)
@validate_response(UserDetail, 201)
@problems(400, 409, 413, 415, 422, 429)
async def register(data: RegisterUser) -> tuple[UserDetail, int, dict[str, str]]:
    """Register an account."""
    async with reserved("register"):  # counts only the accounts made
        user = await services().register(data)
    return user, 201, {"Location": url_for("api.member", user_id=user.id)}


@blueprint.get("/users/<uuid:user_id>")
@validate_response(MemberSummary)
@security_scheme(SIGNED_IN)
@problems(401, 404)
async def member(user_id: UUID) -> MemberSummary:
    """An active member as the members list shows them."""
    me()
    found = await services().get_user(user_id)
    if found is None or not found.active:
        abort(404)
    return MemberSummary(
        id=found.id,
        username=found.username,
        full_name=found.full_name,
        member_since=found.created_at,
    )


@blueprint.get("/users")
@validate_querystring(PageQuery)
@validate_response(Members)
@security_scheme(SIGNED_IN)
@problems(400, 401, 422)
async def members(query_args: PageQuery) -> Members:
    """Active members, oldest first; follow `next` for the following page."""
    me()
    page_number = _page(query_args.cursor)
    page = await services().list_members(ListMembers(page=page_number, per_page=query_args.limit))
    following = None
    if page.has_next:
        following = url_for("api.members", cursor=str(page_number + 1), limit=query_args.limit)
    return Members(items=list(page.items), total=page.total, next=following)


def _page(cursor: str | None) -> int:
    try:
        return max(1, min(int(cursor or "1"), 1_000_000))
    except ValueError:
        return 1


@blueprint.post("/sessions")
@limited("sign_in")
@validate_request(SignInBody)
@validate_response(Token, 201)
@problems(400, 413, 415, 422, 429)
async def sign_in(data: SignInBody) -> tuple[Token, int]:
    """Sign in: the token is the key of a new server-side session; revoke it by signing
    out. With `cookie`, the session cookie is set too."""
    cmd = SignIn(
        login=data.login,
        password=data.password,
        remember=data.remember,
        client=client(),
        api_token=True,
    )
    signed_in = await services().sign_in(cmd)
    if data.cookie:
        auth.start(signed_in)
    token = Token(
        token=signed_in.session_key,
        session_id=signed_in.session_id,
        expires_at=signed_in.expires_at,
        user=signed_in.user,
    )
    return token, 201


@blueprint.delete("/sessions/current")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401)
async def sign_out() -> ResponseReturnValue:
    """End the session this request authenticated with; its token stops working."""
    me()
    key = auth.bearer_token()
    if key is not None:
        await services().sign_out(key, client())
    else:
        await auth.end()
    return "", 204


@blueprint.get("/sessions")
@validate_response(Sessions)
@security_scheme(SIGNED_IN)
@problems(401)
async def sessions() -> Sessions:
    """Your live sessions: the current one first and marked, then the others by last use,
    most recent first. `api_token` tells the tokens signed in here from browser sessions."""
    return Sessions(items=await services().list_sessions(me().id, auth.session_id()))


@blueprint.delete("/sessions/<uuid:session_id>")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404)
async def revoke_session(session_id: UUID) -> ResponseReturnValue:
    """End one of your sessions (its token or cookie stops working at once)."""
    await services().revoke_session(me().id, session_id, client())
    return "", 204


@blueprint.get("/users/me")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(401)
async def profile() -> UserDetail:
    return me()


@blueprint.patch("/users/me")
@validate_request(ProfilePatch)
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422, 429)
async def update_profile(data: ProfilePatch) -> UserDetail:
    """Change names or e-mail; a new e-mail needs `current_password`."""
    user = me()
    cmd = UpdateProfile(
        user_id=user.id,
        first_name=user.first_name if data.first_name is None else data.first_name,
        last_name=user.last_name if data.last_name is None else data.last_name,
        email=user.email if data.email is None else data.email,
        current_password=data.current_password or "",
        client=client(),
    )
    return await services().update_profile(cmd)


@blueprint.post("/users/me/password")
@validate_request(PasswordChangeBody)
@validate_response(PasswordChanged)
@security_scheme(SIGNED_IN)
@problems(400, 401, 415, 422, 429)
async def change_password(data: PasswordChangeBody) -> PasswordChanged:
    """Change your password; every other session ends."""
    cmd = ChangePassword(
        user_id=me().id,
        session_id=auth.session_id(),
        current_password=data.current_password,
        new_password=data.new_password,
        client=client(),
    )
    return PasswordChanged(ended_sessions=await services().change_password(cmd))


@blueprint.post("/password-resets")
@limited("reset_request")
@validate_request(ResetRequestBody)
@validate_response(Accepted, 202)
@problems(400, 415, 422, 429)
async def request_reset(data: ResetRequestBody) -> tuple[Accepted, int]:
    """Ask for a reset link by e-mail; the answer is the same for every address."""
    await services().request_password_reset(RequestPasswordReset(email=data.email, client=client()))
    detail = "If an account uses that address, a reset link is on its way."
    return Accepted(detail=detail), 202


@blueprint.post("/password-resets/<token>")
@validate_request(NewPasswordBody)
@no_content
@problems(400, 415, 422)
async def reset(token: str, data: NewPasswordBody) -> ResponseReturnValue:
    """Set a new password with the token from the mail; every session ends."""
    cmd = ResetPassword(token=token[:TOKEN_MAX], new_password=data.new_password, client=client())
    await services().reset_password(cmd)
    return "", 204
