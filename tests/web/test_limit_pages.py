"""What a 429 says: which limit, when to try again in words, and for a locked account the
way out (a new password by mail). The API says the same in its problem's detail."""

from __future__ import annotations

import re

from quart import Response
from quart.testing import QuartClient

from tests.conftest import unique_name
from tests.web.api_support import API, problem_of
from tests.web.conftest import PASSWORD, Account, AppMaker, post_form

RESET_LINK = '<a href="/reset-password/">Forgot your password?</a>'


async def text(response: Response) -> str:
    return re.sub(r"\s+", " ", await response.get_data(as_text=True))


async def said(response: Response) -> str:
    """What the page says, its markup left out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", await response.get_data(as_text=True)))


async def sign_in(client: QuartClient, login: str, password: str) -> Response:
    return await post_form(client, "/", {"login": login, "password": password})


async def test_a_locked_sign_in_says_how_long_to_wait_and_offers_a_new_password(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=2) as app:
        client = app.test_client()
        for _ in range(2):
            assert (await sign_in(client, account.user.username, "wrong")).status_code == 400
        locked = await sign_in(client, account.user.username, PASSWORD)
    page = await text(locked)
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "<h1>Too many attempts</h1>" in page
    assert (
        "Too many wrong passwords were tried for this account. Try again in about 15 minutes."
        in await said(locked)
    )
    assert '<p class="wait"><strong>Try again in about 15 minutes.</strong></p>' in page
    assert RESET_LINK in page


async def test_a_locked_current_password_check_offers_a_new_password_too(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=1) as app:
        client = app.test_client()
        assert (await sign_in(client, account.user.username, PASSWORD)).status_code == 303
        data = {"current_password": "wrong", "new_password": "x" * 12, "confirm": "x" * 12}
        statuses = []
        for _ in range(2):
            response = await post_form(client, "/users/me/password", data)
            statuses.append(response.status_code)
    assert statuses == [422, 429]
    assert "Try again in about 15 minutes." in await said(response)
    assert RESET_LINK in await text(response)


async def register(client: QuartClient, name: str, password: str = PASSWORD) -> Response:
    form = {"username": name, "email": f"{name}@example.com", "password": password}
    return await post_form(client, "/register/", {**form, "confirm": password})


async def reset(client: QuartClient, email: str) -> Response:
    return await post_form(client, "/reset-password/", {"email": email})


async def test_each_per_address_limit_says_which_it_is_and_when_to_try_again(
    make_app: AppMaker,
) -> None:
    async with make_app(
        SIGNIN_IP_LIMIT=1, REGISTER_IP_LIMIT=1, REGISTER_ATTEMPT_LIMIT=2, RESET_IP_LIMIT=1
    ) as app:
        client = app.test_client()
        await sign_in(client, "nobody", "wrong")
        sign_ins = await sign_in(client, "nobody", "wrong")
        await register(client, unique_name("new"))
        accounts = await register(client, unique_name("new"))
        attempts = await register(client, unique_name("typo"), "short")
        await reset(client, "someone@example.com")
        resets = await reset(client, "someone.else@example.com")
    expected = {
        "There have been too many sign-in attempts from your network. "
        "Try again in about a minute.": sign_ins,
        "Too many accounts have been created from your network. "
        "Try again in about an hour.": accounts,
        "There have been too many tries at creating an account from your network. "
        "Try again in about a minute.": attempts,
        "Too many password resets have been asked for from your network. "
        "Try again in about an hour.": resets,
    }
    for words, response in expected.items():
        page = await text(response)
        assert response.status_code == 429, words
        assert int(response.headers["Retry-After"]) > 0
        assert "<h1>Too many requests</h1>" in page
        assert words in await said(response), page
        assert RESET_LINK not in page  # a new password would not lift these


async def test_the_limit_on_every_request_says_when_to_try_again(make_app: AppMaker) -> None:
    async with make_app(REQUEST_IP_LIMIT=1) as app:
        client = app.test_client()
        await client.get("/about/")
        over = await client.get("/about/")
    assert over.status_code == 429
    assert (
        "You have sent a lot of requests in a short time. Try again in about a minute."
        in await said(over)
    )


async def test_too_many_reset_links_for_one_address_says_when_to_ask_again(
    make_app: AppMaker,
) -> None:
    async with make_app(RESET_ADDRESS_LIMIT=1) as app:
        client = app.test_client()
        assert (await reset(client, "someone@example.com")).status_code == 303
        over = await reset(client, "someone@example.com")
    page = await text(over)
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) > 0
    assert (
        "Too many reset links have been asked for this address. Try again in about an hour."
        in await said(over)
    )
    assert RESET_LINK not in page


async def test_the_api_keeps_retry_after_and_says_the_wait_in_its_detail(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=1, REGISTER_ATTEMPT_LIMIT=1) as app:
        client = app.test_client()
        wrong = {"login": account.user.username, "password": "wrong"}
        await client.post(f"{API}/sessions", json=wrong)
        locked = await client.post(f"{API}/sessions", json=wrong)
        await client.post(f"{API}/users", json={})
        attempts = await client.post(f"{API}/users", json={})
    lock = await problem_of(locked, 429, "/problems/too-many-attempts")
    assert lock["detail"] == (
        "Too many wrong passwords were tried for this account. Try again in about 15 minutes."
    )
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    limit = await problem_of(attempts, 429, "about:blank")
    assert limit["detail"] == (
        "There have been too many tries at creating an account from your network. "
        "Try again in about a minute."
    )
    assert int(attempts.headers["Retry-After"]) > 0


async def test_typos_never_lock_a_person_out_of_registering_within_the_attempt_limit(
    make_app: AppMaker, account: Account
) -> None:
    """Forms sent back with errors of every kind, then the right one: the account limit
    (one an hour here) counts only the account made."""
    name = unique_name("new")
    typos = [
        {"username": "x", "email": f"{name}@example.com", "password": PASSWORD},
        {"username": name, "email": "not an address", "password": PASSWORD},
        {"username": name, "email": f"{name}@example.com", "password": "short"},
        {"username": account.user.username, "email": f"{name}@example.com", "password": PASSWORD},
        {"username": name, "email": account.user.email, "password": PASSWORD},
    ]
    async with make_app(REGISTER_IP_LIMIT=1, REGISTER_ATTEMPT_LIMIT=len(typos) + 2) as app:
        client = app.test_client()
        statuses = []
        for form in typos:
            response = await post_form(client, "/register/", {**form, "confirm": form["password"]})
            statuses.append(response.status_code)
        mismatched = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        response = await post_form(client, "/register/", {**mismatched, "confirm": "other"})
        statuses.append(response.status_code)
        made = await register(client, name)
    assert statuses == [422] * (len(typos) + 1)
    assert made.status_code == 303


async def test_api_typos_never_lock_a_program_out_of_registering_within_the_attempt_limit(
    make_app: AppMaker, account: Account
) -> None:
    name = unique_name("new")
    good = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    typos = [{}, {**good, "password": "short"}, {**good, "username": account.user.username}]
    async with make_app(REGISTER_IP_LIMIT=1, REGISTER_ATTEMPT_LIMIT=len(typos) + 1) as app:
        client = app.test_client()
        statuses = [(await client.post(f"{API}/users", json=t)).status_code for t in typos]
        made = await client.post(f"{API}/users", json=good)
    assert statuses == [422, 422, 409]
    assert made.status_code == 201
