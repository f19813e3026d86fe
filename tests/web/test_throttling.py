"""Rate limits and sign-in throttling, each on an app with small limits of its own."""

from __future__ import annotations

from quart import Quart, Response, request
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import audit_events
from infrastructure.encryption import new_key
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, Account, AppMaker, csrf_token
from web.throttling import EXEMPT


async def attempt(client: QuartClient, login: str, password: str, **headers: str) -> Response:
    token = await csrf_token(client)
    return await client.post(
        "/", form={"login": login, "password": password, "csrf_token": token}, headers=headers
    )


async def test_sign_ins_beyond_the_per_address_limit_get_a_429_page_with_retry_after(
    make_app: AppMaker,
) -> None:
    async with make_app(SIGNIN_IP_LIMIT=3) as app:
        client = app.test_client()
        statuses = [
            (await attempt(client, "nobody", "wrong password")).status_code for _ in range(4)
        ]
        over = await attempt(client, "nobody", "wrong password")
    assert statuses == [400, 400, 400, 429]
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) > 0
    assert "Too many requests" in await over.get_data(as_text=True)


async def test_failed_sign_ins_lock_an_account_name_known_or_not_alike(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=3) as app:
        client = app.test_client()
        for login in (account.user.username, "no-such-person"):
            for _ in range(3):
                assert (await attempt(client, login, "wrong password")).status_code == 400
        known = await attempt(client, account.user.username.upper(), account.password)
        unknown = await attempt(client, "no-such-person", account.password)
    for response in (known, unknown):
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert await known.get_data(as_text=True) == await unknown.get_data(as_text=True)


async def test_successful_sign_ins_take_no_place_in_the_window(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=3) as app:
        client = app.test_client()
        for _ in range(2):
            await attempt(client, account.user.username, "wrong password")
        for _ in range(4):
            assert (
                await attempt(client, account.user.username, account.password)
            ).status_code == 303
        await attempt(client, account.user.username, "wrong password")
        assert (await attempt(client, account.user.username, account.password)).status_code == 429


async def register(client: QuartClient, name: str, password: str = PASSWORD) -> int:
    token = await csrf_token(client, "/register/")
    form = {"username": name, "email": f"{name}@example.com", "password": password}
    response = await client.post(
        "/register/", form={**form, "confirm": password, "csrf_token": token}
    )
    return response.status_code


async def test_registrations_count_accounts_made_not_forms_sent_back_with_errors(
    make_app: AppMaker,
) -> None:
    async with make_app(REGISTER_IP_LIMIT=2) as app:
        client = app.test_client()
        typos = [await register(client, unique_name("typo"), "short") for _ in range(5)]
        made = [await register(client, unique_name("new")) for _ in range(3)]
        form_page = await client.get("/register/")
    assert typos == [422] * 5
    assert made == [303, 303, 429]
    assert form_page.status_code == 200


async def test_a_registration_that_fails_gives_its_place_back(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(REGISTER_IP_LIMIT=1) as app:
        client = app.test_client()
        taken = await register(client, account.user.username)
        made = await register(client, unique_name("new"))
    assert (taken, made) == (422, 303)


async def test_registration_attempts_have_a_limit_of_their_own_per_minute(
    make_app: AppMaker,
) -> None:
    async with make_app(REGISTER_ATTEMPT_LIMIT=3) as app:
        client = app.test_client()
        statuses = [await register(client, unique_name("typo"), "short") for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


async def test_a_spoofed_x_forwarded_for_is_ignored_by_default(make_app: AppMaker) -> None:
    async with make_app(SIGNIN_IP_LIMIT=2) as app:
        client = app.test_client()
        statuses = [
            (await attempt(client, "x", "y", **{"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in range(3)
        ]
    assert statuses == [400, 400, 429]


async def test_with_a_trusted_proxy_each_forwarded_address_has_its_own_limit(
    make_app: AppMaker,
) -> None:
    async with make_app(SIGNIN_IP_LIMIT=2, TRUSTED_PROXY_HOPS=1) as app:
        client = app.test_client()
        spoofed_then_real = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
        first = [
            (await attempt(client, "x", "y", **spoofed_then_real)).status_code for _ in range(3)
        ]
        other = await attempt(client, "x", "y", **{"X-Forwarded-For": "203.0.113.10"})
    assert first == [400, 400, 429]
    assert other.status_code == 400


async def unlimited_routes(app: Quart) -> set[str]:
    """GET routes that still answer after their limit of 2 is spent, unless exempt."""
    paths = {
        rule.rule: rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and "<" not in rule.rule
    }
    assert set(paths.values()) >= {"public.home", "users.members", "health.alive"}
    unlimited = set()
    for path, endpoint in paths.items():
        client = app.test_client()
        statuses = [(await client.get(path)).status_code for _ in range(3)]
        if endpoint in EXEMPT:
            assert 429 not in statuses, path
        elif statuses[-1] != 429:
            unlimited.add(path)
    return unlimited


async def test_every_route_is_rate_limited_unless_listed_as_exempt(make_app: AppMaker) -> None:
    async with make_app(REQUEST_IP_LIMIT=2) as app:
        assert await unlimited_routes(app) == set()
        static = await app.test_client().get("/static/css/style.css")
    assert static.status_code == 200


async def test_the_route_check_finds_a_route_answered_before_its_limit(
    make_app: AppMaker,
) -> None:
    async def answer_early() -> str | None:
        return "planted" if request.path == "/planted/" else None

    async with make_app(REQUEST_IP_LIMIT=2) as app:
        app.add_url_rule("/planted/", "planted", answer_early)
        app.before_request_funcs.setdefault(None, []).insert(0, answer_early)
        assert await unlimited_routes(app) == {"/planted/"}


async def test_a_limited_response_says_where_its_tightest_limit_stands(
    make_app: AppMaker,
) -> None:
    async with make_app(REQUEST_IP_LIMIT=5, SIGNIN_IP_LIMIT=2) as app:
        client = app.test_client()
        page = await client.get("/about/")
        first = await attempt(client, "nobody", "wrong password")
        missing = await client.get("/no/such/page")
    assert (page.headers["RateLimit-Limit"], page.headers["RateLimit-Remaining"]) == ("5", "4")
    assert 0 < int(page.headers["RateLimit-Reset"]) <= 60
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("2", "1")
    assert "RateLimit-Limit" not in missing.headers


async def test_production_adds_hsts_and_secure_cookies(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(
        GATEHOUSE_ENV="production",
        SMTP_HOST="127.0.0.1",
        ALLOW_SQLITE_IN_PRODUCTION=True,
        ENCRYPTION_KEYS=new_key(),
    ) as app:
        client = app.test_client()
        page = await client.get("/", scheme="https")
        token = await csrf_token(client)
        response = await client.post(
            "/",
            form={
                "login": account.user.username,
                "password": account.password,
                "csrf_token": token,
            },
            scheme="https",
            headers={"Referer": "https://localhost/"},
        )
    assert "max-age=" in page.headers["Strict-Transport-Security"]
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("gatehouse_auth=", "gatehouse_session="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "Secure" in cookie, name
        assert "HttpOnly" in cookie, name
        assert "SameSite=Lax" in cookie, name


async def test_going_over_a_limit_is_audited_once_a_minute_not_once_a_request(
    make_app: AppMaker, web_engine: AsyncEngine
) -> None:
    async with make_app(REQUEST_IP_LIMIT=1) as app:
        client = app.test_client()
        statuses = [(await client.get("/about/")).status_code for _ in range(5)]
    assert statuses == [200, 429, 429, 429, 429]
    query = select(audit_events.c.event_type, audit_events.c.ip, audit_events.c.details)
    async with web_engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    assert [(row.event_type, row.ip) for row in rows] == [("RequestsThrottled", "127.0.0.1")]
    assert rows[0].details == {"endpoint": "public.about"}


async def test_wrong_current_passwords_count_toward_sign_in_throttling(
    make_app: AppMaker, account: Account
) -> None:
    async with make_app(SIGNIN_FAILURE_LIMIT=3) as app:
        client = app.test_client()
        assert (await attempt(client, account.user.username, account.password)).status_code == 303
        for _ in range(3):
            token = await csrf_token(client, "/users/me/password")
            wrong = {"current_password": "wrong", "new_password": "x" * 12, "confirm": "x" * 12}
            response = await client.post("/users/me/password", form={**wrong, "csrf_token": token})
            assert response.status_code == 422
        locked = await attempt(app.test_client(), account.user.username, account.password)
    assert locked.status_code == 429


async def test_reset_requests_are_limited_per_client_address(make_app: AppMaker) -> None:
    async with make_app(RESET_IP_LIMIT=2) as app:
        client = app.test_client()
        statuses = []
        for n in range(3):
            token = await csrf_token(client, "/reset-password/")
            email = f"someone{n}@example.com"
            response = await client.post(
                "/reset-password/", form={"email": email, "csrf_token": token}
            )
            statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
