"""Every administration page, its questions and the members pages, on a phone (390 px)
and a desktop (1280 px), with data in them: nothing is wider than the screen, no table
hides columns in a sideways scroll, no heading wraps, every button is in view."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_admin import PASSWORD, create_user, gatehouse

pytestmark = pytest.mark.e2e

# What is wrong with the page as laid out: a list of sentences, empty when all is well.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const box of document.querySelectorAll(".table-wrap")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      problems.push(`a table scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
    }
  }
  for (const heading of document.querySelectorAll("main h1")) {
    const lines = heading.getBoundingClientRect().height
      / parseFloat(getComputedStyle(heading).lineHeight);
    if (Math.round(lines) > 1) problems.push(`"${heading.textContent.trim()}" wraps`);
  }
  const controls = "main button, main a.button, main select, main input:not([type=hidden])";
  for (const control of document.querySelectorAll(controls)) {
    const box = control.getBoundingClientRect();
    if (box.width && (box.left < 0 || box.right > width)) {
      problems.push(`"${(control.textContent || control.name).trim()}" is cut off`);
    }
  }
  return problems;
}"""


async def sign_in(page: Page, server: str, name: str, password: str = PASSWORD) -> None:
    await page.goto(f"{server}/")
    await page.fill("#login", name)
    await page.fill("#password", password)
    await page.click("form.card button[type=submit]")


async def user_id(page: Page, server: str, name: str) -> str:
    await page.goto(f"{server}/admin/users/?q={name}")
    href = await page.locator(f"table a:text-is('{name}')").get_attribute("href")
    assert href
    found = re.search(r"/admin/users/([0-9a-f-]{36})$", href)
    assert found
    return found.group(1)


async def test_admin_and_members_pages_fit_a_phone_and_a_desktop(
    server: str, server_env: dict[str, str], browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:8]
    boss, member, long_name = f"boss{tag}", f"ann{tag}", f"dana.{tag}-example"
    role, spare = f"ed{tag}", f"spare{tag}"
    create_user(server_env, boss, "--admin")
    for name in (member, long_name):
        create_user(server_env, name)
    gatehouse(server_env, "roles", "create", role, "--description", "Edits what members read")
    gatehouse(server_env, "roles", "create", spare)
    gatehouse(server_env, "roles", "grant", long_name, role)
    gatehouse(server_env, "users", "deactivate", member)
    elsewhere = await browser.new_context()
    try:
        visitor = await elsewhere.new_page()
        await sign_in(visitor, server, long_name, "not the password at all")
        await sign_in(visitor, server, boss)  # a second session, so there is a question
        await expect(visitor).to_have_url(f"{server}/users/")
        for width in (390, 1280):
            context = await browser.new_context(viewport={"width": width, "height": 800})
            try:
                page = await context.new_page()
                await sign_in(page, server, boss)
                dana = await user_id(page, server, long_name)
                paths = [
                    "/admin/users/",
                    f"/admin/users/{dana}",
                    f"/admin/users/{dana}/deactivate",
                    f"/admin/users/{dana}/roles/{role}/revoke",
                    "/admin/roles/",
                    f"/admin/roles/{spare}/delete",
                    "/admin/audit/",
                    f"/admin/audit/?user={dana}",
                    "/users/",
                    "/users/me/sessions",
                    "/users/me/sessions/revoke-others",
                ]
                for path in paths:
                    response = await page.goto(f"{server}{path}")
                    assert response is not None
                    assert (path, response.status) == (path, 200)
                    assert (path, await page.evaluate(LAYOUT_PROBLEMS)) == (path, []), width
            finally:
                await context.close()
    finally:
        await elsewhere.close()


async def test_the_audit_trail_on_a_phone_is_cards_not_a_squeezed_table(
    server: str, server_env: dict[str, str], browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:8]
    boss = f"boss{tag}"
    create_user(server_env, boss, "--admin")
    context = await browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = await context.new_page()
        await sign_in(page, server, boss, "not the password at all")
        await sign_in(page, server, boss)
        await page.goto(f"{server}/admin/audit/?type=LoginFailed&user=")
        card = page.locator("table.table-audit tbody tr").first
        await expect(card.locator("td.event")).to_have_text("Sign-in failed")
        await expect(card.locator("td[data-label=By]")).to_have_text("visitor")
        await expect(card.locator("td.when")).to_contain_text("UTC")
        header = await page.locator("table.table-audit thead").bounding_box()
        assert header is not None and header["height"] <= 1, "column heads give way to labels"
        event, when = card.locator("td.event"), card.locator("td.when")
        event_box, when_box = await event.bounding_box(), await when.bounding_box()
        assert event_box is not None and when_box is not None
        assert abs(event_box["y"] - when_box["y"]) < event_box["height"], "one line: what, when"
    finally:
        await context.close()
