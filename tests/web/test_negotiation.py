"""Pages that show data answer JSON to a client that prefers it, with their API twin's
body, paging and authentication (the session cookie) and ``Vary: Accept``; browsers
keep HTML, and a client accepting neither gets a 406 problem."""

from __future__ import annotations

from typing import Any

import pytest
from quart.testing import QuartClient

from application.results import UserDetail
from tests.web.api_support import API, PROBLEM, problem_of
from tests.web.conftest import Account

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def json_of(client: QuartClient, path: str, accept: dict[str, str] = JSON) -> Any:
    response = await client.get(path, headers=accept)
    assert response.status_code == 200, await response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    if not path.startswith(API):  # a page says it varies; the API answers one way
        assert "Accept" in response.headers.get("Vary", "")
    return await response.get_json()


@pytest.mark.parametrize(
    ("page", "twin"),
    [
        ("/users/", "/users"),
        ("/users/?limit=1", "/users?limit=1"),
        ("/users/me", "/users/me"),
        ("/users/me/sessions", "/sessions"),
    ],
)
async def test_member_pages_answer_with_their_api_twins_body(
    as_member: QuartClient, page: str, twin: str
) -> None:
    assert await json_of(as_member, page) == await json_of(as_member, API + twin)


async def test_admin_pages_answer_with_their_api_twins_body(
    as_admin: QuartClient, admin: UserDetail
) -> None:
    for page, twin in (
        ("/admin/users/", "/admin/users"),
        (f"/admin/users/{admin.id}", f"/admin/users/{admin.id}"),
        (f"/admin/audit/?user={admin.id}", f"/admin/audit-events?user={admin.id}"),
    ):
        assert await json_of(as_admin, page) == await json_of(as_admin, API + twin), page


@pytest.mark.parametrize(
    "accept",
    [
        BROWSER["Accept"],
        "text/html;q=0.9, application/json;q=0.9",  # a tie is a browser's
        "application/json;q=0.5, text/html",
        "*/*",
    ],
)
async def test_browsers_and_ties_keep_html(as_member: QuartClient, accept: str) -> None:
    response = await as_member.get("/users/", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]


async def test_a_higher_quality_for_json_gets_json(as_member: QuartClient) -> None:
    await json_of(as_member, "/users/", {"Accept": "text/html;q=0.5, application/json"})


async def test_a_client_accepting_neither_gets_a_406_problem(as_member: QuartClient) -> None:
    response = await as_member.get("/users/", headers={"Accept": "text/csv"})
    assert response.status_code == 406 and response.mimetype == PROBLEM


async def test_signed_out_json_is_a_401_problem_not_a_redirect(client: QuartClient) -> None:
    await problem_of(await client.get("/users/", headers=JSON), 401)
    await problem_of(await client.get("/admin/users/", headers=JSON), 401)


async def test_a_member_asking_an_admin_page_in_json_gets_a_403_problem(
    as_member: QuartClient, account: Account
) -> None:
    await problem_of(await as_member.get("/admin/users/", headers=JSON), 403)


async def test_pages_without_data_stay_html(as_member: QuartClient) -> None:
    response = await as_member.get("/about/", headers=JSON)
    assert response.mimetype == "text/html"


async def test_no_accept_header_is_html(as_member: QuartClient) -> None:
    response = await as_member.get("/users/", headers={"Accept": ""})
    assert response.status_code == 200 and response.mimetype == "text/html"
