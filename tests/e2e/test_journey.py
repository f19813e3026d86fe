"""A newcomer's first visit, in a real browser: register, sign in, members, sign out."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.e2e
PASSWORD = "a quiet harbour at dawn"


async def test_register_sign_in_see_members_and_sign_out(
    server: str, page: Page, tmp_path: Path
) -> None:
    name = f"e2e{uuid.uuid4().hex[:10]}"

    await page.goto(f"{server}/register/")
    await page.fill("#username", name)
    await page.fill("#email", f"{name}@example.com")
    await page.fill("#password", PASSWORD)
    await page.fill("#confirm", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("Thank you for registering")
    assert page.url == f"{server}/"

    await page.fill("#login", name.upper())
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/users/")
    await expect(page.locator(".members")).to_contain_text(name)
    await expect(page.locator(".who")).to_contain_text(name)
    await page.screenshot(path=str(tmp_path / "members.png"), full_page=True)

    await page.click(".account button[type=submit]")
    await expect(page.locator(".flash")).to_contain_text("You are signed out.")

    await page.goto(f"{server}/users/")
    await expect(page).to_have_url(f"{server}/?next=/users/")
    await expect(page.locator("form.card h2")).to_have_text("Sign in")


async def test_a_wrong_password_shows_one_generic_message(server: str, page: Page) -> None:
    await page.goto(f"{server}/")
    await page.fill("#login", "nobody-at-all")
    await page.fill("#password", "not the password")
    await page.click("form.card button[type=submit]")
    await expect(page.locator(".form-error")).to_have_text("Invalid username or password.")
    await expect(page.locator("#password")).to_have_value("")


async def test_the_layout_fits_a_phone_screen(server: str, page: Page) -> None:
    await page.set_viewport_size({"width": 375, "height": 740})
    await page.goto(f"{server}/register/")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert overflow is False
    await expect(page.locator(".topbar").get_by_role("link", name="Sign in")).to_be_visible()


async def test_the_stylesheet_arrives_compressed_cached_and_applied(
    server: str, page: Page, tmp_path: Path
) -> None:
    async with page.expect_response(lambda r: "/static/css/style." in r.url) as seen:
        await page.goto(f"{server}/")
    stylesheet = await seen.value
    headers = await stylesheet.all_headers()
    assert stylesheet.status == 200
    assert headers["content-encoding"] in {"gzip", "br"}
    assert "immutable" in headers["cache-control"]
    assert headers["x-content-type-options"] == "nosniff"
    topbar = await page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert topbar not in {"rgba(0, 0, 0, 0)", "transparent"}
    await page.screenshot(path=str(tmp_path / "home.png"))
