"""Every error under /api/ is problem+json, never HTML and never a 500; bad input of every
kind is refused before anything is written; HTML paths answer JSON to those who ask."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import users
from infrastructure.settings import load_settings
from tests.conftest import unique_name
from tests.web.api_support import API, PROBLEM, bearer, field_names, problem_of, token_for
from tests.web.conftest import PASSWORD, Account, AppMaker
from tests.web.test_database_down import CLOSED_PORT_URL
from web.app import create_app

JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024
HUGE = "1" + "0" * 5000  # 10**5000: past the interpreter's 4300-digit int limit


@pytest.fixture(scope="module")
async def down_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Quart]:
    settings = load_settings(
        GATEHOUSE_ENV="test",
        DATABASE_URL=CLOSED_PORT_URL,
        INSTANCE_PATH=tmp_path_factory.mktemp("api-down"),
    )
    app = create_app(settings)
    async with app.test_app():
        yield app


async def user_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(users))).scalar_one())


def registration_text(username: str | None = None) -> str:
    name = username or unique_name("bad")
    return f'"username": "{name}", "email": "{name}@example.com", "password": "{PASSWORD}"'


async def post_raw(
    client: QuartClient, path: str, body: bytes, headers: dict[str, str] | None = None
) -> Response:
    return await client.post(f"{API}{path}", data=body, headers=headers or JSON)


# Bodies that are not good JSON: 400, nothing written


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"username": "ann", ', id="truncated"),
        pytest.param(b"{'username': 'ann'}", id="single-quoted"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"username": "ann"} trailing', id="trailing-garbage"),
    ],
)
async def test_malformed_json_is_a_400_problem_and_writes_nothing(
    client: QuartClient, web_engine: AsyncEngine, body: bytes
) -> None:
    response = await post_raw(client, "/users", body)
    await problem_of(response, 400, "about:blank")
    assert await user_count(web_engine) == 0


async def test_duplicate_keys_are_a_400_problem_and_write_nothing(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    body = "{" + registration_text() + ', "username": "' + unique_name("twin") + '"}'
    response = await post_raw(client, "/users", body.encode())
    problem = await problem_of(response, 400, "about:blank")
    assert "duplicate" in problem["detail"]
    assert await user_count(web_engine) == 0


async def test_duplicate_keys_in_a_nested_object_are_a_400_too(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    body = b'{"first_name": "A", "x": {"k": 1, "k": 2}}'
    response = await client.patch(f"{API}/users/me", data=body, headers={**JSON, **bearer(token)})
    await problem_of(response, 400, "about:blank")


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
async def test_deeply_nested_json_is_a_400_problem(client: QuartClient, opening: bytes) -> None:
    response = await post_raw(client, "/users", opening * 200_000)
    problem = await problem_of(response, 400, "about:blank")
    assert "deep" in problem["detail"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"username": "\xff\xfe", "email": "a@example.com"}', id="in-a-string"),
        pytest.param(b"\xff\xfe{}", id="at-the-start"),
        pytest.param(b'{"username": "caf\xc3"}', id="truncated-sequence"),
    ],
)
async def test_invalid_utf8_is_a_400_problem_not_a_500(
    client: QuartClient, web_engine: AsyncEngine, body: bytes
) -> None:
    response = await post_raw(client, "/users", body)
    await problem_of(response, 400, "about:blank")
    assert await user_count(web_engine) == 0


async def test_a_number_of_five_thousand_digits_is_a_4xx_problem(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    body = '{"username": ' + HUGE + ', "email": "a@example.com", "password": "x"}'
    response = await post_raw(client, "/users", body.encode())
    assert 400 <= response.status_code < 500
    assert response.mimetype == PROBLEM
    assert await user_count(web_engine) == 0


@pytest.mark.parametrize("number", ["1e999999", "-1e999999", "NaN", "Infinity", "1.5"])
async def test_numbers_where_strings_belong_are_a_422(client: QuartClient, number: str) -> None:
    body = '{"login": "ann", "password": ' + number + "}"
    response = await post_raw(client, "/sessions", body.encode())
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"password"}


async def test_a_huge_number_in_the_query_string_is_a_422(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.get(f"{API}/users?limit={HUGE}", headers=bearer(token))
    await problem_of(response, 422, "/problems/validation-failed")


async def test_a_wide_array_just_under_the_size_limit_is_a_422(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    body = b'{"username": [' + b"0," * (MIB // 2 - 10) + b"0]}"
    assert len(body) < MIB
    response = await post_raw(client, "/users", body)
    await problem_of(response, 422, "/problems/validation-failed")
    assert await user_count(web_engine) == 0


async def test_a_body_over_one_mebibyte_is_a_413_problem(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    padding = "x" * MIB
    body = "{" + registration_text() + f', "padding": "{padding}"' + "}"
    response = await post_raw(client, "/users", body.encode())
    await problem_of(response, 413, "about:blank")
    assert await user_count(web_engine) == 0


# Content types


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_a_body_that_is_not_json_is_a_415_problem(
    client: QuartClient, web_engine: AsyncEngine, content_type: str
) -> None:
    body = ("{" + registration_text() + "}").encode()
    response = await post_raw(client, "/users", body, {"Content-Type": content_type})
    await problem_of(response, 415, "about:blank")
    assert await user_count(web_engine) == 0


async def test_a_text_plain_body_with_a_bearer_token_is_a_415_too(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.patch(
        f"{API}/users/me",
        data=b'{"first_name": "A"}',
        headers={"Content-Type": "text/plain", **bearer(token)},
    )
    await problem_of(response, 415, "about:blank")


async def test_a_json_suffix_media_type_is_accepted_as_json(client: QuartClient) -> None:
    body = ("{" + registration_text() + "}").encode()
    response = await post_raw(client, "/users", body, {"Content-Type": "application/vnd.x+json"})
    assert response.status_code == 201


# Control characters: refused at the boundary by the one text type, before any use case


@pytest.mark.parametrize("field", ["username", "email"])
async def test_a_nul_byte_in_a_registration_field_is_a_422_naming_it(
    client: QuartClient, web_engine: AsyncEngine, field: str
) -> None:
    name = unique_name("nul")
    data = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    data[field] = data[field][:4] + "\x00" + data[field][4:]
    response = await client.post(f"{API}/users", json=data)
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {field}
    assert await user_count(web_engine) == 0


async def test_a_nul_byte_in_a_sign_in_name_is_a_422_naming_it(
    client: QuartClient, account: Account
) -> None:
    response = await client.post(
        f"{API}/sessions", json={"login": account.user.username + "\x00", "password": PASSWORD}
    )
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"login"}


async def test_a_nul_byte_in_a_name_is_a_422_naming_it(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.patch(
        f"{API}/users/me", json={"first_name": "A\x00B"}, headers=bearer(token)
    )
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"first_name"}


# Paths and methods


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v2/users", "/api/", "/api/v1/users/me/nothing"]
)
async def test_an_unknown_api_path_is_a_404_problem(client: QuartClient, path: str) -> None:
    response = await client.get(path, headers={"Accept": "text/html"})
    await problem_of(response, 404, "about:blank")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/users", {"GET", "POST"}),
        ("PUT", "/users/me", {"GET", "PATCH", "DELETE"}),
        ("GET", "/password-resets", {"POST"}),
        ("POST", "/sessions/current", {"DELETE"}),
    ],
)
async def test_a_wrong_method_is_a_405_problem_with_allow(
    client: QuartClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.open(f"{API}{path}", method=method, headers={"Accept": "text/html"})
    await problem_of(response, 405, "about:blank")
    assert allowed <= {part.strip() for part in response.headers["Allow"].split(",")}


# Limits and an unreachable database


async def test_sign_ins_over_the_address_limit_are_a_429_problem_with_retry_after(
    make_app: AppMaker,
) -> None:
    async with make_app(SIGNIN_IP_LIMIT=1) as app:
        client = app.test_client()
        body = {"login": "nobody", "password": "whatever it is"}
        first = await client.post(f"{API}/sessions", json=body)
        second = await client.post(f"{API}/sessions", json=body)
    await problem_of(first, 400, "/problems/invalid-credentials")
    await problem_of(second, 429, "about:blank")
    assert int(second.headers["Retry-After"]) > 0


async def test_a_locked_account_name_is_a_429_too_many_attempts_with_retry_after(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=2) as app:
        client = app.test_client()
        for _ in range(2):
            wrong = {"login": account.user.username, "password": "wrong password"}
            await client.post(f"{API}/sessions", json=wrong)
        right = {"login": account.user.username, "password": PASSWORD}
        locked = await client.post(f"{API}/sessions", json=right)
    await problem_of(locked, 429, "/problems/too-many-attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


async def test_registration_attempts_over_the_address_limit_are_a_429_problem(
    make_app: AppMaker,
) -> None:
    async with make_app(REGISTER_ATTEMPT_LIMIT=2) as app:
        client = app.test_client()
        statuses = [(await client.post(f"{API}/users", json={})).status_code for _ in range(2)]
        over = await client.post(f"{API}/users", json={})
    assert statuses == [422, 422]
    await problem_of(over, 429, "about:blank")
    assert over.headers["Retry-After"]


async def test_signing_in_with_the_database_down_is_a_503_problem(down_app: Quart) -> None:
    client = down_app.test_client()
    response = await client.post(
        f"{API}/sessions", json={"login": "someone", "password": "whatever it is"}
    )
    await problem_of(response, 503, "/problems/service-unavailable")


async def test_a_token_with_the_database_down_is_a_503_problem_not_a_401(
    down_app: Quart,
) -> None:
    client = down_app.test_client()
    response = await client.get(f"{API}/users/me", headers=bearer("some-token-value"))
    await problem_of(response, 503, "/problems/service-unavailable")


# Content negotiation outside /api/


@pytest.mark.parametrize("accept", ["application/json", PROBLEM])
async def test_an_html_path_answers_problem_json_to_a_client_that_prefers_json(
    client: QuartClient, accept: str
) -> None:
    response = await client.get("/nope", headers={"Accept": accept})
    await problem_of(response, 404, "about:blank")


@pytest.mark.parametrize("accept", [None, "text/html", "text/html,application/json;q=0.9", "*/*"])
async def test_an_html_path_stays_html_for_browsers(
    client: QuartClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/nope", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in await response.get_data(as_text=True)


async def test_a_wrong_method_on_an_html_path_answers_json_with_allow(
    client: QuartClient,
) -> None:
    response = await client.put("/about/", headers={"Accept": "application/json"})
    await problem_of(response, 405, "about:blank")
    assert "GET" in response.headers["Allow"]


async def test_api_errors_are_json_even_for_a_client_that_prefers_html(
    client: QuartClient,
) -> None:
    response = await client.get(f"{API}/users/me", headers={"Accept": "text/html"})
    await problem_of(response, 401, "about:blank")


async def test_problem_bodies_are_exactly_the_documented_fields(client: QuartClient) -> None:
    response = await client.post(f"{API}/users", json={"username": "ann"})
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert set(problem) == {"type", "title", "status", "detail", "errors"}
    assert all(set(item) == {"field", "message"} for item in problem["errors"])
    assert field_names(problem) == {"email", "password"}
    assert json.loads(await response.get_data(as_text=True)) == problem


async def test_problem_bodies_end_their_line_like_every_other_json_answer(
    client: QuartClient,
) -> None:
    """So a terminal's prompt does not follow ``curl``'s output on the same line."""
    problem = await client.get(f"{API}/users/me")
    success = await client.get("/healthz")
    assert (problem.status_code, success.status_code) == (401, 200)
    assert (await problem.get_data()).endswith(b"}\n")
    assert (await success.get_data()).endswith(b"}\n")
