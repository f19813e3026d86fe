"""Invitations in a real browser on a server with REGISTRATION=invite, mail through a
real SMTP server: a stranger is refused on the page and in the API; an administrator
invites an address with a role, the invitee registers with the mailed link and holds
the role, and the link is dead afterwards."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import Sink, free_port, serving
from tests.e2e.test_admin import PASSWORD, create_user, gatehouse

pytestmark = pytest.mark.e2e
SUBJECT = "You are invited to Gatehouse"


@pytest.fixture(scope="module")
def invite_env(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The browser tests' server settings, with registration by invitation only."""
    home = tmp_path_factory.mktemp("invite")
    port = free_port()
    return {
        **server_env,
        "REGISTRATION": "invite",
        "INSTANCE_PATH": str(home / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{home / 'invite.db'}",
        "PUBLIC_URL": f"http://localhost:{port}",
        "PORT": str(port),
    }


@pytest.fixture(scope="module")
def invite_server(invite_env: dict[str, str]) -> Iterator[str]:
    with serving(invite_env, int(invite_env["PORT"])) as base:
        yield base


async def link_in(mailbox: Sink, address: str) -> str:
    message = await mailbox.wait_for(address, SUBJECT)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"http://\S+/register/[\w-]+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


async def test_strangers_are_refused_on_the_page_and_in_the_api(
    invite_server: str, page: Page, browser: Browser
) -> None:
    await page.goto(f"{invite_server}/")
    await expect(page.locator(".topbar")).not_to_contain_text("Create account")
    response = await page.goto(f"{invite_server}/register/")
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("Registration is by invitation")
    await expect(page.locator("#email")).to_have_count(0)

    body = {"username": "stranger", "email": "stranger@example.com", "password": PASSWORD}
    program = await browser.new_context()  # no cookie: as a program calls the API
    try:
        refused = await program.request.post(f"{invite_server}/api/v1/users", data=body)
        assert refused.status == 403
        assert (await refused.json())["type"] == "/problems/invitation-required"
    finally:
        await program.close()


async def test_an_admin_invites_and_the_invitee_registers_with_the_role(
    invite_server: str, invite_env: dict[str, str], browser: Browser, mailbox: Sink
) -> None:
    boss, guest = f"boss{uuid.uuid4().hex[:8]}", f"guest{uuid.uuid4().hex[:8]}"
    address = f"{guest}@example.com"
    create_user(invite_env, boss, "--admin")
    gatehouse(invite_env, "roles", "create", "editor")
    contexts = [await browser.new_context() for _ in range(3)]
    admin_context, guest_context, stranger_context = contexts
    try:
        admin = await admin_context.new_page()
        await admin.goto(f"{invite_server}/")
        await admin.fill("#login", boss)
        await admin.fill("#password", PASSWORD)
        await admin.click("form.card button[type=submit]")
        await admin.click("nav.nav >> text=Admin")
        await admin.click("nav.tabs >> text=Invitations")
        await admin.fill("#email", address)
        await admin.check("#role-editor")
        await admin.click("button:has-text('Send the invitation')")
        await expect(admin.locator(".flash")).to_contain_text(f"Invited {address}")
        await expect(admin.locator("table")).to_contain_text("pending")

        link = await link_in(mailbox, address)
        invitee = await guest_context.new_page()
        await invitee.goto(link)
        await expect(invitee.locator("h1")).to_have_text("Accept your invitation")
        await expect(invitee.locator("#email")).to_have_value(address)
        await invitee.fill("#username", guest)
        await invitee.fill("#password", PASSWORD)
        await invitee.fill("#confirm", PASSWORD)
        await invitee.click("form.card button[type=submit]")
        await expect(invitee.locator(".flash")).to_contain_text("Your account is ready")
        await invitee.fill("#login", guest)
        await invitee.fill("#password", PASSWORD)
        await invitee.click("form.card button[type=submit]")
        await invitee.goto(f"{invite_server}/users/me")
        await expect(invitee.locator("main")).to_contain_text("editor")
        await expect(invitee.locator(".notice")).to_have_count(0)  # the address is verified

        stranger = await stranger_context.new_page()
        dead = await stranger.goto(link)
        assert dead is not None and dead.status == 400
        await expect(stranger.locator("h1")).to_have_text("This invitation cannot be used")
        await admin.reload()
        await expect(admin.locator("table")).to_contain_text("accepted")
    finally:
        for context in contexts:
            await context.close()
