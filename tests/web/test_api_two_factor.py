"""The two-factor parts of the JSON API: the code step of signing in, and set-up, status,
turning off and new recovery codes under /users/me/two-factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import totp, two_factor
from infrastructure.db.tables import sign_in_challenges
from tests.web.api_support import API, bearer, problem_of, secret_free, token_for
from tests.web.conftest import PASSWORD, Account, AppMaker, new_account

ME = f"{API}/users/me/two-factor"
AUTH_COOKIE = "gatehouse_auth"
REQUIRED = "/problems/two-factor-required"
INVALID_CODE = "/problems/invalid-code"
INVALID_CHALLENGE = "/problems/invalid-challenge"


@dataclass
class Enabled:
    token: str
    secret: str
    step: int  # the step of the code that turned it on (so already used)
    recovery_codes: list[str]

    def next_code(self) -> str:
        """A code not yet used: the step after the last accepted (inside the window)."""
        self.step += 1
        return totp.code_at(self.secret, self.step)


def now_step() -> int:
    return two_factor.step_of(datetime.now(UTC))


async def enable(client: QuartClient, account: Account) -> Enabled:
    """Turn two-factor on through the API, the way a program would."""
    token = (await token_for(client, account.user.username))["token"]
    setup = await secret_free(await client.post(f"{ME}/setup", headers=bearer(token)))
    step = now_step()
    confirm = await client.post(
        f"{ME}/confirm",
        json={"code": totp.code_at(setup["secret"], step)},
        headers=bearer(token),
    )
    body = await secret_free(confirm)
    return Enabled(token, setup["secret"], step, body["recovery_codes"])


async def challenge_of(client: QuartClient, login: str, **extra: Any) -> dict[str, Any]:
    """The 401 problem a right password gets for an account with two-factor on."""
    response = await client.post(
        f"{API}/sessions", json={"login": login, "password": PASSWORD, **extra}
    )
    return await problem_of(response, 401, REQUIRED)


async def second_step(client: QuartClient, challenge: str, code: str, **extra: Any) -> Any:
    body = {"challenge": challenge, "code": code, **extra}
    return await client.post(f"{API}/sessions/two-factor", json=body)


# The code step of signing in


async def test_a_right_password_gets_a_challenge_and_no_token(
    client: QuartClient, account: Account
) -> None:
    await enable(client, account)
    response = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": PASSWORD}
    )
    body = await problem_of(response, 401, REQUIRED)
    assert len(body["challenge"]) >= 40
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
    assert "token" not in body
    assert not [c for c in response.headers.getlist("Set-Cookie") if AUTH_COOKIE in c]


async def test_a_wrong_password_still_gets_the_plain_400(
    client: QuartClient, account: Account
) -> None:
    await enable(client, account)
    response = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": "not it at all"}
    )
    body = await problem_of(response, 400, "/problems/invalid-credentials")
    assert "challenge" not in body


async def test_the_challenge_and_a_code_give_a_token_like_a_password_sign_in(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    token = await secret_free(await second_step(client, challenge, enabled.next_code()))
    assert set(token) == {"token", "token_type", "session_id", "expires_at", "user"}
    assert token["user"]["username"] == account.user.username
    me = await client.get(f"{API}/users/me", headers=bearer(token["token"]))
    assert me.status_code == 200


async def test_the_cookie_option_sets_the_session_cookie(
    app: Any, client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    browser = app.test_client()
    challenge = (await challenge_of(browser, account.user.username))["challenge"]
    response = await second_step(browser, challenge, enabled.next_code(), cookie=True)
    assert response.status_code == 201
    assert [c for c in response.headers.getlist("Set-Cookie") if c.startswith(AUTH_COOKIE)]
    assert (await browser.get(f"{API}/users/me")).status_code == 200


async def test_without_the_cookie_option_no_cookie_is_set(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    response = await second_step(client, challenge, enabled.next_code())
    assert response.status_code == 201
    assert not [c for c in response.headers.getlist("Set-Cookie") if AUTH_COOKIE in c]


async def test_a_challenge_works_once(client: QuartClient, account: Account) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    first = await second_step(client, challenge, enabled.recovery_codes[0])
    assert first.status_code == 201
    again = await second_step(client, challenge, enabled.recovery_codes[1])
    await problem_of(again, 401, INVALID_CHALLENGE)


async def test_a_wrong_code_is_a_400_and_the_challenge_stays_usable(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    wrong = totp.code_at(enabled.secret, enabled.step + 20)
    body = await problem_of(await second_step(client, challenge, wrong), 400, INVALID_CODE)
    assert "token" not in body
    assert (await second_step(client, challenge, enabled.next_code())).status_code == 201


async def test_a_code_from_the_app_is_accepted_once(client: QuartClient, account: Account) -> None:
    enabled = await enable(client, account)
    code = enabled.next_code()
    first = (await challenge_of(client, account.user.username))["challenge"]
    assert (await second_step(client, first, code)).status_code == 201
    second = (await challenge_of(client, account.user.username))["challenge"]
    await problem_of(await second_step(client, second, code), 400, INVALID_CODE)


async def test_the_code_that_turned_it_on_cannot_sign_in(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    used = totp.code_at(enabled.secret, enabled.step)
    await problem_of(await second_step(client, challenge, used), 400, INVALID_CODE)


async def test_a_recovery_code_works_once_ever(client: QuartClient, account: Account) -> None:
    enabled = await enable(client, account)
    code = enabled.recovery_codes[3]
    first = (await challenge_of(client, account.user.username))["challenge"]
    typed = code.upper().replace("-", " ")  # dashes, spaces and case do not matter
    assert (await second_step(client, first, typed)).status_code == 201
    second = (await challenge_of(client, account.user.username))["challenge"]
    await problem_of(await second_step(client, second, code), 400, INVALID_CODE)
    status = await secret_free(await client.get(ME, headers=bearer(enabled.token)))
    assert status["recovery_codes_left"] == 9


async def test_someone_elses_code_does_not_finish_a_challenge(
    services: Any, client: QuartClient, account: Account
) -> None:
    mine = await enable(client, account)
    other = await new_account(services, "bob")
    theirs = await enable(client, other)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    for code in (theirs.next_code(), theirs.recovery_codes[0]):
        await problem_of(await second_step(client, challenge, code), 400, INVALID_CODE)
    token = await secret_free(await second_step(client, challenge, mine.next_code()))
    assert token["user"]["username"] == account.user.username


async def test_an_expired_challenge_is_refused(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with web_engine.begin() as connection:
        await connection.execute(update(sign_in_challenges).values(expires_at=past))
    response = await second_step(client, challenge, enabled.next_code())
    body = await problem_of(response, 401, INVALID_CHALLENGE)
    assert "password" in body["detail"]


async def test_an_unknown_challenge_is_refused(client: QuartClient, account: Account) -> None:
    enabled = await enable(client, account)
    await challenge_of(client, account.user.username)
    response = await second_step(client, "not-a-challenge-we-gave", enabled.next_code())
    await problem_of(response, 401, INVALID_CHALLENGE)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"challenge": "c"}, "code"),
        ({"code": "123456"}, "challenge"),
        ({"challenge": "", "code": "123456"}, "challenge"),
        ({"challenge": "c", "code": ""}, "code"),
        ({"challenge": "c", "code": "12345"}, "code"),
        ({"challenge": "c", "code": "1" * 65}, "code"),
        ({"challenge": "c", "code": 123456}, "code"),
        ({"challenge": "c", "code": "123456", "remember": True}, "remember"),
    ],
)
async def test_bad_bodies_for_the_code_step_name_the_field(
    client: QuartClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{API}/sessions/two-factor", json=body)
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field in {item["field"] for item in problem["errors"]}


@pytest.mark.parametrize("code", ["abcdef", "12345a", "１２３４５６", "1234567"])
async def test_codes_that_are_not_six_digits_or_a_recovery_code_are_wrong_codes(
    client: QuartClient, account: Account, code: str
) -> None:
    enabled = await enable(client, account)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    await problem_of(await second_step(client, challenge, code), 400, INVALID_CODE)
    assert (await second_step(client, challenge, enabled.next_code())).status_code == 201


async def test_wrong_codes_lock_the_account_like_wrong_passwords(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=3) as app:
        client = app.test_client()
        enabled = await enable(client, account)
        challenge = (await challenge_of(client, account.user.username))["challenge"]
        for n in range(3):
            wrong = totp.code_at(enabled.secret, enabled.step + 10 + n)
            await problem_of(await second_step(client, challenge, wrong), 400, INVALID_CODE)
        locked = await second_step(client, challenge, enabled.next_code())
        await problem_of(locked, 429, "/problems/too-many-attempts")
        assert int(locked.headers["Retry-After"]) > 0
        wrong_password = await client.post(
            f"{API}/sessions", json={"login": account.user.username, "password": "nope nope"}
        )
        assert wrong_password.status_code == 429


# Status, set-up and confirmation


async def test_every_two_factor_route_needs_a_signed_in_account(client: QuartClient) -> None:
    calls = [
        ("GET", ME, None),
        ("POST", f"{ME}/setup", None),
        ("POST", f"{ME}/confirm", {"code": "123456"}),
        ("POST", f"{ME}/disable", {"password": PASSWORD, "code": "123456"}),
        ("POST", f"{ME}/recovery-codes", {"password": PASSWORD}),
    ]
    for method, path, body in calls:
        await problem_of(await client.open(path, method=method, json=body), 401)


async def test_status_says_off_then_on_with_ten_codes_left(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    off = await secret_free(await client.get(ME, headers=bearer(token)))
    assert off == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    enabled = await enable(client, account)
    on = await secret_free(await client.get(ME, headers=bearer(enabled.token)))
    assert on["enabled"] is True
    assert on["recovery_codes_left"] == 10
    assert datetime.fromisoformat(on["enabled_at"]) <= datetime.now(UTC)


async def test_setup_gives_an_otpauth_uri_and_its_key_and_changes_nothing_yet(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(f"{ME}/setup", headers=bearer(token))
    assert response.status_code == 201
    setup = await response.get_json()
    assert setup["otpauth_uri"].startswith(f"otpauth://totp/Gatehouse:{account.user.username}?")
    assert f"secret={setup['secret']}" in setup["otpauth_uri"]
    assert "issuer=Gatehouse" in setup["otpauth_uri"]
    expires = datetime.fromisoformat(setup["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    assert (await token_for(client, account.user.username))["token"]
    status = await secret_free(await client.get(ME, headers=bearer(token)))
    assert status["enabled"] is False


async def test_a_second_setup_replaces_the_first_key(client: QuartClient, account: Account) -> None:
    token = (await token_for(client, account.user.username))["token"]
    first = await (await client.post(f"{ME}/setup", headers=bearer(token))).get_json()
    second = await (await client.post(f"{ME}/setup", headers=bearer(token))).get_json()
    assert first["secret"] != second["secret"]
    old = {"code": totp.code_at(first["secret"], now_step())}
    await problem_of(await client.post(f"{ME}/confirm", json=old, headers=bearer(token)), 400)
    new = {"code": totp.code_at(second["secret"], now_step())}
    assert (await client.post(f"{ME}/confirm", json=new, headers=bearer(token))).status_code == 200


async def test_confirm_gives_ten_distinct_recovery_codes_once(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    assert len(set(enabled.recovery_codes)) == 10
    again = await client.post(
        f"{ME}/confirm", json={"code": enabled.next_code()}, headers=bearer(enabled.token)
    )
    await problem_of(again, 409, "/problems/two-factor-already-enabled")
    setup = await client.post(f"{ME}/setup", headers=bearer(enabled.token))
    await problem_of(setup, 409, "/problems/two-factor-already-enabled")


async def test_a_wrong_confirmation_code_leaves_two_factor_off(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    setup = await (await client.post(f"{ME}/setup", headers=bearer(token))).get_json()
    wrong = {"code": totp.code_at(setup["secret"], now_step() + 5)}
    confirm = await client.post(f"{ME}/confirm", json=wrong, headers=bearer(token))
    await problem_of(confirm, 400, INVALID_CODE)
    assert (await token_for(client, account.user.username))["token"]


async def test_confirm_without_a_setup_says_it_expired(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    confirm = await client.post(f"{ME}/confirm", json={"code": "123456"}, headers=bearer(token))
    await problem_of(confirm, 400, "/problems/setup-expired")


@pytest.mark.parametrize(
    "body", [{}, {"code": ""}, {"code": "12345"}, {"code": "1234567"}, {"code": "12a456"}]
)
async def test_confirm_takes_six_digits_only(
    client: QuartClient, account: Account, body: dict[str, Any]
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    await client.post(f"{ME}/setup", headers=bearer(token))
    response = await client.post(f"{ME}/confirm", json=body, headers=bearer(token))
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert {item["field"] for item in problem["errors"]} == {"code"}


# Turning off, and new recovery codes


async def test_disable_with_password_and_code_signs_in_with_the_password_alone_again(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    body = {"password": PASSWORD, "code": enabled.next_code()}
    response = await client.post(f"{ME}/disable", json=body, headers=bearer(enabled.token))
    assert response.status_code == 204
    assert (await token_for(client, account.user.username))["token"]
    status = await secret_free(await client.get(ME, headers=bearer(enabled.token)))
    assert status["enabled"] is False


async def test_disable_takes_a_recovery_code(client: QuartClient, account: Account) -> None:
    enabled = await enable(client, account)
    body = {"password": PASSWORD, "code": enabled.recovery_codes[0]}
    response = await client.post(f"{ME}/disable", json=body, headers=bearer(enabled.token))
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("password", "code", "type_"),
    [
        ("not the password", "right", "/problems/invalid-credentials"),
        (PASSWORD, "far", INVALID_CODE),
        (PASSWORD, "abcdef", INVALID_CODE),
    ],
)
async def test_disable_with_a_wrong_password_or_code_leaves_it_on(
    client: QuartClient, account: Account, password: str, code: str, type_: str
) -> None:
    enabled = await enable(client, account)
    typed = {
        "right": enabled.next_code(),
        "far": totp.code_at(enabled.secret, enabled.step + 20),
    }.get(code, code)
    body = {"password": password, "code": typed}
    response = await client.post(f"{ME}/disable", json=body, headers=bearer(enabled.token))
    await problem_of(response, 400, type_)
    status = await secret_free(await client.get(ME, headers=bearer(enabled.token)))
    assert status["enabled"] is True


async def test_disable_when_off_is_a_conflict(client: QuartClient, account: Account) -> None:
    token = (await token_for(client, account.user.username))["token"]
    body = {"password": PASSWORD, "code": "123456"}
    response = await client.post(f"{ME}/disable", json=body, headers=bearer(token))
    await problem_of(response, 409, "/problems/two-factor-not-enabled")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "123456"}, "password"),
        ({"password": PASSWORD}, "code"),
        ({"password": PASSWORD, "code": "123"}, "code"),
        ({"password": "", "code": "123456"}, "password"),
    ],
)
async def test_disable_bodies_missing_a_part_name_it(
    client: QuartClient, account: Account, body: dict[str, Any], field: str
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(f"{ME}/disable", json=body, headers=bearer(token))
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field in {item["field"] for item in problem["errors"]}


async def test_new_recovery_codes_replace_every_old_one(
    client: QuartClient, account: Account
) -> None:
    enabled = await enable(client, account)
    response = await client.post(
        f"{ME}/recovery-codes", json={"password": PASSWORD}, headers=bearer(enabled.token)
    )
    fresh = (await secret_free(response))["recovery_codes"]
    assert len(fresh) == 10
    assert not set(fresh) & set(enabled.recovery_codes)
    challenge = (await challenge_of(client, account.user.username))["challenge"]
    await problem_of(await second_step(client, challenge, enabled.recovery_codes[0]), 400)
    assert (await second_step(client, challenge, fresh[0])).status_code == 201


async def test_new_recovery_codes_need_the_password_and_two_factor_on(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    off = await client.post(
        f"{ME}/recovery-codes", json={"password": PASSWORD}, headers=bearer(token)
    )
    await problem_of(off, 409, "/problems/two-factor-not-enabled")
    enabled = await enable(client, account)
    wrong = await client.post(
        f"{ME}/recovery-codes", json={"password": "nope nope"}, headers=bearer(enabled.token)
    )
    await problem_of(wrong, 400, "/problems/invalid-credentials")
    empty = await client.post(f"{ME}/recovery-codes", json={}, headers=bearer(enabled.token))
    problem = await problem_of(empty, 422)
    assert {item["field"] for item in problem["errors"]} == {"password"}
