"""The shared layout: what the header offers on each page, and where flashes go."""

from __future__ import annotations

import re

import pytest
from quart.testing import QuartClient

from tests.web.conftest import Account, post_form

HEADER = re.compile(r'<header class="topbar">(.*?)</header>', re.S)
FLASH_FIRST = re.compile(r'<main id="main" class="container">\s*<div class="flashes">')


def header_of(html: str) -> str:
    found = HEADER.search(html)
    assert found, "no header"
    return found.group(1)


async def test_the_register_page_offers_a_sign_in_link_instead_of_a_second_form(
    client: QuartClient,
) -> None:
    shown = await (await client.get("/register/")).get_data(as_text=True)
    refused = await post_form(client, "/register/", {"username": "x"})
    assert refused.status_code == 422
    for html in (shown, await refused.get_data(as_text=True)):
        header = header_of(html)
        assert "<form" not in header
        assert '<a class="button" href="/">Sign in</a>' in header
        assert html.count("<form") == 1, "only the registration form"


@pytest.mark.parametrize("path", ["/about/", "/reset-password/", "/logout/"])
async def test_other_signed_out_pages_keep_the_sign_in_form_in_the_header(
    client: QuartClient, path: str
) -> None:
    header = header_of(await (await client.get(path)).get_data(as_text=True))
    assert 'class="nav-sign-in"' in header
    assert 'name="password"' in header


async def flashed_page(client: QuartClient, path: str, data: dict[str, str]) -> str:
    """Send a form, follow its redirect; the page that shows the flash."""
    sent = await post_form(client, path, data)
    assert sent.status_code == 303
    return await (await client.get(sent.headers["Location"])).get_data(as_text=True)


async def test_a_flash_comes_first_in_the_content_on_wide_and_narrow_pages(
    client: QuartClient, account: Account
) -> None:
    credentials = {"login": account.user.username, "password": account.password}
    members = await flashed_page(client, "/", credentials)
    profile = await flashed_page(client, "/users/me", {"email": account.user.email})
    for html, message in ((members, "Welcome, "), (profile, "Your profile is saved.")):
        assert FLASH_FIRST.search(html), "the flash is the first thing in the content"
        assert html.index(message) < html.index("<h1")
