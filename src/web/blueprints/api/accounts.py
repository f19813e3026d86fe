"""API: registration, sign-in sessions and bearer tokens, the own account, resets."""

from __future__ import annotations

from uuid import UUID

from quart import Response, ResponseReturnValue, abort, current_app, url_for
from quart_schema import security_scheme, validate_querystring, validate_request, validate_response
from werkzeug.exceptions import Unauthorized

from application.commands import (
    TOKEN_MAX,
    ChangePassword,
    DeleteAccount,
    ListMembers,
    RequestPasswordReset,
    ResetPassword,
    SignIn,
    UpdateProfile,
)
from application.export import AccountExport
from application.results import MemberSummary, SignedIn, TwoFactorRequired, UserDetail
from web import auth, csrf
from web.blueprints.api.base import blueprint, meaning, no_content, problems
from web.blueprints.api.schemas import (
    Accepted,
    CsrfToken,
    DeleteAccountBody,
    Members,
    NewPasswordBody,
    PageQuery,
    PasswordChangeBody,
    PasswordChanged,
    ProfilePatch,
    Registration,
    ResetRequestBody,
    Sessions,
    SignInBody,
    Token,
)
from web.blueprints.public import CHECK_YOUR_MAIL
from web.blueprints.users import export_disposition
from web.client import client
from web.problems import problem
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
    """Get the CSRF token for cookie-authenticated changes.

    JavaScript in a browser that signed in with `"cookie": true` sends this token in an
    `X-CSRFToken` header with every `POST`, `PUT`, `PATCH` and `DELETE`. Calls with a
    bearer token need none."""
    return CsrfToken(csrf_token=csrf.csrf_token())


@blueprint.post("/users")
@limited("register_attempt")
@validate_request(Registration)
@validate_response(UserDetail, 201)
@validate_response(Accepted, 202)
@problems(400, 403, 409, 413, 415, 422, 429)
@meaning(
    403,
    "`REGISTRATION=invite` and no `invitation` came: `type` is `/problems/invitation-required`.",
)
@meaning(
    400,
    "The `invitation` cannot be used (expired, used, revoked or unknown): `type` is "
    "`/problems/invalid-invitation`.",
)
async def register(
    data: Registration,
) -> tuple[UserDetail, int, dict[str, str]] | tuple[Accepted, int]:
    """Register an account.

    Creates an active account with no roles; the answer's `Location` is the new
    member's URL. The username and the e-mail address are each unique in any letter
    case (a 409 otherwise); the fields below say what each must be, and a 422 names
    every field that breaks a rule at once.

    Limited per client address: attempts per minute (`REGISTER_ATTEMPT_LIMIT`) and
    accounts created per hour (`REGISTER_IP_LIMIT`).

    With `EMAIL_VERIFICATION=required` the answer is a 202 whether or not the address
    already has an account (strangers learn nothing about addresses): a new one gets
    an account and a link to verify it, a taken one's holder a mail saying someone
    tried. A taken username is still a 409: usernames are public.

    With an `invitation` (the token from an invitation's link) the account gets the
    invited address, verified, and the roles the invitation names, and the answer is
    a 201 whatever `EMAIL_VERIFICATION` says; the invitation is then used up. With
    `REGISTRATION=invite` an invitation is required (a 403 without one)."""
    async with reserved("register"):  # counts only the accounts made
        if data.invitation is not None:
            user = await services().register_invited(data.account(), data.invitation)
        elif current_app.config["EMAIL_VERIFICATION"] == "required":
            await services().register_quietly(data.account())
            return Accepted(detail=CHECK_YOUR_MAIL), 202
        else:
            user = await services().register(data.account())
    return user, 201, {"Location": url_for("api.member", user_id=user.id)}


@blueprint.get("/users/<uuid:user_id>")
@validate_response(MemberSummary)
@security_scheme(SIGNED_IN)
@problems(401, 404)
async def member(user_id: UUID) -> MemberSummary:
    """Get an active member.

    The member as the members list shows them: id, username, full name and since
    when. An inactive account is a 404, like an unknown one."""
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
    """List the active members.

    Oldest first, `limit` to a page (1 to 100, 20 unless asked). Follow `next`, the
    path of the following page, until it is `null`; `total` counts every active
    member."""
    me()
    page_number = page_of(query_args.cursor)
    page = await services().list_members(ListMembers(page=page_number, per_page=query_args.limit))
    following = None
    if page.has_next:
        following = url_for("api.members", cursor=str(page_number + 1), limit=query_args.limit)
    return Members(items=list(page.items), total=page.total, next=following)


def page_of(cursor: str | None) -> int:
    """The page number a listing's `cursor` names; the first for anything else."""
    try:
        return max(1, min(int(cursor or "1"), 1_000_000))
    except ValueError:
        return 1


@blueprint.post("/sessions")
@limited("sign_in")
@validate_request(SignInBody)
@validate_response(Token, 201)
@problems(400, 401, 413, 415, 422, 429)
@meaning(
    401,
    "The password was right, but the account signs in with a second factor: "
    "`type` is `/problems/two-factor-required`, and `challenge` finishes the sign-in.",
)
async def sign_in(data: SignInBody) -> tuple[Token, int] | Response:
    """Sign in and get a bearer token.

    `login` is the username or the e-mail address. The answer's `token` is the key of
    a new server-side session: send it as `Authorization: Bearer TOKEN`. The session
    ends when unused for `SESSION_IDLE_TIMEOUT` or at the latest `SESSION_LIFETIME`
    after signing in (see `expires_at`), and at once on signing out
    (`DELETE /api/v1/sessions/current`), a password change or a deactivation. With
    `cookie`, the session cookie is set as well, for JavaScript in a browser.

    A wrong password, an unknown login and an inactive account get the same 400.
    Too many failures for one account, or sign-ins from one address, are a 429.

    For an account with two-factor sign-in on, the right password is answered with a
    401 of type `/problems/two-factor-required` carrying a `challenge`: finish with
    `POST /api/v1/sessions/two-factor` within 5 minutes."""
    cmd = SignIn(
        login=data.login,
        password=data.password,
        remember=data.remember,
        client=client(),
        api_token=True,
    )
    signed_in = await services().sign_in(cmd)
    if isinstance(signed_in, TwoFactorRequired):
        return problem(
            401,
            TWO_FACTOR_REQUIRED,
            code="two_factor_required",
            challenge=signed_in.challenge,
            expires_at=signed_in.expires_at,
        )
    return token_for(signed_in, cookie=data.cookie), 201


TWO_FACTOR_REQUIRED = (
    "This account signs in with a second factor: send the challenge with a code from "
    "the authenticator app (or a recovery code) to POST /api/v1/sessions/two-factor."
)


def token_for(signed_in: SignedIn, *, cookie: bool) -> Token:
    """The answer to a finished sign-in; with ``cookie`` the session cookie too."""
    if cookie:
        auth.start(signed_in)
    return Token(
        token=signed_in.session_key,
        session_id=signed_in.session_id,
        expires_at=signed_in.expires_at,
        user=signed_in.user,
    )


@blueprint.delete("/sessions/current")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401)
async def sign_out() -> ResponseReturnValue:
    """Sign out.

    Ends the session this request authenticated with: its bearer token, or the
    cookie, stops working at once."""
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
    """List your sessions.

    Every live session of your account, browsers and API tokens alike: when it
    started, was last used and expires, from which address and client. `current`
    marks the one this request used, which comes first; the others follow by last
    use, most recent first. `api_token` tells the tokens signed in here from browser
    sessions."""
    return Sessions(items=await services().list_sessions(me().id, auth.session_id()))


@blueprint.delete("/sessions/<uuid:session_id>")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404)
async def revoke_session(session_id: UUID) -> ResponseReturnValue:
    """End one of your sessions.

    Its token or cookie stops working at once. An id that is not one of your live
    sessions is a 404."""
    await services().revoke_session(me().id, session_id, client())
    return "", 204


@blueprint.get("/users/me")
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(401)
async def profile() -> UserDetail:
    """Get your account.

    The signed-in account: names, e-mail address, roles, whether it is active, and
    when it was created and last signed in."""
    return me()


@blueprint.patch("/users/me")
@validate_request(ProfilePatch)
@validate_response(UserDetail)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422, 429)
async def update_profile(data: ProfilePatch) -> UserDetail:
    """Change your names or e-mail address.

    Send only the fields to change. A new e-mail address needs `current_password`
    (the address is how an account is recovered); an address another account uses is
    a 409. With `EMAIL_VERIFICATION` on, a new address takes effect only once the link
    mailed to it is used (the answer still shows the old one), and the old address is
    told."""
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
    """Change your password.

    Needs the current password; the new one follows the same policy as when
    registering. Every other session of the account ends; the answer says how many."""
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
    """Ask for a password reset link.

    If an account uses the address, a link to set a new password is mailed to it.
    The answer is the same 202 whether or not one does, so nobody learns which
    addresses have accounts. Limited per address and per client address."""
    await services().request_password_reset(RequestPasswordReset(email=data.email, client=client()))
    detail = "If an account uses that address, a reset link is on its way."
    return Accepted(detail=detail), 202


@blueprint.post("/password-resets/<token>")
@validate_request(NewPasswordBody)
@no_content
@problems(400, 415, 422)
async def reset(token: str, data: NewPasswordBody) -> ResponseReturnValue:
    """Set a new password with a reset link's token.

    `token` is the last part of the link in the mail. It works once, expires after
    `PASSWORD_RESET_MAX_AGE` (an hour unless set) and dies when the password changes
    any other way. Every session of the account ends."""
    cmd = ResetPassword(token=token[:TOKEN_MAX], new_password=data.new_password, client=client())
    await services().reset_password(cmd)
    return "", 204


@blueprint.get("/users/me/export")
@validate_response(AccountExport)
@security_scheme(SIGNED_IN)
@problems(401)
async def export() -> tuple[AccountExport, int, dict[str, str]]:
    """Export your data.

    Everything Gatehouse holds about your account, as one document to keep: the
    profile and roles, two-factor state, passkeys, sessions and trusted browsers, and
    every audit event about it; never a key, hash, secret or code. Sent as an
    attachment; a few an hour (a 429 past that)."""
    user = me()
    document = await services().export_account(user.id, client())
    return document, 200, {"Content-Disposition": export_disposition(user.username)}


@blueprint.delete("/users/me")
@validate_request(DeleteAccountBody)
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422)
async def delete_me(data: DeleteAccountBody) -> ResponseReturnValue:
    """Delete your account.

    Needs the password and, with two-factor on, a `code`; wrong ones count toward the
    account's lock (then a 429). Every session and token ends at once; names, address,
    hashes, second factor and passkeys are erased, and the username and address become
    free. The audit trail keeps the account's id without a name or an address. You
    are mailed a notice. The last active administrator cannot (409)."""
    cmd = DeleteAccount(user_id=me().id, password=data.password, code=data.code, client=client())
    await services().delete_own_account(cmd)
    return "", 204
