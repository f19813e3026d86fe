"""Destructive actions ask first: the first click opens a question and changes nothing;
only the confirmed POST does. Granting a role starts from no choice at all."""

from __future__ import annotations

import html
import re

from quart import Quart
from quart.testing import QuartClient
from sqlalchemy.ext.asyncio import AsyncEngine

from application.results import UserDetail
from tests.web.admin_support import flash_after, is_active, post, role_error, roles_of
from tests.web.conftest import Account, sign_in


def link_to(page: str, path: str) -> str:
    """The element on ``page`` that leads to ``path``: it must be a link (a GET), not a
    form that posts there."""
    assert f'action="{path}"' not in page, f"{path} is posted to straight from the page"
    found = re.search(rf'<a [^>]*href="{re.escape(path)}"[^>]*>', page)
    assert found, f"no link to {path}"
    return found.group(0)


async def question(client: QuartClient, path: str) -> str:
    """Open the confirmation page at ``path``; it posts back to ``path`` with a token."""
    response = await client.get(path)
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    main = page[page.index("<main") :]
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', main, re.S)
    assert form, "no confirming form"
    assert html.unescape(form.group(1)) == path
    assert 'name="csrf_token"' in form.group(2)
    assert 'class="button button-danger"' in form.group(2)
    return page


async def test_deactivating_asks_first_and_only_the_confirmed_post_deactivates(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    base = f"/admin/users/{account.user.id}"
    user_page = await (await as_admin.get(base)).get_data(as_text=True)
    assert "button-danger" in link_to(user_page, f"{base}/deactivate")
    page = await question(as_admin, f"{base}/deactivate")
    assert "Deactivate this account?" in page
    assert account.user.username in page
    assert f'href="{base}">Cancel</a>' in page
    assert await is_active(web_engine, account.user.id)
    done = await post(as_admin, f"{base}/deactivate")
    assert "is deactivated" in await flash_after(as_admin, done)
    assert not await is_active(web_engine, account.user.id)


async def test_there_is_nothing_to_confirm_for_oneself_or_an_inactive_account(
    as_admin: QuartClient, admin: UserDetail, account: Account
) -> None:
    mine = await as_admin.get(f"/admin/users/{admin.id}/deactivate")
    assert (mine.status_code, mine.headers["Location"]) == (303, f"/admin/users/{admin.id}")
    await post(as_admin, f"/admin/users/{account.user.id}/deactivate")
    again = await as_admin.get(f"/admin/users/{account.user.id}/deactivate")
    assert again.status_code == 303


async def test_revoking_a_role_asks_first_and_only_the_confirmed_post_revokes(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "editors"})
    await post(as_admin, f"/admin/users/{account.user.id}/roles", {"role": "editors"})
    path = f"/admin/users/{account.user.id}/roles/editors/revoke"
    user_page = await (await as_admin.get(f"/admin/users/{account.user.id}")).get_data(as_text=True)
    assert 'aria-label="Revoke editors"' in link_to(user_page, path)
    page = await question(as_admin, path)
    assert "Revoke this role?" in page
    assert await roles_of(web_engine, account.user.id) == {"editors"}
    done = await post(as_admin, path)
    assert "no longer holds 'editors'" in await flash_after(as_admin, done)
    assert await roles_of(web_engine, account.user.id) == set()
    gone = await as_admin.get(path)
    assert "does not hold 'editors'" in await flash_after(as_admin, gone)


async def test_deleting_a_role_asks_first_and_only_the_confirmed_post_deletes(
    as_admin: QuartClient,
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "scratch"})
    roles_page = await (await as_admin.get("/admin/roles/")).get_data(as_text=True)
    assert 'class="button button-danger"' in link_to(roles_page, "/admin/roles/scratch/delete")
    page = await question(as_admin, "/admin/roles/scratch/delete")
    assert "Delete this role?" in page
    still = await (await as_admin.get("/admin/roles/")).get_data(as_text=True)
    assert "<strong>scratch</strong>" in still
    done = await post(as_admin, "/admin/roles/scratch/delete")
    assert await flash_after(as_admin, done) == "Deleted the role 'scratch'."
    assert (await as_admin.get("/admin/roles/scratch/delete")).status_code == 404


async def test_a_role_in_use_or_built_in_has_no_delete_question(
    as_admin: QuartClient, account: Account
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "busy"})
    granted = await post(as_admin, f"/admin/users/{account.user.id}/roles", {"role": "busy"})
    assert "now holds 'busy'" in await flash_after(as_admin, granted)
    for name in ("busy", "admin"):
        response = await as_admin.get(f"/admin/roles/{name}/delete")
        assert "cannot be deleted" in await flash_after(as_admin, response)


async def test_the_grant_select_starts_on_an_empty_choice(
    as_admin: QuartClient, account: Account
) -> None:
    page = await (await as_admin.get(f"/admin/users/{account.user.id}")).get_data(as_text=True)
    select = re.search(r'<select id="role" name="role"[^>]*>(.*?)</select>', page, re.S)
    assert select
    options = re.findall(r"<option ([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == ('value="" selected', "Choose a role…")
    assert ('value="admin"', "admin") in options
    assert [attrs for attrs, _ in options].count('value="" selected') == 1
    assert all("selected" not in attrs for attrs, _ in options[1:])


async def test_granting_the_empty_choice_is_a_form_error_and_grants_nothing(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    for form in ({"role": ""}, {"role": "   "}, {}):
        response = await post(as_admin, f"/admin/users/{account.user.id}/roles", form)
        assert response.status_code == 422
        page = await response.get_data(as_text=True)
        assert role_error(page) == "Choose a role to grant."
        assert 'aria-invalid="true" aria-describedby="role-error"' in page
    assert await roles_of(web_engine, account.user.id) == set()


async def test_signing_out_everywhere_else_asks_first(app: Quart, account: Account) -> None:
    other, me = app.test_client(), app.test_client()
    await sign_in(other, account.user.username)
    await sign_in(me, account.user.username)
    sessions_page = await (await me.get("/users/me/sessions")).get_data(as_text=True)
    link_to(sessions_page, "/users/me/sessions/revoke-others")
    page = await question(me, "/users/me/sessions/revoke-others")
    assert "Sign out everywhere else?" in page
    assert "Your other session will end" in page
    assert (await other.get("/users/")).status_code == 200
    done = await post(me, "/users/me/sessions/revoke-others")
    assert await flash_after(me, done) == "Signed out 1 other session."
    assert (await other.get("/users/")).status_code == 303
    assert (await me.get("/users/")).status_code == 200


async def test_with_no_other_session_there_is_nothing_to_ask(app: Quart, account: Account) -> None:
    me = app.test_client()
    await sign_in(me, account.user.username)
    response = await me.get("/users/me/sessions/revoke-others")
    assert (response.status_code, response.headers["Location"]) == (303, "/users/me/sessions")


async def test_a_flash_comes_below_the_admin_tabs(as_admin: QuartClient) -> None:
    done = await post(as_admin, "/admin/roles/", {"name": "flashy"})
    page = await (await as_admin.get(done.headers["Location"])).get_data(as_text=True)
    assert 'class="flash flash-success"' in page
    assert page.index('class="tabs"') < page.index('class="flashes"')
    assert page.index('class="flashes"') < page.index("<h1>Roles</h1>")
