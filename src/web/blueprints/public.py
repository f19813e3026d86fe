"""Public pages: home with the sign-in form, registration, sign-out, about."""

from __future__ import annotations

from quart import (
    Blueprint,
    ResponseReturnValue,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)

from application import accounts
from application.commands import CompleteSignIn, RegisterUser, SignIn
from application.results import SignedIn, TwoFactorRequired
from domain import errors
from web import auth, forms, trusted_cookie
from web.blueprints import invitations, verification
from web.client import client
from web.rendering import render
from web.runtime import services
from web.throttling import limited, reserved
from web.urls import safe_next

blueprint = Blueprint("public", __name__)

SIGN_IN_FIELDS = ("login", "password")
REGISTER_FIELDS = ("username", "email", "password", "confirm")
# The signed session cookie holds only the challenge's opaque token; the half-signed-in
# state itself is kept on the server by the use case (5 minutes, single use).
CHALLENGE_KEY = "two_factor_challenge"
SIGN_IN_AGAIN = "Your sign-in has expired. Sign in again with your password."


@blueprint.get("/")
async def home() -> ResponseReturnValue:
    return await render("public/home.html", values={}, problems={}, next=next_target())


@blueprint.post("/")
@limited("sign_in")
async def sign_in() -> ResponseReturnValue:
    values, problems = await forms.read_form(SIGN_IN_FIELDS)
    remember = (await request.form).get("remember") == "on"
    cmd, invalid = forms.build(
        SignIn,
        {
            **values,
            "remember": remember,
            "client": client(),
            "trusted_browser": trusted_cookie.token(),
        },
    )
    if problems or cmd is None:
        return await sign_in_form_page(values, problems or invalid, 422)
    try:
        signed_in = await services().sign_in(cmd)
    except errors.InvalidCredentials as error:
        return await sign_in_form_page(values, {"form": error.message}, 400)
    except errors.EmailNotVerified as error:
        return await verification.pending_page(error)
    if isinstance(signed_in, TwoFactorRequired):
        session[CHALLENGE_KEY] = signed_in.challenge
        return redirect(url_for("public.two_factor_form", next=next_target()), 303)
    return await signed_in_page(signed_in)


async def signed_in_page(signed_in: SignedIn) -> ResponseReturnValue:
    auth.start(signed_in)
    await flash(f"Welcome, {signed_in.user.full_name}.", "success")
    return redirect(next_target() or url_for("users.members"), 303)


@blueprint.get("/sign-in/two-factor/")
async def two_factor_form() -> ResponseReturnValue:
    if CHALLENGE_KEY not in session:
        return redirect(url_for("public.home", next=next_target()), 303)
    return await render("public/two_factor.html", problems={}, next=next_target(), **_trust())


@blueprint.post("/sign-in/two-factor/")
@limited("sign_in")
async def two_factor() -> ResponseReturnValue:
    """The code step: a code from the app or a recovery code finishes the sign-in the
    password began. A wrong code counts toward the account's lock (the use case)."""
    challenge = session.get(CHALLENGE_KEY)
    if not isinstance(challenge, str):
        return await sign_in_again()
    trust = (await request.form).get("trust") == "on"
    cmd, problems = await forms.read_command(
        CompleteSignIn, ("code",), challenge=challenge, client=client(), trust_browser=trust
    )
    if problems or cmd is None:
        return await two_factor_form_page(problems, 422)
    try:
        signed_in = await services().complete_sign_in(cmd)
    except errors.InvalidCode as error:
        return await two_factor_form_page({"code": error.message}, 400)
    except errors.InvalidChallenge:
        return await sign_in_again()
    return await second_step_done(signed_in)


async def sign_in_again() -> ResponseReturnValue:
    """The half-finished sign-in is gone (expired, used, never begun): back to the
    password, saying why."""
    session.pop(CHALLENGE_KEY, None)
    await flash(SIGN_IN_AGAIN, "info")
    return redirect(url_for("public.home", next=next_target()), 303)


async def second_step_done(signed_in: SignedIn) -> ResponseReturnValue:
    """The session the second step opened, and the trusted-browser cookie if asked."""
    session.pop(CHALLENGE_KEY, None)
    response = await make_response(await signed_in_page(signed_in))
    trusted_cookie.keep(response, signed_in)
    return response


async def two_factor_form_page(problems: forms.FieldErrors, status: int) -> ResponseReturnValue:
    trust = (await request.form).get("trust") == "on"
    page = await render(
        "public/two_factor.html", problems=problems, next=next_target(), **_trust(ticked=trust)
    )
    return page, status


async def sign_in_form_page(
    values: dict[str, str], problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    page = await render(
        "public/home.html", values=forms.kept(values), problems=problems, next=next_target()
    )
    return page, status


def _trust(*, ticked: bool = False) -> dict[str, object]:
    """How long the code step's "don't ask again" box promises, and whether it stays
    ticked when the form comes back."""
    return {"trust_days": current_app.config["TRUSTED_BROWSER_DAYS"], "trust_ticked": ticked}


def next_target() -> str | None:
    return safe_next(request.args.get("next"))


@blueprint.get("/register/")
async def register_form() -> ResponseReturnValue:
    if current_app.config["REGISTRATION"] == "invite":
        return await invitations.by_invitation_only()
    return await render("public/register.html", values={}, problems={})


@blueprint.post("/register/")
@limited("register_attempt")
async def register() -> ResponseReturnValue:
    if current_app.config["REGISTRATION"] == "invite":
        return await invitations.by_invitation_only()
    values, unreadable = await forms.read_form(REGISTER_FIELDS)
    cmd, invalid = forms.build(RegisterUser, {k: values[k] for k in REGISTER_FIELDS[:3]})
    broken = accounts.registration_problems(values["username"], values["email"], values["password"])
    problems = forms.field_errors(broken) | invalid | unreadable
    forms.confirm_matches(values, problems, "password")
    if cmd is not None and not problems:
        try:
            async with reserved("register"):  # counts only the accounts made
                said = await _registered(cmd)
        except (errors.ValidationFailed, errors.Conflict) as error:
            problems = forms.field_error(error)
        else:
            await flash(said, "success")
            return redirect(url_for("public.home"), 303)
    page = await render("public/register.html", values=forms.kept(values), problems=problems)
    return page, 422


CHECK_YOUR_MAIL = "Thank you for registering. Check your e-mail to finish: open the link we sent."


async def _registered(cmd: RegisterUser) -> str:
    """Register, and what to tell the person. With verification required the answer is
    the same whether or not the address had an account (see ``register_quietly``)."""
    if current_app.config["EMAIL_VERIFICATION"] == "required":
        await services().register_quietly(cmd)
        return CHECK_YOUR_MAIL
    await services().register(cmd)
    return "Thank you for registering. You can now sign in."


@blueprint.get("/logout/")
async def logout_page() -> ResponseReturnValue:
    return await render("public/logout.html")


@blueprint.post("/logout/")
async def logout() -> ResponseReturnValue:
    await auth.end()
    if not auth.told_signed_out():  # once is enough
        await flash("You are signed out.", "info")
    return redirect(url_for("public.home"), 303)


@blueprint.get("/about/")
async def about() -> ResponseReturnValue:
    return await render("public/about.html")
