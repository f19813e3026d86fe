"""Revoking a remembered session from another browser signs the first one out."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

pytestmark = pytest.mark.e2e
PASSWORD = "lanterns over the bay"


async def register(page: Page, server: str, name: str) -> None:
    await page.goto(f"{server}/register/")
    await page.fill("#username", name)
    await page.fill("#email", f"{name}@example.com")
    await page.fill("#password", PASSWORD)
    await page.fill("#confirm", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("Thank you for registering")


async def sign_in(page: Page, server: str, name: str, *, remember: bool) -> None:
    await page.goto(f"{server}/")
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    if remember:
        await page.check("#remember")
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/users/")


async def test_a_remembered_session_revoked_elsewhere_is_signed_out(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    name = f"rev{uuid.uuid4().hex[:10]}"
    laptop = await browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    phone = await browser.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1",
        viewport={"width": 390, "height": 844},
    )
    try:
        on_laptop, on_phone = await laptop.new_page(), await phone.new_page()
        await register(on_laptop, server, name)
        await sign_in(on_laptop, server, name, remember=True)
        cookie = next(c for c in await laptop.cookies() if c["name"] == "gatehouse_auth")
        assert cookie["expires"] > 0, "a remembered sign-in keeps its cookie"

        await sign_in(on_phone, server, name, remember=False)
        await on_phone.goto(f"{server}/users/me/sessions")
        rows = on_phone.locator("li.session")
        await expect(rows).to_have_count(2)
        laptop_row = rows.filter(has_text="Firefox on Linux")
        await expect(laptop_row).to_have_count(1)
        await on_phone.screenshot(path=str(tmp_path / "sessions.png"), full_page=True)
        await laptop_row.locator("button").click()
        await expect(on_phone.locator(".flash")).to_contain_text("The session has been signed out.")
        await expect(on_phone.locator("li.session")).to_have_count(1)

        await on_laptop.goto(f"{server}/users/")
        await expect(on_laptop).to_have_url(f"{server}/?next=/users/")
    finally:
        await laptop.close()
        await phone.close()
