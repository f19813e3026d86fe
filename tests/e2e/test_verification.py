"""An account's life in a real browser, mail through a real SMTP server: register, open
the link from the welcome mail, confirm; change the address and confirm the new one
while the old one is told; export the data and delete the account."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Sink
from tests.e2e.test_sessions import PASSWORD, register

pytestmark = pytest.mark.e2e


async def link_in(mailbox: Sink, address: str, subject: str) -> str:
    message = await mailbox.wait_for(address, subject)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"http://\S+/verify-email/\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


async def verify_address(page: Page, mailbox: Sink, address: str) -> None:
    """Open the welcome mail's link and confirm, as a new member does before turning on
    two-factor or adding a passkey."""
    await page.goto(await link_in(mailbox, address, "Welcome to Gatehouse"))
    await page.click("button:has-text('Confirm my address')")
    await expect(page.locator(".flash")).to_contain_text(f"{address} is verified")


async def new_member(page: Page, server: str, mailbox: Sink, name: str) -> None:
    """Register ``name``, sign in and verify the address, as a member does before
    turning on two-factor or adding a passkey."""
    await register(page, server, name)
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await verify_address(page, mailbox, f"{name}@example.com")


async def test_register_verify_then_change_the_address_and_verify_it(
    server: str, page: Page, mailbox: Sink
) -> None:
    name = f"vf{uuid.uuid4().hex[:10]}"
    address, new = f"{name}@example.com", f"{name}@example.org"
    await register(page, server, name)
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".notice")).to_contain_text("Please confirm your address")

    await page.goto(await link_in(mailbox, address, "Welcome to Gatehouse"))
    await expect(page.locator("h1")).to_have_text("Confirm your address")
    await page.click("button:has-text('Confirm my address')")
    await expect(page.locator(".flash")).to_contain_text(f"{address} is verified")
    await expect(page.locator(".facts")).to_contain_text("verified")
    await expect(page.locator(".notice")).to_have_count(0)

    await page.fill("#email", new)
    await page.fill("#current_password", PASSWORD)
    await page.click("form button:has-text('Save')")
    await expect(page.locator(".flash")).to_contain_text(f"We sent a link to {new}")
    await expect(page.locator("#email")).to_have_value(address)  # not yet changed
    await mailbox.wait_for(address, "A new address was asked for your account")

    await page.goto(await link_in(mailbox, new, "Confirm your new address"))
    await page.click("button:has-text('Confirm my address')")
    await expect(page.locator(".flash")).to_contain_text(f"{new} is verified")
    await expect(page.locator("#email")).to_have_value(new)


async def test_export_then_delete_the_account(server: str, page: Page, mailbox: Sink) -> None:
    name = f"dl{uuid.uuid4().hex[:10]}"
    address = f"{name}@example.com"
    await register(page, server, name)
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await page.goto(f"{server}/users/me")
    async with page.expect_download() as download:
        await page.click("a:has-text('Download your data')")
    saved = await (await download.value).path()
    assert saved is not None
    document = json.loads(saved.read_text())
    assert document["account"]["username"] == name
    assert "UserRegistered" in {event["event_type"] for event in document["audit_events"]}

    await page.click("a:has-text('Delete your account')")
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Delete my account')")
    await expect(page.locator(".flash")).to_contain_text("Your account is deleted.")
    await mailbox.wait_for(address, "Your Gatehouse account is deleted")
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".form-error")).to_contain_text("Invalid username or password")
