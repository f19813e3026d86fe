"""The code step of signing in: a right password for an account with two-factor on leads
to /sign-in/two-factor/, a half-signed-in state that is no session, finished by a code
from the app or a recovery code. (The API's code step is in test_api_two_factor.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import ConfirmTwoFactor
from application.services import Services
from domain import totp, two_factor
from infrastructure.db.tables import sign_in_challenges
from tests.web.conftest import PASSWORD, Account, AppMaker, csrf_token, post_form

AUTH_COOKIE = "gatehouse_auth"
STEP = "/sign-in/two-factor/"


async def turn_on(services: Services, account: Account) -> tuple[str, list[str]]:
    """Two-factor on for ``account``: its secret and recovery codes. The current step's
    code is spent on the set-up, so a sign-in uses the next one (within the window)."""
    setup = await services.begin_two_factor_setup(account.user.id)
    code = totp.code_at(setup.secret, two_factor.step_of(datetime.now(UTC)))
    codes = await services.confirm_two_factor_setup(
        ConfirmTwoFactor(user_id=account.user.id, code=code)
    )
    return setup.secret, list(codes.codes)


def next_code(secret: str) -> str:
    return totp.code_at(secret, two_factor.step_of(datetime.now(UTC)) + 1)


def auth_cookies(response: Response) -> list[str]:
    headers = response.headers.getlist("Set-Cookie")
    return [c for c in headers if c.startswith(AUTH_COOKIE)]


async def password_step(
    client: QuartClient, account: Account, *, next_target: str | None = None, **extra: str
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/",
        query_string={"next": next_target} if next_target else None,
        form={"login": account.user.username, "password": PASSWORD, "csrf_token": token, **extra},
    )
    assert response.status_code == 303
    expected = STEP + (f"?next={next_target}" if next_target else "")
    assert response.headers["Location"] == expected
    assert not auth_cookies(response)


async def code_step(client: QuartClient, code: str, *, query: str = "") -> Response:
    return await post_form(client, STEP + query, {"code": code}, form_page=STEP + query)


async def test_a_right_password_leads_to_the_code_step_and_no_session(
    client: QuartClient, services: Services, account: Account
) -> None:
    await turn_on(services, account)
    await password_step(client, account)
    page = await client.get(STEP)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    for signed_in_page in ("/users/", "/users/me", "/users/me/two-factor/"):
        response = await client.get(signed_in_page)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/?next=")


async def test_the_session_cookie_holds_the_token_not_the_state(
    client: QuartClient, services: Services, account: Account, web_engine: AsyncEngine
) -> None:
    await turn_on(services, account)
    await password_step(client, account)
    async with web_engine.connect() as conn:
        rows = (await conn.execute(sign_in_challenges.select())).all()
    assert len(rows) == 1  # the half-signed-in state is on the server


async def test_without_a_password_step_the_code_step_sends_to_sign_in(
    client: QuartClient,
) -> None:
    response = await client.get(STEP, query_string={"next": "/users/me"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/me"
    token = await csrf_token(client)
    posted = await client.post(STEP, form={"code": "123456", "csrf_token": token})
    assert posted.status_code == 303
    assert posted.headers["Location"] == "/"


async def test_a_right_code_starts_the_session_and_follows_next(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account, next_target="/users/me")
    response = await code_step(client, next_code(secret), query="?next=/users/me")
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/me"
    cookie = auth_cookies(response)
    assert cookie and "Expires" not in cookie[0]  # not asked to be kept
    assert (await client.get("/users/me")).status_code == 200


async def test_next_off_this_site_is_not_followed(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account)
    response = await code_step(client, next_code(secret), query="?next=//evil.example/")
    assert response.headers["Location"] == "/users/"


async def test_keep_me_signed_in_is_carried_over(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account, remember="on")
    response = await code_step(client, next_code(secret))
    cookie = auth_cookies(response)
    assert cookie and "Expires" in cookie[0]


async def test_missing_short_non_digit_and_wrong_codes_show_the_form_again(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account)
    wrong = str((int(next_code(secret)) + 1) % 1_000_000).zfill(6)
    for code, status in (("", 422), ("12", 400), ("abcdef", 400), (wrong, 400), ("9" * 99, 422)):
        response = await code_step(client, code)
        html = await response.get_data(as_text=True)
        assert response.status_code == status, code
        assert 'aria-invalid="true"' in html
        assert not auth_cookies(response)
    right = await code_step(client, next_code(secret))  # the challenge still stands
    assert right.status_code == 303


async def test_a_code_is_accepted_once(
    client: QuartClient, app: Quart, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    code = next_code(secret)
    await password_step(client, account)
    assert (await code_step(client, code)).status_code == 303
    other = app.test_client()
    await password_step(other, account)
    replay = await code_step(other, code)
    assert replay.status_code == 400
    assert "code is not right" in await replay.get_data(as_text=True)


async def test_a_recovery_code_works_once(
    client: QuartClient, app: Quart, services: Services, account: Account
) -> None:
    _, codes = await turn_on(services, account)
    await password_step(client, account)
    assert (await code_step(client, codes[0])).status_code == 303
    other = app.test_client()
    await password_step(other, account)
    again = await code_step(other, codes[0])
    assert again.status_code == 400
    assert (await code_step(other, codes[1])).status_code == 303  # an unused one still works


async def test_an_expired_challenge_sends_back_to_sign_in_with_a_message(
    client: QuartClient, services: Services, account: Account, web_engine: AsyncEngine
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account, next_target="/users/me")
    async with web_engine.begin() as conn:
        await conn.execute(
            update(sign_in_challenges).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = await code_step(client, next_code(secret), query="?next=/users/me")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/me"
    home = await (await client.get("/")).get_data(as_text=True)
    assert "Your sign-in has expired" in home
    assert (await client.get(STEP)).status_code == 303  # the token is gone too


async def test_a_used_challenge_cannot_sign_in_again(
    client: QuartClient, services: Services, account: Account, web_engine: AsyncEngine
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account)
    async with web_engine.begin() as conn:
        await conn.execute(update(sign_in_challenges).values(used_at=datetime.now(UTC)))
    response = await code_step(client, next_code(secret))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert not auth_cookies(response)


async def test_the_code_step_needs_the_csrf_token(
    client: QuartClient, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    await password_step(client, account)
    response = await client.post(STEP, form={"code": next_code(secret)})
    assert response.status_code == 400
    assert not auth_cookies(response)


async def test_wrong_codes_lock_the_account_with_the_429_page(
    make_app: AppMaker, services: Services, account: Account
) -> None:
    secret, _ = await turn_on(services, account)
    async with make_app(SIGNIN_FAILURE_LIMIT=2) as app:
        client = app.test_client()
        await password_step(client, account)
        statuses = [(await code_step(client, "000000x")).status_code for _ in range(2)]
        locked = await code_step(client, next_code(secret))
    assert statuses == [400, 400]
    assert locked.status_code == 429
    assert "Too many" in await locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0
    assert not auth_cookies(locked)
