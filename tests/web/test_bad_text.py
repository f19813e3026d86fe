"""Text that must not reach the database: NUL and other control characters in any API
field or parameter, and addresses that only grow too long once casefolded. On SQLite and
on PostgreSQL (which refuses NUL in text outright): a 422 naming the field, never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.services import Services
from infrastructure.settings import load_settings
from tests.conftest import empty_tables, unique_name
from tests.web.api_support import API, bearer, field_names, new_user, problem_of, token_for
from tests.web.conftest import PASSWORD, SERVICES, csrf_token, engine_of, with_test_address
from web.app import create_app

HIGH = 100_000


def folding_longer_address() -> str:
    """254 characters; casefolded, 318: ``ß`` becomes ``ss``."""
    domain = ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".com"
    address = "ß" * 64 + "@" + domain
    assert len(address) == 254
    assert len(address.casefold()) == 318
    return address


@pytest.fixture(scope="module")
async def backend_app(
    migrated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Quart]:
    settings = load_settings(
        GATEHOUSE_ENV="test",
        DATABASE_URL=migrated_url,
        SECRET_KEY="s" * 40,
        INSTANCE_PATH=tmp_path_factory.mktemp("bad-text"),
        REQUEST_IP_LIMIT=HIGH,
        SIGNIN_IP_LIMIT=HIGH,
        REGISTER_IP_LIMIT=HIGH,
        SIGNIN_FAILURE_LIMIT=HIGH,
    )
    app = with_test_address(create_app(settings))
    async with app.test_app():
        yield app


@pytest.fixture
async def api(backend_app: Quart) -> AsyncIterator[QuartClient]:
    yield backend_app.test_client()
    await empty_tables(engine_of(backend_app))


@pytest.fixture
def backend_services(backend_app: Quart) -> Services:
    found: Services = backend_app.extensions[SERVICES]
    return found


@pytest.fixture
async def admin_headers(api: QuartClient, backend_services: Services) -> dict[str, str]:
    admin = await new_user(backend_services, "root", "admin")
    return bearer((await token_for(api, admin.username))["token"])


async def refused(response: Any, field: str) -> None:
    body = await problem_of(response, 422)
    assert field in field_names(body), body


@pytest.mark.parametrize("field", ["login", "password"])
async def test_a_nul_in_a_sign_in_field_is_a_422_naming_it(api: QuartClient, field: str) -> None:
    body = {"login": "alice", "password": PASSWORD} | {field: "a\u0000b"}
    await refused(await api.post(f"{API}/sessions", json=body), field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/admin/users?q=%00", "q"),
        ("/admin/users?after=%00", "after"),
        ("/admin/users?q=a%1Bb", "q"),
        ("/admin/audit-events?type=%00", "type"),
        ("/admin/audit-events?before=%00", "before"),
        ("/users?cursor=%00", "cursor"),
    ],
)
async def test_a_control_character_in_a_query_parameter_is_a_422_naming_it(
    api: QuartClient, admin_headers: dict[str, str], path: str, field: str
) -> None:
    await refused(await api.get(f"{API}{path}", headers=admin_headers), field)


@pytest.mark.parametrize("field", ["username", "email", "password"])
async def test_a_nul_in_a_registration_field_is_a_422_naming_it(
    api: QuartClient, field: str
) -> None:
    name = unique_name("nul")
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    body[field] = body[field][:2] + "\u0000" + body[field][2:]
    await refused(await api.post(f"{API}/users", json=body), field)


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "current_password"])
async def test_a_nul_in_a_profile_field_is_a_422_naming_it(
    api: QuartClient, backend_services: Services, field: str
) -> None:
    member = await new_user(backend_services, "mem")
    headers = bearer((await token_for(api, member.username))["token"])
    response = await api.patch(f"{API}/users/me", json={field: "x\u0000y"}, headers=headers)
    await refused(response, field)


async def test_a_nul_in_a_role_name_in_the_path_is_a_422(
    api: QuartClient, backend_services: Services, admin_headers: dict[str, str]
) -> None:
    member = await new_user(backend_services, "mem")
    path = f"{API}/admin/users/{member.id}/roles/ad%00min"
    await refused(await api.put(path, headers=admin_headers), "role")


async def test_an_address_that_grows_past_254_when_casefolded_is_refused_at_registration(
    api: QuartClient,
) -> None:
    body = {"username": unique_name("ss"), "email": folding_longer_address(), "password": PASSWORD}
    await refused(await api.post(f"{API}/users", json=body), "email")


async def test_an_address_that_grows_past_254_when_casefolded_is_refused_in_the_profile(
    api: QuartClient, backend_services: Services
) -> None:
    member = await new_user(backend_services, "mem")
    headers = bearer((await token_for(api, member.username))["token"])
    body = {"email": folding_longer_address(), "current_password": PASSWORD}
    await refused(await api.patch(f"{API}/users/me", json=body, headers=headers), "email")


async def test_the_register_form_refuses_an_address_that_grows_past_254(
    backend_app: Quart, api: QuartClient
) -> None:
    form = {
        "username": unique_name("ss"),
        "email": folding_longer_address(),
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": await csrf_token(api, "/register/"),
    }
    response = await api.post("/register/", form=form)
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in await response.get_data(as_text=True)


async def test_the_same_address_in_unicode_and_in_ascii_cannot_make_two_accounts(
    api: QuartClient,
) -> None:
    first = {"username": unique_name("u"), "email": "anna@faß.de", "password": PASSWORD}
    second = {"username": unique_name("a"), "email": "Anna@xn--fa-hia.de", "password": PASSWORD}
    created = await api.post(f"{API}/users", json=first)
    assert created.status_code == 201
    assert (await created.get_json())["email"] == "anna@faß.de"
    await problem_of(await api.post(f"{API}/users", json=second), 409, "/problems/email-taken")
    signed_in = await token_for(api, "ANNA@xn--fa-hia.de")
    assert signed_in["user"]["username"] == first["username"]


async def test_every_invalid_registration_field_is_named_in_one_422(api: QuartClient) -> None:
    body = {"username": "a b", "email": "not-an-address", "password": "1234"}
    problem = await problem_of(await api.post(f"{API}/users", json=body), 422)
    assert field_names(problem) == {"username", "email", "password"}


async def test_every_invalid_profile_field_is_named_in_one_422(
    api: QuartClient, backend_services: Services
) -> None:
    member = await new_user(backend_services, "mem")
    headers = bearer((await token_for(api, member.username))["token"])
    body = {"first_name": "\u0958" * 16, "email": "not-an-address"}
    problem = await problem_of(await api.patch(f"{API}/users/me", json=body, headers=headers), 422)
    assert field_names(problem) == {"first_name", "email"}


async def test_next_links_do_not_take_the_host_a_request_names(
    api: QuartClient, backend_services: Services, admin_headers: dict[str, str]
) -> None:
    for _ in range(2):
        await new_user(backend_services, "page")
    headers = admin_headers | {"Host": "evil.example"}
    for path in ("/admin/users?limit=1", "/admin/audit-events?limit=1", "/users?limit=1"):
        body = await (await api.get(f"{API}{path}", headers=headers)).get_json()
        assert body["next"], path
        assert "evil.example" not in body["next"], body["next"]
        assert body["next"].startswith(f"{API}/"), body["next"]


async def test_racing_registrations_of_one_address_in_both_spellings_make_one_account(
    api: QuartClient,
) -> None:
    spellings = ["zoe@faß.de", "Zoe@xn--fa-hia.de", "ZOE@FAß.DE", "zoe@XN--FA-HIA.DE"] * 3
    bodies = [
        {"username": unique_name("race"), "email": email, "password": PASSWORD}
        for email in spellings
    ]
    answers = await asyncio.gather(*(api.post(f"{API}/users", json=body) for body in bodies))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (len(bodies) - 1)


async def test_admins_find_an_international_address_by_either_spelling_and_any_case(
    api: QuartClient, admin_headers: dict[str, str]
) -> None:
    body = {"username": unique_name("intl"), "email": "Anna@faß.de", "password": PASSWORD}
    assert (await api.post(f"{API}/users", json=body)).status_code == 201
    for query in ("ANNA@FAß", "anna@faß.de", "anna@xn--fa-hia.de"):
        found = await api.get(
            f"{API}/admin/users", query_string={"q": query}, headers=admin_headers
        )
        assert [user["username"] for user in (await found.get_json())["items"]] == [
            body["username"]
        ], query
