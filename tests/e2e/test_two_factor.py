"""Two-factor in a real browser: set it up by reading the key off the page, then sign
in with a code from the app, again with a recovery code, and then from a trusted browser
with the password alone until it is forgotten."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import Sink
from tests.e2e.test_sessions import PASSWORD
from tests.e2e.test_verification import new_member

pytestmark = pytest.mark.e2e


async def password_step(page: Page, server: str, name: str) -> None:
    await page.goto(f"{server}/?next=/users/me")
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/sign-in/two-factor/?next=/users/me")
    await page.goto(f"{server}/users/")  # half signed in is not signed in
    await expect(page).to_have_url(f"{server}/?next=/users/")
    await page.go_back()


async def sign_out(page: Page) -> None:
    await page.click("header button:has-text('Sign out')")
    await expect(page.locator(".flash")).to_contain_text("You are signed out.")


async def test_set_up_then_sign_in_with_a_code_and_with_a_recovery_code(
    server: str, browser: Browser, mailbox: Sink
) -> None:
    name = f"tfa{uuid.uuid4().hex[:10]}"
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await new_member(page, server, mailbox, name)
        await page.goto(f"{server}/users/me")
        await page.click("a:has-text('Two-factor sign-in')")
        await expect(page.locator(".qr svg")).to_be_visible()
        key = (await page.locator("#key").inner_text()).replace(" ", "")
        app = pyotp.TOTP(key)
        link = await page.locator("a:has-text('Open in your authenticator app')").get_attribute(
            "href"
        )
        assert link == app.provisioning_uri(name=name, issuer_name="Gatehouse")

        await page.fill("#code", app.now())
        await page.click("form button:has-text('Turn on')")
        await expect(page.locator(".flash")).to_contain_text("Two-factor sign-in is on.")
        codes = await page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        async with page.expect_download() as download:
            await page.click("a:has-text('Download as a text file')")
        saved = await (await download.value).path()
        assert saved is not None and saved.read_text().split() == codes
        await sign_out(page)

        await password_step(page, server, name)
        # The set-up spent this step's code: the app's next one is within the window.
        await page.fill("#code", app.at(time.time() + 30))
        await page.click("form.card button[type=submit]")
        await expect(page).to_have_url(f"{server}/users/me")
        await expect(page.locator(".who")).to_contain_text(name)
        await sign_out(page)

        await password_step(page, server, name)
        await page.fill("#code", "000000")
        await page.click("form.card button[type=submit]")
        await expect(page.locator("#code-error")).to_contain_text("not right")
        await page.fill("#code", codes[0])
        await page.click("form.card button[type=submit]")
        await expect(page).to_have_url(f"{server}/users/me")
        await page.goto(f"{server}/users/me/two-factor/")
        await expect(page.locator(".facts")).to_contain_text("9 of 10 left")
        await sign_out(page)

        # "Don't ask again on this browser": the next sign-in takes the password alone.
        await password_step(page, server, name)
        await page.fill("#code", codes[1])
        await page.check("#trust")
        await page.click("form.card button[type=submit]")
        await expect(page).to_have_url(f"{server}/users/me")
        await sign_out(page)
        await page.goto(f"{server}/?next=/users/me")
        await page.fill("#login", name)
        await page.fill("#password", PASSWORD)
        await page.click("form.card button[type=submit]")
        await expect(page).to_have_url(f"{server}/users/me")
        await page.goto(f"{server}/users/me/sessions")
        trusted = page.locator(".trusted .session")
        await expect(trusted).to_have_count(1)
        await expect(trusted).to_contain_text("This browser")
        await expect(page.locator(".sessions").first).to_contain_text("trusted browser")
        await trusted.locator("button:has-text('Forget')").click()
        await expect(page.locator(".flash")).to_contain_text("asked for a code")
        await sign_out(page)
        await password_step(page, server, name)  # the code is asked again
    finally:
        await context.close()
