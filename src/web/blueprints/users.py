"""The members area: pages for signed-in people."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from quart import (
    Blueprint,
    Response,
    ResponseReturnValue,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)

from application.commands import (
    ChangePassword,
    ConfirmTwoFactor,
    DisableTwoFactor,
    ListMembers,
    RegenerateRecoveryCodes,
    UpdateProfile,
)
from application.results import RecoveryCodes, UserDetail
from domain import errors
from domain.sessions import SecondFactor
from domain.values import EmailAddress
from web import auth, devices, forms, qr, trusted_cookie
from web.auth import login_required
from web.client import client
from web.rendering import confirmation, render
from web.runtime import services

blueprint = Blueprint("users", __name__, url_prefix="/users")


@blueprint.get("/")
@login_required
async def members() -> ResponseReturnValue:
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    query, _ = forms.build(
        ListMembers, {"page": request.args.get("page", "1"), "per_page": per_page}
    )
    if query is None:
        abort(400)
    page = await services().list_members(query)
    if page.past_the_end:
        abort(404)
    return await render("users/members.html", page=page)


PROFILE_FIELDS = ("first_name", "last_name", "email", "current_password")
PASSWORD_FIELDS = ("current_password", "new_password", "confirm")


@blueprint.get("/me")
@login_required
async def profile() -> ResponseReturnValue:
    me = _me()
    values = {"first_name": me.first_name, "last_name": me.last_name, "email": me.email}
    return await render("users/profile.html", values=values, problems={})


@blueprint.post("/me")
@login_required
async def update_profile() -> ResponseReturnValue:
    values, problems = await forms.read_form(PROFILE_FIELDS)
    cmd, invalid = forms.build(UpdateProfile, {**values, "user_id": _me().id, "client": client()})
    problems = invalid | problems
    if cmd is not None and not problems:
        try:
            saved = await services().update_profile(cmd)
        except (errors.ValidationFailed, errors.Conflict, errors.InvalidCredentials) as error:
            problems = forms.field_error(error)
        else:
            await flash(_saved(saved, asked=values["email"]), "success")
            return redirect(url_for("users.profile"), 303)
    page = await render("users/profile.html", values=forms.kept(values), problems=problems)
    return page, 422


def _saved(saved: UserDetail, *, asked: str) -> str:
    """What saving said: a new address asked for waits for its link."""
    if EmailAddress(asked).key == EmailAddress(saved.email).key:
        return "Your profile is saved."
    return (
        f"Your profile is saved. We sent a link to {asked}: your address changes once you "
        "open it (it works for three days)."
    )


@blueprint.get("/me/export")
@login_required
async def export() -> ResponseReturnValue:
    """Everything Gatehouse holds about you, as a JSON file to keep."""
    me = _me()
    document = await services().export_account(me.id, client())
    return download(document.model_dump_json(indent=2), me.username)


def download(body: str, username: str) -> Response:
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = export_disposition(username)
    return response


def export_disposition(username: str) -> str:
    """The export as a file to keep (usernames are [A-Za-z0-9._-]: safe in the header)."""
    return f'attachment; filename="gatehouse-{username}.json"'


@blueprint.get("/me/password")
@login_required
async def change_password() -> ResponseReturnValue:
    return await render("users/password.html", problems={})


@blueprint.post("/me/password")
@login_required
async def save_password() -> ResponseReturnValue:
    values, problems = await forms.read_form(PASSWORD_FIELDS)
    fields = {k: values[k] for k in PASSWORD_FIELDS[:2]}
    cmd, invalid = forms.build(
        ChangePassword,
        {**fields, "user_id": _me().id, "session_id": auth.session_id(), "client": client()},
    )
    problems = invalid | problems
    forms.confirm_matches(values, problems, "new_password")
    if cmd is not None and not problems:
        try:
            ended = await services().change_password(cmd)
        except (errors.ValidationFailed, errors.InvalidCredentials) as error:
            problems = forms.field_error(error)
        else:
            others = "" if not ended else f" {ended} other session{'s' * (ended != 1)} ended."
            await flash(f"Your password is changed.{others}", "success")
            return redirect(url_for("users.profile"), 303)
    return await render("users/password.html", problems=problems), 422


@blueprint.get("/me/sessions")
@login_required
async def sessions() -> ResponseReturnValue:
    user = _me()
    found = await services().list_sessions(user.id, auth.session_id())
    trusted = await services().list_trusted_browsers(user.id, trusted_cookie.token())
    return await render(
        "users/sessions.html",
        sessions=found,
        trusted=trusted,
        session_name=devices.session_name,
        proof=SECOND_FACTOR_WORDS,
    )


# How the sessions page says what proved a session's second factor.
SECOND_FACTOR_WORDS = {
    SecondFactor.CODE: "two-factor: app code",
    SecondFactor.RECOVERY_CODE: "two-factor: recovery code",
    SecondFactor.TRUSTED_BROWSER: "two-factor: trusted browser",
    SecondFactor.PASSKEY: "signed in with a passkey",
}


@blueprint.post("/me/trusted-browsers/<uuid:browser_id>/forget")
@login_required
async def forget_trusted_browser(browser_id: UUID) -> ResponseReturnValue:
    """This browser or another one must give the two-factor code at its next sign-in."""
    try:
        await services().forget_trusted_browser(_me().id, browser_id, client())
    except errors.TrustedBrowserNotFound:
        abort(404)
    await flash("That browser will be asked for a code at its next sign-in.", "success")
    return redirect(url_for("users.sessions"), 303)


@blueprint.post("/me/sessions/<uuid:session_id>/revoke")
@login_required
async def revoke_session(session_id: UUID) -> ResponseReturnValue:
    try:
        await services().revoke_session(_me().id, session_id, client())
    except errors.SessionNotFound:
        abort(404)
    if session_id == auth.session_id():
        await auth.end()
        await flash("This session has ended; you are signed out.", "info")
        return redirect(url_for("public.home"), 303)
    await flash("The session has been signed out.", "success")
    return redirect(url_for("users.sessions"), 303)


@blueprint.get("/me/sessions/revoke-others")
@login_required
async def confirm_revoke_other_sessions() -> ResponseReturnValue:
    found = await services().list_sessions(_me().id, auth.session_id())
    trusted = await services().list_trusted_browsers(_me().id, trusted_cookie.token())
    others = sum(not session.current for session in found)
    if not others and not trusted:
        return redirect(url_for("users.sessions"), 303)
    noun = "session" if others == 1 else f"{others} sessions"
    ending = f"Your other {noun} will end at once" if others else "Nothing else is signed in"
    browsers = (
        ", and every trusted browser, this one included, will be asked for a code again"
        if trusted
        else ""
    )
    return await confirmation(
        title="Sign out everywhere else?",
        message=f"{ending}{browsers}; this one stays signed in.",
        button="Sign out everywhere else",
        action=url_for("users.revoke_other_sessions"),
        cancel=url_for("users.sessions"),
    )


@blueprint.post("/me/sessions/revoke-others")
@login_required
async def revoke_other_sessions() -> ResponseReturnValue:
    ended = await services().revoke_other_sessions(_me().id, auth.session_id(), client())
    noun = "session" if ended == 1 else "sessions"
    await flash(f"Signed out {ended} other {noun}.", "success")
    return redirect(url_for("users.sessions"), 303)


TWO_FACTOR_FIELDS = ("code",)
DISABLE_FIELDS = ("password", "code")


@blueprint.get("/me/two-factor/")
@login_required
async def two_factor() -> ResponseReturnValue:
    try:
        return await _two_factor_page(problems={})
    except errors.EmailNotVerified as error:  # with verification on, a second factor needs it
        await flash(error.message, "error")
        return redirect(url_for("users.profile"), 303)


@blueprint.post("/me/two-factor/")
@login_required
async def confirm_two_factor() -> ResponseReturnValue:
    """The first code from the app turns two-factor on; the recovery codes show once."""
    cmd, problems = await forms.read_command(
        ConfirmTwoFactor, TWO_FACTOR_FIELDS, user_id=_me().id, client=client()
    )
    if cmd is None or problems:
        return await _two_factor_page(problems=problems), 422
    try:
        codes = await services().confirm_two_factor_setup(cmd)
    except errors.TwoFactorAlreadyEnabled:
        return redirect(url_for("users.two_factor"), 303)
    except (errors.InvalidCode, errors.SetupExpired) as error:
        return await _two_factor_page(problems={"code": error.message}), 400
    await flash("Two-factor sign-in is on.", "success")
    return await _recovery_codes_page(codes, fresh_setup=True)


@blueprint.post("/me/two-factor/disable")
@login_required
async def disable_two_factor() -> ResponseReturnValue:
    cmd, problems = await forms.read_command(
        DisableTwoFactor, DISABLE_FIELDS, user_id=_me().id, client=client()
    )
    if cmd is None or problems:
        return await _two_factor_page(disable_problems=problems), 422
    try:
        await services().disable_two_factor(cmd)
    except errors.TwoFactorNotEnabled:
        return redirect(url_for("users.two_factor"), 303)
    except errors.InvalidCredentials as error:
        return await _two_factor_page(disable_problems=forms.field_error(error)), 400
    except errors.InvalidCode as error:
        return await _two_factor_page(disable_problems={"code": error.message}), 400
    await flash("Two-factor sign-in is off.", "success")
    return redirect(url_for("users.profile"), 303)


@blueprint.post("/me/two-factor/recovery-codes")
@login_required
async def new_recovery_codes() -> ResponseReturnValue:
    cmd, problems = await forms.read_command(
        RegenerateRecoveryCodes, ("password",), user_id=_me().id, client=client()
    )
    if cmd is None or problems:
        return await _two_factor_page(codes_problems=problems), 422
    try:
        codes = await services().regenerate_recovery_codes(cmd)
    except errors.TwoFactorNotEnabled:
        return redirect(url_for("users.two_factor"), 303)
    except errors.InvalidCredentials as error:
        return await _two_factor_page(codes_problems=forms.field_error(error)), 400
    await flash("New recovery codes are made; the old ones no longer work.", "success")
    return await _recovery_codes_page(codes, fresh_setup=False)


async def _two_factor_page(
    *,
    problems: forms.FieldErrors | None = None,
    disable_problems: forms.FieldErrors | None = None,
    codes_problems: forms.FieldErrors | None = None,
) -> str:
    """Status and the forms to turn it off or renew the codes when on; otherwise the key
    of the set-up under way (or of a new one), as a QR code, a link and text."""
    me = _me()
    status = await services().two_factor_status(me.id)
    setup = None
    if not status.enabled:
        services_ = services()
        setup = await services_.pending_two_factor_setup(me.id)
        if setup is None:
            setup = await services_.begin_two_factor_setup(me.id)
    return await render(
        "users/two_factor.html",
        status=status,
        setup=setup,
        qr_svg=qr.svg(setup.otpauth_uri) if setup else None,
        key_groups=_grouped(setup.secret) if setup else "",
        problems=problems or {},
        disable_problems=disable_problems or {},
        codes_problems=codes_problems or {},
    )


async def _recovery_codes_page(codes: RecoveryCodes, *, fresh_setup: bool) -> ResponseReturnValue:
    text = "".join(f"{code}\n" for code in codes.codes)
    page = await render(
        "users/recovery_codes.html",
        codes=codes.codes,
        download=f"data:text/plain;charset=utf-8,{quote(text)}",
        fresh_setup=fresh_setup,
    )
    return page, 200, {"Cache-Control": "no-store"}


def _grouped(secret: str) -> str:
    """The key in groups of four, easier to copy by hand (apps ignore the spaces)."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _me() -> UserDetail:
    user = auth.viewer()
    assert user is not None, "login_required lets only signed-in visitors through"
    return user
