"""Forgot the password: ask for a link, read it from the mail, choose a new password."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Sink

pytestmark = pytest.mark.e2e
OLD, NEW = "first light on the hill", "second wind in the valley"


async def test_reset_by_mail_then_sign_in_with_the_new_password(
    server: str, page: Page, mailbox: Sink
) -> None:
    name = f"pw{uuid.uuid4().hex[:10]}"
    address = f"{name}@example.com"
    await page.goto(f"{server}/register/")
    for field, value in (
        ("#username", name),
        ("#email", address),
        ("#password", OLD),
        ("#confirm", OLD),
    ):
        await page.fill(field, value)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("Thank you for registering")

    await page.click("text=Forgot your password?")
    await page.fill("#email", address.upper())
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("a link to choose a new password")

    message = await mailbox.wait_for(address, "Reset your Gatehouse password")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(r"http://\S+/reset-password/\S+", body.get_content())
    assert link, body.get_content()
    assert link.group(0).startswith(server)

    await page.goto(link.group(0))
    await page.fill("#new_password", NEW)
    await page.fill("#confirm", NEW)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("Your new password is set.")

    await page.fill("#login", name)
    await page.fill("#password", NEW)
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/users/")

    await page.goto(link.group(0))
    await expect(page.locator("h1")).to_have_text("This link cannot be used")
