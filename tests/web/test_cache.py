"""The cache in the running app: a warm signed-in members page costs no query, and
every change shows on the very next request."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.commands import CreateUser, RoleChange, UpdateProfile
from application.services import SETUP, Services
from tests.conftest import statements_on, unique_name
from tests.web.conftest import PASSWORD, Account, AppMaker, engine_of, new_account, sign_in
from web.runtime import SERVICES

SETTLE = 0.05  # the app's CACHE_SETTLE here: how long a changed account is not cached


@pytest.fixture
async def cached_app(make_app: AppMaker) -> AsyncIterator[Quart]:
    async with make_app(CACHE_SETTLE=SETTLE, MEMBERS_PER_PAGE=5) as app:
        yield app


@pytest.fixture
def app_services(cached_app: Quart) -> Services:
    found: Services = cached_app.extensions[SERVICES]
    return found


@pytest.fixture
async def member(app_services: Services) -> Account:
    return await new_account(app_services, "cm")


@pytest.fixture
async def browser(cached_app: Quart, member: Account) -> QuartClient:
    """A client signed in as ``member`` whose session and members page are cached."""
    client = cached_app.test_client()
    await sign_in(client, member.user.username)
    await asyncio.sleep(SETTLE * 3)
    assert (await client.get("/users/")).status_code == 200
    return client


async def members_page(client: QuartClient) -> str:
    response = await client.get("/users/")
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_a_warm_signed_in_members_page_sends_no_query(
    cached_app: Quart, browser: QuartClient, member: Account
) -> None:
    with statements_on(engine_of(cached_app)) as sent:
        html = await members_page(browser)
    assert sent == []
    assert f"Signed in as <strong>{member.user.username}</strong>" in html


async def test_with_the_cache_off_every_page_asks_the_database(
    make_app: AppMaker, member: Account
) -> None:
    async with make_app(CACHE_TTL=0) as app:
        client = app.test_client()
        await sign_in(client, member.user.username)
        await members_page(client)
        with statements_on(engine_of(app)) as sent:
            await members_page(client)
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 2


def member_count(html: str) -> int:
    found = re.search(r"(\d+) active members?", html)
    assert found, "no member count on the page"
    return int(found.group(1))


async def test_a_new_member_and_a_deactivation_show_on_the_next_members_page(
    browser: QuartClient, app_services: Services
) -> None:
    before = member_count(await members_page(browser))
    name = unique_name("new")
    joined = await app_services.create_user(
        CreateUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    assert member_count(await members_page(browser)) == before + 1
    await app_services.deactivate_user(joined.id, SETUP)
    assert member_count(await members_page(browser)) == before


async def test_a_name_change_shows_on_the_next_request(
    browser: QuartClient, app_services: Services, member: Account
) -> None:
    await app_services.update_profile(
        UpdateProfile(user_id=member.user.id, first_name="Grace", email=member.user.email)
    )
    html = await (await browser.get("/users/me")).get_data(as_text=True)
    assert 'value="Grace"' in html


async def test_a_granted_role_opens_the_admin_pages_on_the_next_request(
    browser: QuartClient, app_services: Services, member: Account
) -> None:
    assert (await browser.get("/admin/users/")).status_code == 403
    await app_services.grant_role(RoleChange(user_id=member.user.id, role="admin"), SETUP)
    assert (await browser.get("/admin/users/")).status_code == 200


async def test_a_deactivated_member_is_signed_out_on_the_next_request(
    browser: QuartClient, app_services: Services, member: Account
) -> None:
    await app_services.deactivate_user(member.user.id, SETUP)
    response = await browser.get("/users/")
    assert response.status_code == 303


async def test_a_session_revoked_elsewhere_ends_on_the_next_request(
    cached_app: Quart, browser: QuartClient, app_services: Services, member: Account
) -> None:
    other = cached_app.test_client()
    await sign_in(other, member.user.username)
    await app_services.revoke_other_sessions(member.user.id, None, SETUP.client)
    assert (await browser.get("/users/")).status_code == 303
    assert (await other.get("/users/")).status_code == 303


async def test_without_redis_another_processes_change_shows_once_the_copy_expires(
    make_app: AppMaker,
) -> None:
    """The command line is another process: it cannot reach this one's memory, so
    without Redis copies live only CACHE_LOCAL_TTL."""
    local_ttl = 0.3
    async with (
        make_app(CACHE_SETTLE=SETTLE, CACHE_LOCAL_TTL=local_ttl) as serving,
        make_app() as command_line,
    ):
        member = await new_account(serving.extensions[SERVICES], "cl")
        browser = serving.test_client()
        await sign_in(browser, member.user.username)
        await asyncio.sleep(SETTLE * 3)
        await members_page(browser)
        with statements_on(engine_of(serving)) as sent:
            await members_page(browser)
        assert sent == []  # served from this process's memory

        await command_line.extensions[SERVICES].deactivate_user(member.user.id, SETUP)
        await asyncio.sleep(local_ttl * 1.5)
        assert (await browser.get("/users/")).status_code == 303
