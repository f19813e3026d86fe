"""Until the code step has pages and routes, an account with two-factor on gets no
session from the sign-in page or the API, and says why; other accounts are untouched."""

from __future__ import annotations

from datetime import UTC, datetime

from quart.testing import QuartClient

from application.commands import ConfirmTwoFactor
from application.services import Services
from domain import totp, two_factor
from tests.web.conftest import PASSWORD, Account, post_form

API = "/api/v1"
AUTH_COOKIE = "gatehouse_auth"


async def turn_on(services: Services, account: Account) -> None:
    setup = await services.begin_two_factor_setup(account.user.id)
    code = totp.code_at(setup.secret, two_factor.step_of(datetime.now(UTC)))
    await services.confirm_two_factor_setup(ConfirmTwoFactor(user_id=account.user.id, code=code))


async def test_the_sign_in_page_opens_no_session_for_an_account_with_two_factor(
    client: QuartClient, services: Services, account: Account
) -> None:
    await turn_on(services, account)
    response = await post_form(client, "/", {"login": account.user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "second factor" in await response.get_data(as_text=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith(AUTH_COOKIE)]
    assert (await client.get("/users/")).status_code != 200


async def test_the_api_gives_no_token_to_an_account_with_two_factor(
    client: QuartClient, services: Services, account: Account
) -> None:
    await turn_on(services, account)
    response = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": PASSWORD}
    )
    body = await response.get_json()
    assert response.status_code == 401
    assert "token" not in body
    assert "second factor" in body["detail"]
