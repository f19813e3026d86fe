"""Being sent to sign in says why, in a real browser: a page that needs sign-in, and a
session ended from another device."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_sessions import PASSWORD, register, sign_in

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a quieter harbour at dawn"


async def test_a_signed_in_page_asks_for_sign_in_and_comes_back_after(
    server: str, page: Page
) -> None:
    name = f"why{uuid.uuid4().hex[:10]}"
    await register(page, server, name)
    await page.goto(f"{server}/users/me")
    await expect(page).to_have_url(f"{server}/?next=/users/me")
    await expect(page.locator(".flash")).to_have_text("Please sign in to see that page.")
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/users/me")


async def test_a_password_changed_on_another_device_says_you_were_signed_out(
    server: str, browser: Browser
) -> None:
    name = f"out{uuid.uuid4().hex[:10]}"
    laptop = await browser.new_context()
    phone = await browser.new_context(viewport={"width": 390, "height": 844})
    try:
        on_laptop, on_phone = await laptop.new_page(), await phone.new_page()
        await register(on_laptop, server, name)
        await sign_in(on_laptop, server, name, remember=False)
        await sign_in(on_phone, server, name, remember=False)
        await on_phone.goto(f"{server}/users/me/password")
        await on_phone.fill("#current_password", PASSWORD)
        await on_phone.fill("#new_password", NEW_PASSWORD)
        await on_phone.fill("#confirm", NEW_PASSWORD)
        await on_phone.click("form.card button[type=submit]")
        await expect(on_phone.locator(".flash")).to_contain_text("Your password is changed.")

        await on_laptop.goto(f"{server}/users/")
        await expect(on_laptop).to_have_url(f"{server}/?next=/users/")
        await expect(on_laptop.locator(".flash")).to_have_text("You were signed out.")
        await on_laptop.reload()
        await expect(on_laptop.locator(".flash")).to_have_count(0)
        await expect(on_laptop.locator("form.card h2")).to_have_text("Sign in")
    finally:
        await laptop.close()
        await phone.close()
