"""The JSON API's administration: users, roles and the audit trail, as an administrator,
as a plain member and without a token."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from quart.testing import QuartClient

from application.results import UserDetail
from application.services import Services
from tests.conftest import unique_name
from tests.web.api_support import (
    API,
    bearer,
    field_names,
    local,
    new_user,
    problem_of,
    secret_free,
    token_for,
)
from tests.web.conftest import PASSWORD, Account

ADMIN = f"{API}/admin"


@pytest.fixture
async def admin(services: Services) -> UserDetail:
    return await new_user(services, "adm", "admin")


@pytest.fixture
async def admin_token(client: QuartClient, admin: UserDetail) -> dict[str, str]:
    return bearer((await token_for(client, admin.username))["token"])


@pytest.fixture
async def member_token(client: QuartClient, account: Account) -> dict[str, str]:
    return bearer((await token_for(client, account.user.username))["token"])


async def walk(client: QuartClient, first: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of every page, following ``next`` from ``first``."""
    items: list[dict[str, Any]] = []
    url: str | None = first
    for _ in range(50):
        if url is None:
            return items
        page = await secret_free(await client.get(local(url), headers=headers))
        items += page["items"]
        url = page["next"]
    raise AssertionError("next never ran out")


def admin_calls(user_id: uuid.UUID) -> list[tuple[str, str, dict[str, str] | None]]:
    user = f"/admin/users/{user_id}"
    return [
        ("GET", "/admin/users", None),
        ("GET", user, None),
        ("POST", f"{user}/activate", None),
        ("POST", f"{user}/deactivate", None),
        ("PUT", f"{user}/roles/admin", None),
        ("DELETE", f"{user}/roles/admin", None),
        ("GET", "/admin/roles", None),
        ("POST", "/admin/roles", {"name": "sneaky"}),
        ("GET", "/admin/audit-events", None),
    ]


# Users


async def test_listing_users_follows_next_through_everyone_by_username(
    client: QuartClient, services: Services, admin: UserDetail, admin_token: dict[str, str]
) -> None:
    others = [await new_user(services, "usr") for _ in range(4)]
    first = await secret_free(await client.get(f"{ADMIN}/users?limit=2", headers=admin_token))
    assert len(first["items"]) == 2
    assert first["next"]
    items = await walk(client, f"{ADMIN}/users?limit=2", admin_token)
    names = [item["username"] for item in items]
    assert names == sorted(user.username for user in [admin, *others])
    assert all("email" in item and "roles" in item for item in items)


async def test_searching_users_matches_a_username_or_email_prefix(
    client: QuartClient, services: Services, admin_token: dict[str, str]
) -> None:
    prefix = unique_name("q")[:10]
    wanted = [await new_user(services, prefix) for _ in range(3)]
    await new_user(services, "other")
    items = await walk(client, f"{ADMIN}/users?q={prefix.upper()}&limit=2", admin_token)
    assert [item["username"] for item in items] == sorted(user.username for user in wanted)
    by_email = await secret_free(
        await client.get(f"{ADMIN}/users?q={wanted[0].email}", headers=admin_token)
    )
    assert [item["id"] for item in by_email["items"]] == [str(wanted[0].id)]
    assert by_email["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=many", "order=name", "q=" + "x" * 255]
)
async def test_a_user_search_that_does_not_fit_is_a_422(
    client: QuartClient, admin_token: dict[str, str], query: str
) -> None:
    response = await client.get(f"{ADMIN}/users?{query}", headers=admin_token)
    await problem_of(response, 422, "/problems/validation-failed")


async def test_getting_a_user_shows_the_details_without_secrets(
    client: QuartClient, account: Account, admin_token: dict[str, str]
) -> None:
    response = await client.get(f"{ADMIN}/users/{account.user.id}", headers=admin_token)
    body = await secret_free(response)
    assert (body["id"], body["username"], body["email"]) == (
        str(account.user.id),
        account.user.username,
        account.user.email,
    )
    assert body["active"] is True


async def test_an_unknown_user_is_a_404_user_not_found(
    client: QuartClient, admin_token: dict[str, str]
) -> None:
    for method, path in [
        ("GET", ""),
        ("POST", "/activate"),
        ("POST", "/deactivate"),
        ("PUT", "/roles/admin"),
        ("DELETE", "/roles/admin"),
    ]:
        response = await client.open(
            f"{ADMIN}/users/{uuid.uuid4()}{path}", method=method, headers=admin_token
        )
        await problem_of(response, 404, "/problems/user-not-found")


async def test_deactivating_a_user_stops_their_token_at_once_and_activating_lets_them_back(
    client: QuartClient, account: Account, admin_token: dict[str, str]
) -> None:
    theirs = bearer((await token_for(client, account.user.username))["token"])
    response = await client.post(f"{ADMIN}/users/{account.user.id}/deactivate", headers=admin_token)
    assert (await secret_free(response))["active"] is False
    await problem_of(await client.get(f"{API}/users/me", headers=theirs), 401)
    refused = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": PASSWORD}
    )
    await problem_of(refused, 400, "/problems/invalid-credentials")

    response = await client.post(f"{ADMIN}/users/{account.user.id}/activate", headers=admin_token)
    assert (await secret_free(response))["active"] is True
    await problem_of(await client.get(f"{API}/users/me", headers=theirs), 401)
    again = await token_for(client, account.user.username)
    assert again["user"]["active"] is True


async def test_an_administrator_cannot_deactivate_themselves(
    client: QuartClient, admin: UserDetail, admin_token: dict[str, str]
) -> None:
    response = await client.post(f"{ADMIN}/users/{admin.id}/deactivate", headers=admin_token)
    await problem_of(response, 409, "/problems/cannot-deactivate-self")
    assert (await client.get(f"{API}/users/me", headers=admin_token)).status_code == 200


async def test_a_user_id_that_is_not_a_uuid_is_a_404(
    client: QuartClient, admin_token: dict[str, str]
) -> None:
    response = await client.get(f"{ADMIN}/users/12345", headers=admin_token)
    await problem_of(response, 404)


# Roles


async def test_creating_a_role_is_201_and_it_is_listed(
    client: QuartClient, admin_token: dict[str, str]
) -> None:
    response = await client.post(
        f"{ADMIN}/roles", json={"name": "editor", "description": "Edits"}, headers=admin_token
    )
    assert response.status_code == 201
    assert await secret_free(response) == {
        "name": "editor",
        "description": "Edits",
        "members": 0,
        "built_in": False,
    }
    listed = await secret_free(await client.get(f"{ADMIN}/roles", headers=admin_token))
    by_name = {role["name"]: role for role in listed}
    assert set(by_name) == {"admin", "editor"}
    assert by_name["admin"]["built_in"] is True
    assert by_name["admin"]["members"] == 1


async def test_creating_a_role_twice_is_a_409_role_exists(
    client: QuartClient, admin_token: dict[str, str]
) -> None:
    await client.post(f"{ADMIN}/roles", json={"name": "editor"}, headers=admin_token)
    again = await client.post(f"{ADMIN}/roles", json={"name": "EDITOR"}, headers=admin_token)
    problem = await problem_of(again, 409, "/problems/role-exists")
    assert field_names(problem) == {"name"}


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({"name": "no spaces"}, "/problems/invalid-role-name"),
        ({"name": "ab"}, "/problems/invalid-role-name"),
        ({"name": "x" * 26}, "/problems/validation-failed"),
        ({}, "/problems/validation-failed"),
        ({"name": "editor", "members": 3}, "/problems/validation-failed"),
        ({"name": "editor", "description": "d" * 201}, "/problems/validation-failed"),
    ],
)
async def test_a_role_that_does_not_fit_is_a_422_and_is_not_created(
    client: QuartClient, admin_token: dict[str, str], body: dict[str, object], type_: str
) -> None:
    response = await client.post(f"{ADMIN}/roles", json=body, headers=admin_token)
    await problem_of(response, 422, type_)
    listed = await secret_free(await client.get(f"{ADMIN}/roles", headers=admin_token))
    assert [role["name"] for role in listed] == ["admin"]


async def test_granting_and_revoking_a_role_and_doing_either_twice_is_a_409(
    client: QuartClient, account: Account, admin_token: dict[str, str]
) -> None:
    await client.post(f"{ADMIN}/roles", json={"name": "editor"}, headers=admin_token)
    role = f"{ADMIN}/users/{account.user.id}/roles/editor"

    granted = await client.put(role, headers=admin_token)
    assert (await secret_free(granted))["roles"] == ["editor"]
    await problem_of(
        await client.put(role, headers=admin_token), 409, "/problems/role-already-held"
    )

    revoked = await client.delete(role, headers=admin_token)
    assert (await secret_free(revoked))["roles"] == []
    await problem_of(await client.delete(role, headers=admin_token), 409, "/problems/role-not-held")


async def test_granting_a_role_that_does_not_exist_is_a_404_role_not_found(
    client: QuartClient, account: Account, admin_token: dict[str, str]
) -> None:
    response = await client.put(
        f"{ADMIN}/users/{account.user.id}/roles/nosuchrole", headers=admin_token
    )
    await problem_of(response, 404, "/problems/role-not-found")


async def test_granting_a_badly_named_role_is_a_422_invalid_role_name(
    client: QuartClient, account: Account, admin_token: dict[str, str]
) -> None:
    response = await client.put(
        f"{ADMIN}/users/{account.user.id}/roles/bad%20name", headers=admin_token
    )
    await problem_of(response, 422, "/problems/invalid-role-name")


async def test_the_last_administrator_keeps_the_admin_role(
    client: QuartClient, admin: UserDetail, admin_token: dict[str, str]
) -> None:
    response = await client.delete(f"{ADMIN}/users/{admin.id}/roles/admin", headers=admin_token)
    await problem_of(response, 409, "/problems/last-admin")


async def test_a_new_administrator_can_use_the_admin_api_at_once_and_loses_it_at_once(
    client: QuartClient, account: Account, admin_token: dict[str, str], member_token: dict[str, str]
) -> None:
    role = f"{ADMIN}/users/{account.user.id}/roles/admin"
    assert (await client.put(role, headers=admin_token)).status_code == 200
    assert (await client.get(f"{ADMIN}/roles", headers=member_token)).status_code == 200
    assert (await client.delete(role, headers=admin_token)).status_code == 200
    response = await client.get(f"{ADMIN}/roles", headers=member_token)
    await problem_of(response, 403, "/problems/permission-denied")


# The audit trail


async def test_audit_events_are_filtered_by_user_and_type(
    client: QuartClient, account: Account, admin: UserDetail, admin_token: dict[str, str]
) -> None:
    await client.post(f"{ADMIN}/roles", json={"name": "editor"}, headers=admin_token)
    await client.put(f"{ADMIN}/users/{account.user.id}/roles/editor", headers=admin_token)

    everything = await secret_free(
        await client.get(f"{ADMIN}/audit-events?limit=200", headers=admin_token)
    )
    types = {item["event_type"] for item in everything["items"]}
    assert {"UserRegistered", "UserLoggedIn", "RoleCreated", "RoleGranted"} <= types

    granted = await secret_free(
        await client.get(
            f"{ADMIN}/audit-events?type=RoleGranted&user={account.user.id}", headers=admin_token
        )
    )
    assert len(granted["items"]) == 1
    event = granted["items"][0]
    assert (event["user_id"], event["user_name"]) == (str(account.user.id), account.user.username)
    assert (event["actor_id"], event["actor_name"]) == (str(admin.id), admin.username)
    assert event["details"]["role"] == "editor"
    assert event["ip"] == "127.0.0.1"

    theirs = await secret_free(
        await client.get(f"{ADMIN}/audit-events?user={account.user.id}", headers=admin_token)
    )
    assert theirs["items"]
    assert {item["user_id"] for item in theirs["items"]} == {str(account.user.id)}


async def test_audit_events_page_newest_first_through_next(
    client: QuartClient, services: Services, admin_token: dict[str, str]
) -> None:
    for _ in range(4):
        await new_user(services, "aud")
    everything = await secret_free(
        await client.get(f"{ADMIN}/audit-events?limit=200", headers=admin_token)
    )
    assert everything["next"] is None
    paged = await walk(client, f"{ADMIN}/audit-events?limit=2", admin_token)
    assert [item["id"] for item in paged] == [item["id"] for item in everything["items"]]
    times = [item["occurred_at"] for item in paged]
    assert times == sorted(times, reverse=True)
    assert len(paged) >= 6


@pytest.mark.parametrize(
    "query", ["user=not-a-uuid", "limit=0", "limit=201", "kind=x", "type=" + "t" * 41]
)
async def test_an_audit_query_that_does_not_fit_is_a_422(
    client: QuartClient, admin_token: dict[str, str], query: str
) -> None:
    response = await client.get(f"{ADMIN}/audit-events?{query}", headers=admin_token)
    await problem_of(response, 422, "/problems/validation-failed")


async def test_a_mangled_audit_cursor_starts_from_the_newest(
    client: QuartClient, admin_token: dict[str, str]
) -> None:
    newest = await secret_free(await client.get(f"{ADMIN}/audit-events", headers=admin_token))
    mangled = await secret_free(
        await client.get(f"{ADMIN}/audit-events?before=yesterday|nobody", headers=admin_token)
    )
    assert mangled["items"] == newest["items"]


# Who may call


async def test_a_member_calling_any_admin_endpoint_is_a_403_permission_denied(
    client: QuartClient, services: Services, member_token: dict[str, str]
) -> None:
    victim = await new_user(services, "vic")
    for method, path, body in admin_calls(victim.id):
        response = await client.open(f"{API}{path}", method=method, json=body, headers=member_token)
        await problem_of(response, 403, "/problems/permission-denied")
    after = await client.post(
        f"{API}/sessions", json={"login": victim.username, "password": PASSWORD}
    )
    assert (await secret_free(after))["user"]["roles"] == []


async def test_admin_endpoints_without_a_token_are_a_401_with_www_authenticate(
    client: QuartClient, services: Services
) -> None:
    victim = await new_user(services, "vic")
    for method, path, body in admin_calls(victim.id):
        response = await client.open(f"{API}{path}", method=method, json=body)
        await problem_of(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"', path


async def test_a_revoked_admin_token_is_a_401_on_admin_endpoints(
    client: QuartClient, admin: UserDetail
) -> None:
    token = bearer((await token_for(client, admin.username))["token"])
    assert (await client.delete(f"{API}/sessions/current", headers=token)).status_code == 204
    response = await client.get(f"{ADMIN}/users", headers=token)
    await problem_of(response, 401)
