"""Deleting an account in the browser and through the API: the password (and a code with
two-factor on) first; then every session ends, the names are free, the holder is mailed;
administrators delete others' accounts, never their own that way."""

from __future__ import annotations

from quart import Quart
from quart.testing import QuartClient

from application.results import UserDetail
from application.services import Services
from tests.web.admin_support import flash_after, post
from tests.web.api_support import API, bearer, new_user, problem_of, token_for
from tests.web.conftest import PASSWORD, Account, Outbox, new_account, post_form, sign_in
from tests.web.test_two_factor_sign_in import next_code, turn_on

PAGE = "/users/me/delete"


async def test_deleting_asks_for_the_password_then_ends_everything(
    app: Quart, as_member: QuartClient, account: Account, services: Services, outbox: Outbox
) -> None:
    other_device = app.test_client()
    await sign_in(other_device, account.user.username)
    page = await (await as_member.get(PAGE)).get_data(as_text=True)
    assert "Delete your account?" in page and 'id="code"' not in page
    assert (await as_member.post(PAGE, form={"password": PASSWORD})).status_code == 400  # CSRF
    wrong = await post_form(as_member, PAGE, {"password": "not my password"})
    assert wrong.status_code == 400
    assert (await as_member.get("/users/me")).status_code == 200  # nothing changed

    done = await post_form(as_member, PAGE, {"password": PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert (await as_member.get("/users/me")).status_code == 303
    assert (await other_device.get("/users/me")).status_code == 303  # every session
    assert await services.get_user(account.user.id) is None
    (mail,) = await outbox.messages("Your Gatehouse account is deleted")
    assert mail["To"] == account.user.email
    again = await new_account(services, "x")  # any name works; this one is free again
    assert again.user.username


async def test_with_two_factor_on_the_page_asks_for_a_code(
    as_member: QuartClient, account: Account, services: Services
) -> None:
    secret, _ = await turn_on(services, account)
    page = await (await as_member.get(PAGE)).get_data(as_text=True)
    assert 'id="code"' in page
    without = await post_form(as_member, PAGE, {"password": PASSWORD})
    assert without.status_code == 400 and "two-factor is on" in await without.get_data(as_text=True)
    done = await post_form(as_member, PAGE, {"password": PASSWORD, "code": next_code(secret)})
    assert done.status_code == 303, await done.get_data(as_text=True)
    assert await services.get_user(account.user.id) is None


async def test_the_last_administrator_cannot_delete_themselves(
    as_admin: QuartClient, admin: UserDetail, services: Services
) -> None:
    response = await post_form(as_admin, PAGE, {"password": PASSWORD})
    if response.status_code == 409:
        assert "last active administrator" in await response.get_data(as_text=True)
        assert await services.get_user(admin.id) is not None
    else:  # other administrators of other tests are still active in the shared database
        assert response.status_code == 303


async def test_the_api_deletes_your_own_account(
    client: QuartClient, account: Account, services: Services
) -> None:
    headers = bearer((await token_for(client, account.user.username))["token"])
    wrong = await client.delete(f"{API}/users/me", headers=headers, json={"password": "nope"})
    await problem_of(wrong, 400)
    gone = await client.delete(f"{API}/users/me", headers=headers, json={"password": PASSWORD})
    assert gone.status_code == 204
    await problem_of(await client.get(f"{API}/users/me", headers=headers), 401)
    assert await services.get_user(account.user.id) is None


async def test_an_administrator_deletes_an_account_on_its_page_and_in_the_api(
    as_admin: QuartClient, client: QuartClient, admin: UserDetail, services: Services
) -> None:
    member = await new_account(services, "del")
    path = f"/admin/users/{member.user.id}/delete"
    assert "Delete this account?" in await (await as_admin.get(path)).get_data(as_text=True)
    assert (await as_admin.post(path)).status_code == 400  # CSRF
    done = await post(as_admin, path)
    assert done.headers["Location"] == "/admin/users/"
    assert "The account is deleted." in await flash_after(as_admin, done)
    assert await services.get_user(member.user.id) is None

    another = await new_user(services, "del")
    boss = bearer((await token_for(client, admin.username))["token"])
    user_path = f"{API}/admin/users/{another.id}"
    mine = bearer((await token_for(client, another.username))["token"])
    await problem_of(await client.delete(f"{API}/admin/users/{admin.id}", headers=mine), 403)
    await problem_of(await client.delete(f"{API}/admin/users/{admin.id}", headers=boss), 409)
    assert (await client.delete(user_path, headers=boss)).status_code == 204
    await problem_of(await client.delete(user_path, headers=boss), 404)
