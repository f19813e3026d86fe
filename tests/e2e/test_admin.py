"""An administrator made on the command line grants a role; the member sees it."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import GATEHOUSE

pytestmark = pytest.mark.e2e
PASSWORD = "owls at the edge of town"


def gatehouse(env: dict[str, str], *args: str, answers: str = "") -> None:
    """Run the command line against the server's database, as an operator would."""
    subprocess.run(
        [GATEHOUSE, *args], env=env, input=answers, text=True, check=True, capture_output=True
    )


def create_user(env: dict[str, str], name: str, *flags: str) -> None:
    email = f"{name}@example.com"
    gatehouse(env, "users", "create", name, email, *flags, answers=f"{PASSWORD}\n" * 2)


async def test_an_admin_grants_a_role_and_the_member_sees_it_on_their_profile(
    server: str, server_env: dict[str, str], browser: Browser
) -> None:
    boss, member = f"boss{uuid.uuid4().hex[:8]}", f"mem{uuid.uuid4().hex[:8]}"
    role = f"rev{uuid.uuid4().hex[:8]}"
    create_user(server_env, boss, "--admin")
    create_user(server_env, member)
    gatehouse(server_env, "roles", "create", role, "--description", "Reviews things")
    admin_context, member_context = await browser.new_context(), await browser.new_context()
    try:
        admin_page, member_page = await admin_context.new_page(), await member_context.new_page()
        for page, name in ((admin_page, boss), (member_page, member)):
            await page.goto(f"{server}/")
            await page.fill("#login", name)
            await page.fill("#password", PASSWORD)
            await page.click("form.card button[type=submit]")
            await expect(page).to_have_url(f"{server}/users/")

        await member_page.goto(f"{server}/users/me")
        await expect(member_page.locator(".facts")).to_contain_text("none")

        await admin_page.click("nav.nav >> text=Admin")
        await admin_page.fill("#q", member.upper())
        await admin_page.click("form.search button")
        await admin_page.click(f"table >> text={member}")
        await admin_page.select_option("#role", role)
        await admin_page.click("form.row button")
        await expect(admin_page.locator(".flash")).to_contain_text(f"now holds '{role}'")

        await member_page.reload()
        await expect(member_page.locator(".facts")).to_contain_text(role)
        await expect(member_page.locator("nav.nav")).not_to_contain_text("Admin")
    finally:
        await admin_context.close()
        await member_context.close()
