"""What a person sees on the account pages in Chromium, at desktop and phone widths: the
members pager holds still, card headings fit on one line, flashes sit on the content."""

from __future__ import annotations

import re
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import GATEHOUSE, Sink, free_port, wait_until_up

pytestmark = pytest.mark.e2e
PASSWORD = "kites above the harbour"
WIDTHS = (1280, 390)
MEMBERS = 6  # with the viewer, four pages of two


@pytest.fixture(scope="module")
def small_pages(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server of its own, two members a page, so a few accounts make several pages."""
    home = tmp_path_factory.mktemp("pages")
    port = free_port()
    env = server_env | {
        "INSTANCE_PATH": str(home / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{home / 'pages.db'}",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MEMBERS_PER_PAGE": "2",
        "REGISTER_IP_LIMIT": "100",
    }
    subprocess.run([GATEHOUSE, "db", "upgrade"], env=env, check=True, capture_output=True)
    with (home / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [GATEHOUSE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
async def viewer(small_pages: str, browser: Browser) -> str:
    """A signed-up account among ``MEMBERS`` others, some with names and some without."""
    context = await browser.new_context()
    try:
        names = [f"pg{uuid.uuid4().hex[:10]}" for _ in range(MEMBERS + 1)]
        for name in names:
            response = await context.request.post(
                f"{small_pages}/api/v1/users",
                data={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
            )
            assert response.status == 201, await response.text()
        return names[0]
    finally:
        await context.close()


async def signed_in(browser: Browser, server: str, name: str, width: int) -> BrowserContext:
    context = await browser.new_context(viewport={"width": width, "height": 800})
    page = await context.new_page()
    await page.goto(f"{server}/")
    await page.fill("#login", name)
    await page.fill("#password", PASSWORD)
    await page.click("form.card button[type=submit]")
    await expect(page).to_have_url(f"{server}/users/")
    await page.close()
    return context


async def box(page: Page, selector: str) -> tuple[float, float]:
    """The left and right edges of the first element matching ``selector``."""
    found = await page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return round(found["x"], 1), round(found["x"] + found["width"], 1)


async def overflow(page: Page) -> int:
    width: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_members_pager_label_holds_still_and_past_the_end_is_not_found(
    small_pages: str, viewer: str, browser: Browser, width: int
) -> None:
    context = await signed_in(browser, small_pages, viewer, width)
    try:
        page = await context.new_page()
        places = []
        for number in (1, 2, 4):
            await page.goto(f"{small_pages}/users/?page={number}")
            await expect(page.locator(".pager-label")).to_have_text(f"Page {number} of 4")
            places.append(await box(page, ".pager-label"))
            assert await overflow(page) <= 0
        assert places[0] == places[1] == places[2], places

        response = await page.goto(f"{small_pages}/users/?page=5")
        assert response is not None and response.status == 404
        await expect(page.locator("h1")).to_have_text("Page not found")
    finally:
        await context.close()


async def test_card_headings_fit_on_one_line_on_a_phone(
    small_pages: str, viewer: str, browser: Browser, mailbox: Sink
) -> None:
    context = await signed_in(browser, small_pages, viewer, 390)
    signed_out = await browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page, visitor = await context.new_page(), await signed_out.new_page()
        await visitor.goto(f"{small_pages}/reset-password/")
        await visitor.fill("#email", f"{viewer}@example.com")
        await visitor.click("form.card button[type=submit]")
        mail = await mailbox.wait_for(f"{viewer}@example.com", "Reset your Gatehouse password")
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        link = re.search(r"https?://\S+(/reset-password/\S+)", body.get_content())
        assert link
        pages = [
            (page, "/users/me"),
            (page, "/users/me/password"),
            (page, "/logout/"),
            (visitor, "/register/"),
            (visitor, "/reset-password/"),
            (visitor, link.group(1)),
            (visitor, "/reset-password/not-a-real-token"),
            (visitor, "/no/such/page"),
        ]
        for tab, path in pages:
            await tab.goto(small_pages + path)
            heading = tab.locator(".card h1")
            lines = await heading.evaluate(
                "h => Math.round(h.getBoundingClientRect().height"
                " / parseFloat(getComputedStyle(h).lineHeight))"
            )
            assert (path, lines) == (path, 1), await heading.text_content()
            assert (path, await overflow(tab)) == (path, 0)
    finally:
        await context.close()
        await signed_out.close()


@pytest.mark.parametrize("width", WIDTHS)
async def test_a_flash_sits_on_top_of_the_content_as_wide_as_it(
    small_pages: str, viewer: str, browser: Browser, width: int
) -> None:
    context = await browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = await context.new_page()
        await page.goto(f"{small_pages}/")
        await page.fill("#login", viewer)
        await page.fill("#password", PASSWORD)
        await page.click("form.card button[type=submit]")
        await expect(page.locator(".flash")).to_contain_text("Welcome")
        assert await box(page, ".flash") == await box(page, "ul.members")

        await page.goto(f"{small_pages}/users/me")
        await page.fill("#first_name", "Pat")
        await page.click("main form button[type=submit]")
        await expect(page.locator(".flash")).to_have_text("Your profile is saved.")
        assert await box(page, ".flash") == await box(page, ".narrow .card")
        flash = await page.locator(".flash").bounding_box()
        card = await page.locator(".narrow .card").bounding_box()
        assert flash is not None and card is not None
        assert flash["y"] + flash["height"] < card["y"], "the flash comes first"
    finally:
        await context.close()


async def test_the_register_page_offers_a_sign_in_link_not_a_second_form(
    small_pages: str, browser: Browser, tmp_path: Path
) -> None:
    for width in WIDTHS:
        context = await browser.new_context(viewport={"width": width, "height": 800})
        page = await context.new_page()
        await page.goto(f"{small_pages}/register/")
        await expect(page.locator(".topbar form")).to_have_count(0)
        link = page.locator(".topbar").get_by_role("link", name="Sign in")
        await expect(link).to_be_visible()
        await link.click()
        await expect(page).to_have_url(f"{small_pages}/")
        await context.close()
