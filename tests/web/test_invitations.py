"""Invitations through the real app: an administrator invites on the page or through
the API, the invitee registers with the mailed link (address filled in and verified,
roles held), the link then dies; with REGISTRATION=invite nobody else registers."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart, Response
from quart.testing import QuartClient

from application.commands import Actor, DefineRole
from application.invitations import ListInvitations
from application.results import UserDetail
from application.services import Services
from domain import errors
from tests.web.admin_support import flash_after, post
from tests.web.api_support import API, bearer, problem_of, secret_free, token_for
from tests.web.conftest import AppMaker, Outbox, post_form, sign_in
from web.runtime import SERVICES

PAGE = "/admin/invitations/"
GRACE = "grace@example.com"
NEW_PASSWORD = "a quiet harbour at dawn"
FORM = "application/x-www-form-urlencoded"


async def link_to(outbox: Outbox, address: str = GRACE) -> str:
    """The path of the newest invitation link mailed to ``address``."""
    for message in reversed(await outbox.messages("You are invited to Gatehouse")):
        if message["To"] == address:
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found = re.search(r"https?://[^/\s]+(/register/[\w-]+)", body.get_content())
            assert found, body.get_content()
            return found.group(1)
    raise AssertionError(f"no invitation was mailed to {address}")


async def invite_on_page(client: QuartClient, email: str = GRACE, *roles: str) -> str:
    return await flash_after(client, await post_invitation(client, email, *roles))


async def post_invitation(client: QuartClient, email: str, *roles: str) -> Response:
    """The invitation form as a browser posts it: one ``roles`` entry per ticked box
    (sent as a body: the test client's ``form`` takes one value per name)."""
    fields = [("email", email), ("csrf_token", await _csrf(client))]
    body = urlencode(fields + [("roles", role) for role in roles])
    return await client.post(PAGE, data=body, headers={"Content-Type": FORM})


async def _csrf(client: QuartClient) -> str:
    page = await (await client.get(PAGE)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def register_with(
    client: QuartClient, link: str, username: str = "grace", password: str = NEW_PASSWORD
) -> Any:
    return await post_form(
        client, link, {"username": username, "password": password, "confirm": password}
    )


@pytest.fixture
async def editor_role(services: Services, admin: UserDetail) -> str:
    await services.create_role(DefineRole(name="editor", description="Edits."), actor_of(admin))
    return "editor"


def actor_of(user: UserDetail) -> Actor:
    return Actor(user_id=user.id, name=user.username)


async def test_an_admin_invites_and_the_invitee_registers_with_the_role(
    as_admin: QuartClient, app: Quart, outbox: Outbox, services: Services, editor_role: str
) -> None:
    said = await invite_on_page(as_admin, GRACE, editor_role)
    assert said == f"Invited {GRACE}: the link is on its way."
    listed = await (await as_admin.get(PAGE)).get_data(as_text=True)
    assert GRACE in listed and ">pending<" in listed and "editor" in listed

    link = await link_to(outbox)
    visitor = app.test_client()
    form = await (await visitor.get(link)).get_data(as_text=True)
    assert f'value="{GRACE}" readonly' in form
    registered = await register_with(visitor, link)
    assert registered.status_code == 303
    grace = await services.find_user("grace", Actor.system("test"))
    assert (grace.email, grace.email_verified, grace.roles) == (GRACE, True, ("editor",))
    await sign_in(visitor, "grace", NEW_PASSWORD)

    dead = await app.test_client().get(link)
    assert dead.status_code == 400
    assert "This invitation cannot be used" in await dead.get_data(as_text=True)
    listed = await (await as_admin.get(PAGE)).get_data(as_text=True)
    assert ">accepted<" in listed


async def test_the_registration_form_says_what_is_wrong_and_keeps_the_link_open(
    as_admin: QuartClient, app: Quart, outbox: Outbox
) -> None:
    await invite_on_page(as_admin)
    link = await link_to(outbox)
    visitor = app.test_client()

    weak = await register_with(visitor, link, "grace", "password")
    mismatch = await post_form(
        visitor, link, {"username": "x y", "password": NEW_PASSWORD, "confirm": "other"}
    )

    assert weak.status_code == 422 and mismatch.status_code == 422
    page = html.unescape(await mismatch.get_data(as_text=True))
    assert "Usernames are 3 to 25" in page and "The passwords do not match." in page
    assert (await visitor.get(link)).status_code == 200  # still usable
    assert (await register_with(visitor, link)).status_code == 303


@pytest.mark.parametrize("token", ["made-up", "x" * 300, "%00"])
async def test_a_bad_link_is_a_clear_page_not_a_404(app: Quart, token: str) -> None:
    client = app.test_client()
    for response in (
        await client.get(f"/register/{token}"),
        await post_form(client, f"/register/{token}", {"username": "eve"}, form_page="/"),
    ):
        assert response.status_code == 400
        assert "This invitation cannot be used" in await response.get_data(as_text=True)


async def test_resending_kills_the_old_link_and_revoking_kills_the_new(
    as_admin: QuartClient, app: Quart, outbox: Outbox, services: Services, admin: UserDetail
) -> None:
    await invite_on_page(as_admin)
    first = await link_to(outbox)
    [made] = (await services.list_invitations(ListInvitations(), actor_of(admin))).items

    said = await flash_after(as_admin, await post(as_admin, f"{PAGE}{made.id}/resend"))
    second = await link_to(outbox)
    assert said.startswith(f"A new link is on its way to {GRACE}") and second != first
    assert (await app.test_client().get(first)).status_code == 400

    asked = await as_admin.get(f"{PAGE}{made.id}/revoke")
    assert "Revoke this invitation?" in await asked.get_data(as_text=True)
    assert (await app.test_client().get(second)).status_code == 200  # asking changed nothing
    said = await flash_after(as_admin, await post(as_admin, f"{PAGE}{made.id}/revoke"))
    assert said == f"The invitation of {GRACE} is revoked."
    assert (await app.test_client().get(second)).status_code == 400


@pytest.mark.parametrize(
    ("email", "roles", "said"),
    [
        ("not an address", (), "Enter a valid e-mail address."),
        ("", (), "This field is required."),
        (GRACE, ("nobody",), "There is no role named 'nobody'."),
    ],
    ids=["bad-address", "empty", "unknown-role"],
)
async def test_a_wrong_invitation_form_says_why_and_sends_nothing(
    as_admin: QuartClient, outbox: Outbox, email: str, roles: tuple[str, ...], said: str
) -> None:
    response = await post_invitation(as_admin, email, *roles)
    assert response.status_code == 422
    assert said in html.unescape(await response.get_data(as_text=True))
    assert await outbox.messages() == []


async def test_an_address_with_an_account_is_not_invited(
    as_admin: QuartClient, admin: UserDetail, outbox: Outbox
) -> None:
    form = {"email": admin.email.upper(), "csrf_token": await _csrf(as_admin)}
    response = await as_admin.post(PAGE, form=form)
    assert response.status_code == 422
    assert "already exists" in html.unescape(await response.get_data(as_text=True))


async def test_members_cannot_see_or_use_the_invitations_page(as_member: QuartClient) -> None:
    assert (await as_member.get(PAGE)).status_code == 403
    response = await post(as_member, PAGE, {"email": GRACE})
    assert response.status_code == 403


# REGISTRATION=invite


async def test_invite_mode_refuses_the_open_registration_page_with_a_clear_page(
    make_app: AppMaker,
) -> None:
    async with make_app(REGISTRATION="invite") as app:
        client = app.test_client()
        page = await client.get("/register/")
        assert page.status_code == 403
        assert "Registration is by invitation" in await page.get_data(as_text=True)
        posted = await post_form(
            client,
            "/register/",
            {"username": "eve", "email": "eve@example.com", "password": NEW_PASSWORD},
            form_page="/",
        )
        assert posted.status_code == 403
        about = await (await client.get("/about/")).get_data(as_text=True)
        assert "Create account" not in about
        services: Services = app.extensions[SERVICES]
        with pytest.raises(errors.UserNotFound):
            await services.find_user("eve", Actor.system("test"))


async def test_invite_mode_refuses_the_api_without_an_invitation_and_admits_with_one(
    make_app: AppMaker, admin: UserDetail, tmp_path: Path
) -> None:
    async with make_app(REGISTRATION="invite") as app:
        client = app.test_client()
        body = {"username": "eve", "email": "eve@example.com", "password": NEW_PASSWORD}
        refused = await client.post(f"{API}/users", json=body)
        await problem_of(refused, 403, "/problems/invitation-required")

        headers = bearer((await token_for(client, admin.username))["token"])
        made = await client.post(
            f"{API}/admin/invitations", json={"email": "eve@example.com"}, headers=headers
        )
        assert made.status_code == 201
        outbox = Outbox(tmp_path / "mail", app.extensions[SERVICES])
        token = (await link_to(outbox, "eve@example.com")).rsplit("/", 1)[1]
        admitted = await client.post(f"{API}/users", json={**body, "invitation": token})
        assert admitted.status_code == 201
        assert (await secret_free(admitted))["email_verified"] is True
        again = await client.post(
            f"{API}/users", json={**body, "username": "eve2", "invitation": token}
        )
        await problem_of(again, 400, "/problems/invalid-invitation")
