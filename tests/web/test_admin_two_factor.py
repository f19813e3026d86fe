"""Administration of how accounts sign in: two-factor (shown, turned off for a lost
phone, required of administrators with ADMIN_REQUIRES_TWO_FACTOR), passkeys (seen and
removed) and addresses (a new link sent, or marked verified)."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.commands import RegisterUser
from application.results import UserDetail
from application.services import SETUP, Services
from tests.conftest import unique_name
from tests.soft_authenticator import SoftAuthenticator
from tests.web.admin_support import flash_after, post
from tests.web.api_support import API, bearer, new_user, problem_of, secret_free, token_for
from tests.web.conftest import PASSWORD, Account, AppMaker, Outbox, sign_in
from tests.web.test_passkeys import add
from tests.web.test_two_factor_sign_in import turn_on

SUBJECT = "An administrator turned off two-factor sign-in"


@pytest.fixture
async def holder(services: Services, account: Account) -> Account:
    """A member with two-factor on."""
    await turn_on(services, account)
    return account


async def test_the_user_page_says_whether_two_factor_is_on(
    as_admin: QuartClient, holder: Account, admin: UserDetail
) -> None:
    page = await (await as_admin.get(f"/admin/users/{holder.user.id}")).get_data(as_text=True)
    assert "<dt>Two-factor</dt><dd>on</dd>" in page
    assert f"/admin/users/{holder.user.id}/two-factor/reset" in page
    mine = await (await as_admin.get(f"/admin/users/{admin.id}")).get_data(as_text=True)
    assert "<dt>Two-factor</dt><dd>off</dd>" in mine
    assert "two-factor/reset" not in mine


async def test_turning_it_off_asks_first_then_ends_every_session_and_mails_the_user(
    app: Quart, as_admin: QuartClient, holder: Account, services: Services, outbox: Outbox
) -> None:
    theirs = app.test_client()
    await sign_in(theirs, holder.user.username)  # a code is owed: no session yet
    api = await app.test_client().post(
        f"{API}/sessions", json={"login": holder.user.username, "password": PASSWORD}
    )
    assert api.status_code == 401
    path = f"/admin/users/{holder.user.id}/two-factor/reset"
    asked = await as_admin.get(path)
    assert asked.status_code == 200
    assert "Turn off two-factor sign-in?" in await asked.get_data(as_text=True)
    assert (await as_admin.post(path)).status_code == 400  # no CSRF token: nothing changes
    assert (await services.two_factor_status(holder.user.id)).enabled

    done = await post(as_admin, path)
    assert "Two-factor sign-in is off for" in await flash_after(as_admin, done)
    assert not (await services.two_factor_status(holder.user.id)).enabled
    (mail,) = await outbox.messages(SUBJECT)
    assert mail["To"] == holder.user.email
    audit = await (await as_admin.get(f"/admin/audit/?user={holder.user.id}")).get_data(
        as_text=True
    )
    assert "Two-factor reset by an administrator" in audit
    token = await token_for(app.test_client(), holder.user.username)  # the password alone
    assert token["user"]["id"] == str(holder.user.id)


async def test_the_confirmation_of_an_account_without_it_goes_back_and_a_post_says_why(
    as_admin: QuartClient, account: Account
) -> None:
    path = f"/admin/users/{account.user.id}/two-factor/reset"
    asked = await as_admin.get(path)
    assert asked.status_code == 303
    assert asked.headers["Location"] == f"/admin/users/{account.user.id}"
    assert "not on" in await flash_after(as_admin, await post(as_admin, path))


async def test_members_cannot_turn_anyones_two_factor_off(
    as_member: QuartClient, holder: Account, services: Services
) -> None:
    path = f"/admin/users/{holder.user.id}/two-factor/reset"
    assert (await as_member.get(path)).status_code == 403
    assert (await post(as_member, path)).status_code == 403
    assert (await services.two_factor_status(holder.user.id)).enabled


async def test_the_admin_api_shows_it_and_turns_it_off(
    client: QuartClient, holder: Account, admin: UserDetail, services: Services
) -> None:
    headers = bearer((await token_for(client, admin.username))["token"])
    one = await secret_free(
        await client.get(f"{API}/admin/users/{holder.user.id}", headers=headers)
    )
    assert one["two_factor"] is True
    found = await client.get(
        f"{API}/admin/users", query_string={"q": holder.user.username}, headers=headers
    )
    assert [user["two_factor"] for user in (await secret_free(found))["items"]] == [True]

    path = f"{API}/admin/users/{holder.user.id}/two-factor/reset"
    reset = await secret_free(await client.post(path, headers=headers))
    assert reset["two_factor"] is False and reset["id"] == str(holder.user.id)
    await problem_of(
        await client.post(path, headers=headers), 409, "/problems/two-factor-not-enabled"
    )
    unknown = f"{API}/admin/users/00000000-0000-4000-8000-000000000000/two-factor/reset"
    await problem_of(await client.post(unknown, headers=headers), 404)


async def test_the_admin_api_refuses_members(
    client: QuartClient, holder: Account, services: Services
) -> None:
    member = await new_user(services, "mem")
    headers = bearer((await token_for(client, member.username))["token"])
    path = f"{API}/admin/users/{holder.user.id}/two-factor/reset"
    await problem_of(await client.post(path, headers=headers), 403)
    assert (await services.two_factor_status(holder.user.id)).enabled


# ADMIN_REQUIRES_TWO_FACTOR


async def test_an_administrator_without_two_factor_is_sent_to_turn_it_on(
    make_app: AppMaker, services: Services, admin: UserDetail
) -> None:
    async with make_app(ADMIN_REQUIRES_TWO_FACTOR=True) as app:
        client = app.test_client()
        await sign_in(client, admin.username)
        await client.get("/users/")  # shows the welcome
        for page in ("/admin/", "/admin/users/", "/admin/audit/", f"/admin/users/{admin.id}"):
            response = await client.get(page)
            assert response.status_code == 303, page
            assert response.headers["Location"] == "/users/me/two-factor/"
        message = await flash_after(client, await client.get("/admin/roles/"))
        assert "Turn on two-factor sign-in first" in message
        assert (await client.get("/users/me/two-factor/")).status_code == 200
        refused = await post(client, "/admin/roles/", {"name": "auditor"})
        assert refused.status_code == 303  # and nothing was created
        assert "auditor" not in {role.name for role in await services.list_roles(SETUP)}

        headers = bearer((await token_for(app.test_client(), admin.username))["token"])
        api = await app.test_client().get(f"{API}/admin/users", headers=headers)
        await problem_of(api, 403, "/problems/two-factor-setup-required")
        mine = await app.test_client().get(f"{API}/users/me", headers=headers)
        assert mine.status_code == 200  # only administration waits for it


async def test_once_two_factor_is_on_administration_opens(
    make_app: AppMaker, services: Services, admin: UserDetail
) -> None:
    async with make_app(ADMIN_REQUIRES_TWO_FACTOR=True) as app:
        client = app.test_client()
        await sign_in(client, admin.username)  # signed in before two-factor was turned on
        await turn_on(services, Account(admin, PASSWORD))
        assert (await client.get("/admin/users/")).status_code == 200


async def test_members_still_get_the_403_and_the_setting_off_asks_nothing(
    make_app: AppMaker, account: Account, admin: UserDetail
) -> None:
    async with make_app(ADMIN_REQUIRES_TWO_FACTOR=True) as app:
        member = app.test_client()
        await sign_in(member, account.user.username)
        assert (await member.get("/admin/users/")).status_code == 403
    async with make_app(ADMIN_REQUIRES_TWO_FACTOR=False) as app:
        client = app.test_client()
        await sign_in(client, admin.username)
        assert (await client.get("/admin/users/")).status_code == 200


async def test_an_administrator_turns_their_own_off_on_their_own_page_only(
    as_admin: QuartClient, admin: UserDetail, services: Services
) -> None:
    await turn_on(services, Account(admin, PASSWORD))
    page = await (await as_admin.get(f"/admin/users/{admin.id}")).get_data(as_text=True)
    assert "your two-factor page" in page and "two-factor/reset" not in page
    path = f"/admin/users/{admin.id}/two-factor/reset"
    assert (await as_admin.get(path)).status_code == 303
    assert "your own two-factor" in await flash_after(as_admin, await post(as_admin, path))
    assert (await services.two_factor_status(admin.id)).enabled


# Passkeys


async def test_an_administrator_sees_and_removes_someones_passkey(
    app: Quart, as_admin: QuartClient, account: Account, services: Services, outbox: Outbox
) -> None:
    theirs = app.test_client()
    await sign_in(theirs, account.user.username)
    await add(theirs, SoftAuthenticator(rp_id="localhost", origin="http://localhost:8000"))
    (passkey,) = await services.list_passkeys(account.user.id)
    page = await (await as_admin.get(f"/admin/users/{account.user.id}")).get_data(as_text=True)
    assert "<strong>Laptop</strong>" in page and "built into a device" in page
    path = f"/admin/users/{account.user.id}/passkeys/{passkey.id}/remove"
    asked = await as_admin.get(path)
    assert "Remove this passkey?" in await asked.get_data(as_text=True)
    assert (await as_admin.post(path)).status_code == 400  # no CSRF token
    done = await post(as_admin, path)
    assert "The passkey is removed." in await flash_after(as_admin, done)
    assert await services.list_passkeys(account.user.id) == []
    assert (await as_admin.get(path)).status_code == 404
    audit = await (await as_admin.get(f"/admin/audit/?user={account.user.id}")).get_data(
        as_text=True
    )
    assert "Passkey removed" in audit


# Verified addresses


async def test_an_administrator_sends_a_new_link_or_marks_an_address_verified(
    as_admin: QuartClient, services: Services, outbox: Outbox, admin: UserDetail
) -> None:
    name = unique_name("unv")
    user = await services.register(
        RegisterUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    page = await (await as_admin.get(f"/admin/users/{user.id}")).get_data(as_text=True)
    assert "(not verified)" in page and "Mark verified" in page
    assert (await as_admin.post(f"/admin/users/{user.id}/verify-email")).status_code == 400  # CSRF
    sent = await post(as_admin, f"/admin/users/{user.id}/verification-link")
    assert "on its way" in await flash_after(as_admin, sent)
    assert await outbox.messages("Confirm your address")
    marked = await post(as_admin, f"/admin/users/{user.id}/verify-email")
    assert "marked verified" in await flash_after(as_admin, marked)
    page = await (await as_admin.get(f"/admin/users/{user.id}")).get_data(as_text=True)
    assert "(verified)" in page and "Mark verified" not in page
    audit = await (await as_admin.get(f"/admin/audit/?user={user.id}")).get_data(as_text=True)
    assert "Address verified" in audit and admin.username in audit


async def test_the_admin_api_marks_verified_and_sends_links_for_administrators_only(
    client: QuartClient, services: Services, admin: UserDetail
) -> None:
    name = unique_name("unv")
    user = await services.register(
        RegisterUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    boss = bearer((await token_for(client, admin.username))["token"])
    member = bearer((await token_for(client, name))["token"])
    link = f"{API}/admin/users/{user.id}/verification-link"
    await problem_of(await client.post(link, headers=member), 403)
    assert (await client.post(link, headers=boss)).status_code == 204
    marked = await client.post(f"{API}/admin/users/{user.id}/verify-email", headers=boss)
    assert (await secret_free(marked))["email_verified"] is True
    again = await client.post(f"{API}/admin/users/{user.id}/verify-email", headers=boss)
    await problem_of(again, 409, "/problems/email-already-verified")
    await problem_of(await client.post(link, headers=boss), 409)
