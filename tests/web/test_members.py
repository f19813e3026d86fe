"""GET /users/: active members only, paged, for signed-in people only."""

from __future__ import annotations

import re

import pytest
from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.services import Services
from infrastructure.db.tables import users
from tests.conftest import statements_on, unique_name
from tests.web.conftest import PASSWORD, Account, engine_of, post_form, sign_in


async def add_members(services: Services, count: int) -> list[str]:
    names = [f"m{index:02d}{unique_name('')[:8]}" for index in range(count)]
    for name in names:
        await services.create_user(
            CreateUser(username=name, email=f"{name}@example.com", password=PASSWORD)
        )
    return names


async def test_signed_out_visitors_are_sent_to_sign_in_and_back(client: QuartClient) -> None:
    response = await client.get("/users/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/"


async def test_members_are_listed_oldest_first_five_a_page(
    client: QuartClient, account: Account, services: Services
) -> None:
    names = await add_members(services, 6)
    await sign_in(client, account.user.username)
    first = await (await client.get("/users/")).get_data(as_text=True)
    second = await (await client.get("/users/?page=2")).get_data(as_text=True)
    assert "7 active members" in first
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert [name in first for name in names] == [True] * 4 + [False] * 2
    assert all(name in second for name in names[4:])
    assert 'rel="prev"' in second


async def test_inactive_members_are_not_listed(
    client: QuartClient, account: Account, services: Services, web_engine: AsyncEngine
) -> None:
    (hidden,) = await add_members(services, 1)
    async with web_engine.begin() as connection:
        await connection.execute(
            update(users).where(users.c.username == hidden).values(active=False)
        )
    await sign_in(client, account.user.username)
    html = await (await client.get("/users/")).get_data(as_text=True)
    assert hidden not in html
    assert "1 active member" in html


async def test_a_page_past_the_end_is_not_found(
    client: QuartClient, account: Account, services: Services
) -> None:
    await add_members(services, 5)
    await sign_in(client, account.user.username)
    last = await client.get("/users/?page=2")
    assert last.status_code == 200
    assert "Page 2 of 2" in await last.get_data(as_text=True)
    for page in ("3", "99"):
        response = await client.get("/users/", query_string={"page": page})
        assert response.status_code == 404
        html = await response.get_data(as_text=True)
        assert "Page not found" in html
        assert "of 2" not in html


async def test_the_pager_keeps_both_slots_so_its_label_stays_in_the_middle(
    client: QuartClient, account: Account, services: Services
) -> None:
    await add_members(services, 10)  # three pages of five
    await sign_in(client, account.user.username)
    slots = re.compile(
        r'<nav class="pager"[^>]*>\s*<span class="pager-prev">(.*?)</span>\s*'
        r'<span class="pager-label[^"]*">(Page \d of 3)</span>\s*'
        r'<span class="pager-next">(.*?)</span>\s*</nav>',
        re.S,
    )
    found = []
    for page in (1, 2, 3):
        html = await (await client.get(f"/users/?page={page}")).get_data(as_text=True)
        match = slots.search(html)
        assert match, html
        found.append(("Previous" in match[1], match[2], "Next" in match[3]))
    assert found == [
        (False, "Page 1 of 3", True),
        (True, "Page 2 of 3", True),
        (True, "Page 3 of 3", False),
    ]


async def test_a_member_without_a_name_is_shown_by_username_once(
    client: QuartClient, account: Account, services: Services
) -> None:
    (nameless,) = await add_members(services, 1)
    await sign_in(client, account.user.username)
    await post_form(
        client, "/users/me", {"first_name": "Ann", "last_name": "Lee", "email": account.user.email}
    )
    html = await (await client.get("/users/")).get_data(as_text=True)
    assert html.count(nameless) == 1
    assert f"@{nameless}" not in html
    assert "<strong>Ann Lee</strong>" in html
    assert f"@{account.user.username} · member since" in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1e9", "99999999999"])
async def test_a_nonsense_page_number_is_a_bad_request(
    client: QuartClient, account: Account, page: str
) -> None:
    await sign_in(client, account.user.username)
    response = await client.get("/users/", query_string={"page": page})
    assert response.status_code == 400


async def test_the_members_page_costs_one_query_however_many_members(
    client: QuartClient, account: Account, services: Services, app: Quart
) -> None:
    """One statement for the signed-in user, one for the whole page of members."""
    await add_members(services, 5)
    await sign_in(client, account.user.username)
    with statements_on(engine_of(app)) as sent:
        response = await client.get("/users/")
    assert response.status_code == 200
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects
