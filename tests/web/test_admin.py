"""Every /admin/ route as an administrator, as a plain member and signed out."""

from __future__ import annotations

import re
import uuid

import pytest
from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.results import UserDetail
from application.services import Services
from infrastructure.db.tables import audit_events
from tests.conftest import unique_name
from tests.web.admin_support import (
    audit_rows,
    flash_after,
    is_active,
    post,
    role_error,
    roles_of,
)
from tests.web.conftest import PASSWORD, Account, csrf_token, sign_in


def admin_routes(user_id: uuid.UUID) -> list[tuple[str, str]]:
    base = f"/admin/users/{user_id}"
    return [
        ("GET", "/admin/"),
        ("GET", "/admin/users/"),
        ("GET", base),
        ("GET", f"{base}/deactivate"),
        ("POST", f"{base}/deactivate"),
        ("POST", f"{base}/activate"),
        ("POST", f"{base}/roles"),
        ("GET", f"{base}/roles/admin/revoke"),
        ("POST", f"{base}/roles/admin/revoke"),
        ("GET", "/admin/roles/"),
        ("POST", "/admin/roles/"),
        ("POST", "/admin/roles/admin/describe"),
        ("GET", "/admin/roles/admin/delete"),
        ("POST", "/admin/roles/admin/delete"),
        ("GET", "/admin/audit/"),
    ]


async def test_every_admin_route_refuses_a_member_with_403_and_changes_nothing(
    as_member: QuartClient, admin: UserDetail, web_engine: AsyncEngine
) -> None:
    before = (await roles_of(web_engine, admin.id), await is_active(web_engine, admin.id))
    for method, path in admin_routes(admin.id):
        if method == "GET":
            response = await as_member.get(path)
        else:
            response = await post(as_member, path, {"role": "admin", "name": "hackers"})
        assert response.status_code == 403, path
        assert "Forbidden" in await response.get_data(as_text=True)
    after = (await roles_of(web_engine, admin.id), await is_active(web_engine, admin.id))
    assert after == before


async def test_every_admin_route_sends_signed_out_visitors_to_sign_in(
    client: QuartClient, admin: UserDetail
) -> None:
    for method, path in admin_routes(admin.id):
        if method == "GET":
            response = await client.get(path)
        else:
            token = await csrf_token(client)
            response = await client.post(path, form={"csrf_token": token})
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/?next=/admin/"), path


async def test_admin_posts_without_csrf_are_refused(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    response = await as_admin.post(f"/admin/users/{account.user.id}/deactivate")
    assert response.status_code == 400
    assert await is_active(web_engine, account.user.id)


async def test_the_users_page_lists_columns_and_searches_by_prefix(
    as_admin: QuartClient, account: Account, admin: UserDetail
) -> None:
    html = await (await as_admin.get("/admin/users/")).get_data(as_text=True)
    for column in ("Username", "E-mail", "Name", "Roles", "Active", "Created", "Last sign-in"):
        assert f"<th>{column}</th>" in html
    assert account.user.username in html
    assert admin.username in html
    found = await as_admin.get("/admin/users/", query_string={"q": account.user.username.upper()})
    found_html = await found.get_data(as_text=True)
    table = found_html[found_html.index("<table") :]
    assert account.user.username in table
    assert admin.username not in table


@pytest.mark.parametrize("query", ["%", "_", "a%", "\\", "zoë", "'; drop table users; --"])
async def test_search_strings_are_matched_literally(
    as_admin: QuartClient, account: Account, query: str
) -> None:
    response = await as_admin.get("/admin/users/", query_string={"q": query})
    assert response.status_code == 200
    assert account.user.username not in await response.get_data(as_text=True)


async def test_the_users_page_pages_with_a_cursor(
    as_admin: QuartClient, services: Services
) -> None:
    prefix = unique_name("pg")[:10]
    for n in range(30):
        name = f"{prefix}{n:02d}"
        await services.create_user(
            CreateUser(username=name, email=f"{name}@example.com", password=PASSWORD)
        )
    first = await (await as_admin.get("/admin/users/", query_string={"q": prefix})).get_data(
        as_text=True
    )
    cursor = re.search(r'rel="next" href="([^"]+)"', first)
    assert cursor
    second = await (await as_admin.get(cursor.group(1).replace("&amp;", "&"))).get_data(
        as_text=True
    )
    shown = re.findall(rf">({prefix}\d\d)<", first + second)
    assert shown == [f"{prefix}{n:02d}" for n in range(30)]
    assert 'rel="next"' not in second


async def test_an_admin_grants_and_revokes_a_role(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine, services: Services
) -> None:
    page = await as_admin.get("/admin/roles/")
    assert page.status_code == 200
    created = await post(as_admin, "/admin/roles/", {"name": "Editors", "description": "Edit"})
    assert await flash_after(as_admin, created) == "Created the role 'editors'."
    base = f"/admin/users/{account.user.id}"
    granted = await post(as_admin, f"{base}/roles", {"role": "editors"})
    assert "now holds 'editors'" in await flash_after(as_admin, granted)
    assert await roles_of(web_engine, account.user.id) == {"editors"}
    twice = await post(as_admin, f"{base}/roles", {"role": "editors"})
    assert twice.status_code == 422
    assert "already holds" in role_error(await twice.get_data(as_text=True))
    revoked = await post(as_admin, f"{base}/roles/editors/revoke")
    assert "no longer holds" in await flash_after(as_admin, revoked)
    again = await post(as_admin, f"{base}/roles/editors/revoke")
    assert "does not hold" in await flash_after(as_admin, again)
    assert await roles_of(web_engine, account.user.id) == set()
    unknown = await post(as_admin, f"{base}/roles", {"role": "nosuchrole"})
    assert unknown.status_code == 422
    assert "no role named" in role_error(await unknown.get_data(as_text=True))


async def test_deactivation_signs_the_user_out_everywhere_and_activation_undoes_it(
    app: Quart, as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    member = app.test_client()
    await sign_in(member, account.user.username)
    base = f"/admin/users/{account.user.id}"
    off = await post(as_admin, f"{base}/deactivate")
    assert "is deactivated" in await flash_after(as_admin, off)
    assert not await is_active(web_engine, account.user.id)
    assert (await member.get("/users/")).status_code == 303
    on = await post(as_admin, f"{base}/activate")
    assert "can sign in again" in await flash_after(as_admin, on)
    await sign_in(app.test_client(), account.user.username)


async def test_an_admin_cannot_deactivate_themselves_or_drop_the_last_admin(
    as_admin: QuartClient, admin: UserDetail, web_engine: AsyncEngine
) -> None:
    base = f"/admin/users/{admin.id}"
    page = await (await as_admin.get(base)).get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    self_off = await post(as_admin, f"{base}/deactivate")
    assert "cannot deactivate your own" in await flash_after(as_admin, self_off)
    last = await post(as_admin, f"{base}/roles/admin/revoke")
    assert "last active administrator" in await flash_after(as_admin, last)
    assert await is_active(web_engine, admin.id)
    assert await roles_of(web_engine, admin.id) == {"admin"}


async def test_roles_are_described_and_deleted_only_when_unused(
    as_admin: QuartClient, account: Account, services: Services
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "helpers"})
    described = await post(as_admin, "/admin/roles/helpers/describe", {"description": "Help"})
    assert "Saved the description" in await flash_after(as_admin, described)
    await post(as_admin, f"/admin/users/{account.user.id}/roles", {"role": "helpers"})
    in_use = await post(as_admin, "/admin/roles/helpers/delete")
    assert "cannot be deleted" in await flash_after(as_admin, in_use)
    await post(as_admin, f"/admin/users/{account.user.id}/roles/helpers/revoke")
    deleted = await post(as_admin, "/admin/roles/helpers/delete")
    assert "Deleted the role 'helpers'." in await flash_after(as_admin, deleted)
    built_in = await post(as_admin, "/admin/roles/admin/delete")
    assert "cannot be deleted" in await flash_after(as_admin, built_in)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "Role names are 3 to 25"),
        ("bad name", "Role names are 3 to 25"),
        ("admin", "already exists"),
        ("ADMIN", "already exists"),
        ("", "This field is required."),
    ],
)
async def test_bad_role_names_are_field_errors(
    as_admin: QuartClient, name: str, message: str
) -> None:
    response = await post(as_admin, "/admin/roles/", {"name": name})
    assert response.status_code == 422
    assert message in await response.get_data(as_text=True)


async def test_unknown_ids_and_names_are_404(as_admin: QuartClient) -> None:
    missing = uuid.uuid4()
    assert (await as_admin.get(f"/admin/users/{missing}")).status_code == 404
    assert (await as_admin.get("/admin/users/not-a-uuid")).status_code == 404
    assert (await post(as_admin, f"/admin/users/{missing}/deactivate")).status_code == 404
    assert (await post(as_admin, "/admin/roles/nosuchrole/delete")).status_code == 404
    assert (
        await post(as_admin, "/admin/roles/no such/describe", {"description": "x"})
    ).status_code in {404, 303}


async def test_the_audit_trail_shows_who_did_what_to_whom_and_filters(
    as_admin: QuartClient, admin: UserDetail, account: Account, web_engine: AsyncEngine
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "auditors"})
    await post(as_admin, f"/admin/users/{account.user.id}/roles", {"role": "auditors"})
    page = await (
        await as_admin.get("/admin/audit/", query_string={"type": "RoleGranted"})
    ).get_data(as_text=True)
    rows = audit_rows(page)
    assert {row["event"] for row in rows} == {"Role granted"}
    granted = [row for row in rows if row["about"] == account.user.username]
    assert len(granted) == 1
    assert granted[0]["by"] == admin.username
    assert granted[0]["from"] == "127.0.0.1"
    assert granted[0]["details"] == "role: auditors"
    mine = await (
        await as_admin.get("/admin/audit/", query_string={"user": str(account.user.id)})
    ).get_data(as_text=True)
    events = {row["event"] for row in audit_rows(mine)}
    assert "Role granted" in events
    assert "Role created" not in events
    async with web_engine.connect() as connection:
        actors = (
            (
                await connection.execute(
                    select(audit_events.c.actor_id).where(
                        audit_events.c.event_type == "RoleGranted"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert admin.id in actors
    bad = await as_admin.get("/admin/audit/", query_string={"user": "not-a-uuid"})
    assert bad.status_code == 400
