"""Passkeys in a real browser, with Chromium's virtual authenticator (CTAP2, internal,
resident keys, user verification): add one, sign out, sign in with it without typing a
name, remove it, and see signing in with it fail."""

from __future__ import annotations

import uuid

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import Sink
from tests.e2e.test_sessions import PASSWORD
from tests.e2e.test_two_factor import sign_out
from tests.e2e.test_verification import new_member

pytestmark = pytest.mark.e2e
THIS_SESSION = ".session.is-current"


async def virtual_authenticator(context: BrowserContext, page: Page) -> str:
    """A platform authenticator in this page's browser, as a phone or laptop has."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(added["authenticatorId"])


async def test_add_a_passkey_sign_in_with_it_alone_remove_it_and_be_refused(
    server: str, browser: Browser, mailbox: Sink
) -> None:
    name = f"pk{uuid.uuid4().hex[:10]}"
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await virtual_authenticator(context, page)
        await new_member(page, server, mailbox, name)
        await page.goto(f"{server}/users/me")
        await page.click("a:has-text('Passkeys')")
        await expect(page).to_have_url(f"{server}/users/me/passkeys/")
        await page.fill("#name", "Virtual laptop")
        await page.click("form[data-passkey] button:has-text('Add a passkey')")
        await expect(page.locator(".flash")).to_contain_text("Added the passkey 'Virtual laptop'")
        await expect(page.locator(".passkey")).to_have_count(1)
        await sign_out(page)

        # The home page's button: no username, no password.
        await page.goto(f"{server}/?next=/users/me")
        button = page.locator("button:has-text('Sign in with a passkey')")
        await expect(button).to_be_visible()
        await button.click()
        await expect(page).to_have_url(f"{server}/users/me")
        await expect(page.locator(".who")).to_contain_text(name)
        await page.goto(f"{server}/users/me/sessions")
        await expect(page.locator(".session.is-current")).to_contain_text(
            "signed in with a passkey"
        )

        await page.goto(f"{server}/users/me/passkeys/")
        await page.click("a:has-text('Remove…')")
        await page.fill("#password", PASSWORD)
        await page.click("button:has-text('Remove the passkey')")
        await expect(page.locator(".flash")).to_contain_text("The passkey is removed")
        await sign_out(page)

        # The credential is still on the device, but the site no longer knows it.
        await page.click("button:has-text('Sign in with a passkey')")
        await expect(page.locator(".form-error")).to_contain_text("could not be used")
        await expect(page.locator(".who")).to_have_count(0)
    finally:
        await context.close()


async def test_a_passkey_is_the_second_step_of_a_password_sign_in(
    server: str, browser: Browser, mailbox: Sink
) -> None:
    name = f"pf{uuid.uuid4().hex[:10]}"
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await virtual_authenticator(context, page)
        await new_member(page, server, mailbox, name)
        await page.goto(f"{server}/users/me/two-factor/")
        key = (await page.locator("#key").inner_text()).replace(" ", "")
        await page.fill("#code", pyotp.TOTP(key).now())
        await page.click("form button:has-text('Turn on')")
        await page.goto(f"{server}/users/me/passkeys/")
        await page.click("form[data-passkey] button:has-text('Add a passkey')")
        await expect(page.locator(".passkey")).to_have_count(1)
        await sign_out(page)

        await page.goto(f"{server}/")
        await page.fill("#login", name)
        await page.fill("#password", PASSWORD)
        await page.click("form.card button[type=submit]")
        await expect(page).to_have_url(f"{server}/sign-in/two-factor/")
        await page.click("button:has-text('Use a passkey instead')")
        await expect(page).to_have_url(f"{server}/users/")
        await page.goto(f"{server}/users/me/sessions")
        await expect(page.locator(".session.is-current")).to_contain_text(
            "signed in with a passkey"
        )
    finally:
        await context.close()


async def test_without_passkey_support_the_button_says_so(server: str, browser: Browser) -> None:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.add_init_script("delete window.PublicKeyCredential;")
        await page.goto(f"{server}/")
        await expect(page.locator("button:has-text('Sign in with a passkey')")).to_be_disabled()
        await expect(page.locator("[data-passkey-status]")).to_have_text(
            "This browser cannot use passkeys."
        )
        await expect(page.locator("form.card button:has-text('Sign in')").first).to_be_enabled()
    finally:
        await context.close()
