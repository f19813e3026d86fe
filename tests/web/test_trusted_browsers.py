"""Trusted browsers in the browser: the code step's "don't ask again" box sets a cookie
of its own that skips the code at the next sign-in (never the password), listed on the
sessions page, forgotten there, by a password change and by sign-out everywhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.services import Services
from infrastructure.db.tables import sessions, trusted_browsers
from tests.web.conftest import (
    PASSWORD,
    Account,
    AppMaker,
    csrf_token,
    new_account,
    post_form,
    sign_in,
)
from tests.web.test_two_factor_sign_in import STEP, next_code, turn_on

TRUSTED = "gatehouse_trusted"


def trusted_cookie(response: Response) -> str | None:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{TRUSTED}=")]
    return found[0] if found else None


async def sign_in_with_password(client: QuartClient, account: Account) -> Response:
    token = await csrf_token(client)
    return await client.post(
        "/", form={"login": account.user.username, "password": PASSWORD, "csrf_token": token}
    )


async def trusted_sign_in(client: QuartClient, account: Account, secret: str) -> Response:
    """Password, then the code with "don't ask again" ticked."""
    assert (await sign_in_with_password(client, account)).headers["Location"] == STEP
    return await post_form(client, STEP, {"code": next_code(secret), "trust": "on"})


async def sign_out(client: QuartClient) -> None:
    assert (await post_form(client, "/logout/", {})).status_code == 303


async def test_the_code_step_offers_to_trust_the_browser_for_the_configured_days(
    make_app: AppMaker, services: Services, account: Account
) -> None:
    await turn_on(services, account)
    async with make_app(TRUSTED_BROWSER_DAYS=7) as app:
        client = app.test_client()
        await sign_in_with_password(client, account)
        html = await (await client.get(STEP)).get_data(as_text=True)
    assert 'name="trust" type="checkbox"' in html
    assert "Don't ask again on this browser for 7 days" in html


async def test_a_trusted_browser_skips_the_code_but_not_the_password(
    client: QuartClient, services: Services, account: Account, web_engine: AsyncEngine
) -> None:
    secret, _ = await turn_on(services, account)
    response = await trusted_sign_in(client, account, secret)
    assert response.status_code == 303 and response.headers["Location"] == "/users/"
    cookie = trusted_cookie(response)
    assert cookie is not None
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)

    await sign_out(client)  # signing out keeps the trust
    again = await sign_in_with_password(client, account)
    assert again.status_code == 303 and again.headers["Location"] == "/users/"
    assert (await client.get("/users/me")).status_code == 200
    await sign_out(client)
    wrong = await post_form(client, "/", {"login": account.user.username, "password": "nope" * 3})
    assert wrong.status_code == 400
    async with web_engine.connect() as conn:
        proofs = (await conn.execute(select(sessions.c.second_factor))).scalars().all()
    assert sorted(proofs) == ["code", "trusted_browser"]


async def test_without_the_box_ticked_the_browser_is_not_trusted(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await sign_in_with_password(client, account)
    response = await post_form(client, STEP, {"code": next_code(secret)})
    assert response.status_code == 303
    assert trusted_cookie(response) is None
    await sign_out(client)
    assert (await sign_in_with_password(client, account)).headers["Location"] == STEP


async def test_a_wrong_code_keeps_the_box_ticked_and_trusts_nothing(
    client: QuartClient, services: Services, account: Account, web_engine: AsyncEngine
) -> None:
    await turn_on(services, account)
    await sign_in_with_password(client, account)
    response = await post_form(client, STEP, {"code": "000000x", "trust": "on"})
    assert response.status_code == 400
    assert 'name="trust" type="checkbox" checked' in await response.get_data(as_text=True)
    assert trusted_cookie(response) is None
    async with web_engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(trusted_browsers)) == 0


async def test_a_made_up_or_tampered_cookie_is_asked_for_the_code(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    for value in ("made-up", "x" * 4000, "%00%ff", "a" * 43):
        client.set_cookie("localhost", TRUSTED, value)
        response = await sign_in_with_password(client, account)
        assert response.status_code == 303 and response.headers["Location"] == STEP, value
    assert (await post_form(client, STEP, {"code": next_code(secret)})).status_code == 303


async def test_another_accounts_trusted_browser_still_asks_for_the_code(
    app: Quart, services: Services, account: Account
) -> None:

    bob = await new_account(services, "bob")
    secret, _ = await turn_on(services, account)
    await turn_on(services, bob)
    client = app.test_client()
    await trusted_sign_in(client, account, secret)
    await sign_out(client)
    assert (await sign_in_with_password(client, bob)).headers["Location"] == STEP


async def test_the_sessions_page_lists_trusted_browsers_and_what_proved_each_session(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await trusted_sign_in(client, account, secret)
    html = await (await client.get("/users/me/sessions")).get_data(as_text=True)
    assert "Trusted browsers" in html
    assert "This browser" in html and "trusted until" in html
    assert "two-factor: app code" in html
    assert "/users/me/trusted-browsers/" in html


async def test_forgetting_a_browser_asks_it_for_the_code_again(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await trusted_sign_in(client, account, secret)
    (listed,) = await services.list_trusted_browsers(account.user.id, None)
    path = f"/users/me/trusted-browsers/{listed.id}/forget"
    assert (await client.post(path)).status_code == 400  # no CSRF token: nothing changes
    assert len(await services.list_trusted_browsers(account.user.id, None)) == 1
    response = await post_form(client, path, {}, form_page="/users/me/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/users/me/sessions"
    assert (await post_form(client, path, {}, form_page="/users/me/sessions")).status_code == 404
    await sign_out(client)
    assert (await sign_in_with_password(client, account)).headers["Location"] == STEP


async def test_nobody_forgets_someone_elses_browser(
    app: Quart, client: QuartClient, services: Services, account: Account
) -> None:

    secret, _ = await turn_on(services, account)
    await trusted_sign_in(client, account, secret)
    (listed,) = await services.list_trusted_browsers(account.user.id, None)
    bob = await new_account(services, "bob")
    other = app.test_client()
    await sign_in(other, bob.user.username)
    path = f"/users/me/trusted-browsers/{listed.id}/forget"
    assert (await post_form(other, path, {}, form_page="/users/me")).status_code == 404
    assert (await post_form(other, path + "x", {}, form_page="/users/me")).status_code == 404
    assert len(await services.list_trusted_browsers(account.user.id, None)) == 1


async def test_a_password_change_forgets_the_trusted_browsers(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await trusted_sign_in(client, account, secret)
    new = "an entirely different phrase"
    changed = await post_form(
        client,
        "/users/me/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert changed.status_code == 303
    assert await services.list_trusted_browsers(account.user.id, None) == []
    await sign_out(client)
    token = await csrf_token(client)
    response = await client.post(
        "/", form={"login": account.user.username, "password": new, "csrf_token": token}
    )
    assert response.headers["Location"] == STEP


async def test_sign_out_everywhere_else_forgets_them_and_says_so_first(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await trusted_sign_in(client, account, secret)
    page = await client.get("/users/me/sessions/revoke-others")
    assert page.status_code == 200  # one session, but a trusted browser to forget
    assert "every trusted browser, this one included" in await page.get_data(as_text=True)
    response = await post_form(
        client, "/users/me/sessions/revoke-others", {}, form_page="/users/me/sessions"
    )
    assert response.status_code == 303
    assert await services.list_trusted_browsers(account.user.id, None) == []
    assert (await client.get("/users/me")).status_code == 200  # this session stays
