"""Server-side sessions: revocable keys in the cookie, and the sessions page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.services import Services
from infrastructure.db.tables import sessions
from tests.conftest import statements_on, unique_name
from tests.web.conftest import PASSWORD, Account, csrf_token, engine_of, post_form, sign_in

AUTH_COOKIE = "gatehouse_auth"
REVOKE_FORM = r'action="(/users/me/sessions/[0-9a-f-]+/revoke)"'


def auth_cookie(client: QuartClient) -> str:
    assert client.cookie_jar is not None
    return next(c.value for c in client.cookie_jar if c.name == AUTH_COOKIE)


async def signed_in_client(app: Quart, account: Account, *, agent: str = "pytest") -> QuartClient:
    client = app.test_client()
    token = await csrf_token(client)
    response = await client.post(
        "/",
        form={"login": account.user.username, "password": account.password, "csrf_token": token},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 303
    return client


async def test_a_cookie_copied_before_sign_out_no_longer_works(
    app: Quart, account: Account
) -> None:
    client = await signed_in_client(app, account)
    copied = auth_cookie(client)
    await post_form(client, "/logout/", {}, form_page="/logout/")

    thief = app.test_client()
    thief.set_cookie("localhost", AUTH_COOKIE, copied)
    response = await thief.get("/users/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/"


async def test_every_sign_in_gets_a_new_key(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    first = auth_cookie(client)
    await sign_in(client, account.user.username)
    assert auth_cookie(client) != first
    assert (await client.get("/users/")).status_code == 200


async def test_the_cookie_carries_no_user_id(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    payload = auth_cookie(client).split(".")[0]
    assert str(account.user.id) not in payload
    assert account.user.id.hex not in payload


async def test_the_sessions_page_lists_each_device_and_marks_this_one(
    app: Quart, account: Account
) -> None:
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
    await signed_in_client(app, account, agent=firefox)
    client = await signed_in_client(app, account, agent="curl/8.5.0")
    html = await (await client.get("/users/me/sessions")).get_data(as_text=True)
    assert "Firefox on Linux" in html
    assert html.count('class="badge">This device') == 1
    assert re.search(r"curl <span class=\"badge\">This device", html)
    assert html.count('/revoke"') == 2
    assert "Sign out everywhere else" in html


async def api_token(client: QuartClient, account: Account, agent: str) -> UUID:
    """Sign in through the API as a program sending ``agent``; the new session's id."""
    response = await client.post(
        "/api/v1/sessions",
        json={"login": account.user.username, "password": account.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 201
    return UUID((await response.get_json())["session_id"])


def session_labels(html: str) -> list[str]:
    """The name each row of the sessions page gives its session, in the page's order."""
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'<li class="member session.*?<strong>(.*?)</strong>', html, re.S)
    ]


async def test_api_tokens_are_labelled_with_the_program_that_asked_for_them(
    app: Quart, account: Account
) -> None:
    browser = await signed_in_client(app, account, agent="Mozilla/5.0 (X11; Linux) Firefox/130.0")
    await api_token(app.test_client(), account, "python-requests/2.31.0")
    await api_token(app.test_client(), account, "")
    html = await (await browser.get("/users/me/sessions")).get_data(as_text=True)
    assert sorted(session_labels(html)) == [
        "Firefox on Linux This device",
        "Unknown client API token",
        "python-requests/2.31.0 API token",
    ]
    assert html.count("until the browser closes") == 1, "only the browser's session says so"
    assert html.count("last used") == 2


async def test_this_device_comes_first_then_the_others_by_last_use_on_the_page_and_in_the_api(
    app: Quart, account: Account, web_engine: AsyncEngine
) -> None:
    used_long_ago = await api_token(app.test_client(), account, "first-program/1.0")
    me = await signed_in_client(app, account, agent="Mozilla/5.0 (X11; Linux) Firefox/130.0")
    used_lately = await api_token(app.test_client(), account, "second-program/1.0")
    # Both others were used after this device (which is touched at most once a minute).
    later = datetime.now(UTC) + timedelta(minutes=30)
    async with web_engine.begin() as connection:
        for session_id, seen in ((used_long_ago, later), (used_lately, later + timedelta(1))):
            await connection.execute(
                update(sessions).where(sessions.c.id == session_id).values(last_seen_at=seen)
            )
    html = await (await me.get("/users/me/sessions")).get_data(as_text=True)
    assert session_labels(html) == [
        "Firefox on Linux This device",
        "second-program/1.0 API token",
        "first-program/1.0 API token",
    ]
    listed = (await (await me.get("/api/v1/sessions")).get_json())["items"]
    assert [(item["user_agent"], item["current"], item["api_token"]) for item in listed] == [
        ("Mozilla/5.0 (X11; Linux) Firefox/130.0", True, False),
        ("second-program/1.0", False, True),
        ("first-program/1.0", False, True),
    ], "the API lists them in the same order"


async def test_revoking_another_session_signs_that_device_out(app: Quart, account: Account) -> None:
    laptop = await signed_in_client(app, account, agent="laptop")
    phone = await signed_in_client(app, account, agent="phone")
    page = await (await phone.get("/users/me/sessions")).get_data(as_text=True)
    token = await csrf_token(phone, "/users/me/sessions")
    forms = re.findall(REVOKE_FORM, page)
    current = re.search(r"This device.*?" + REVOKE_FORM, page, re.S)
    assert current
    other = next(path for path in forms if path != current.group(1))
    response = await phone.post(other, form={"csrf_token": token})
    assert response.status_code == 303
    assert (await laptop.get("/users/")).status_code == 303
    assert (await phone.get("/users/")).status_code == 200


async def test_sign_out_everywhere_else_keeps_only_this_session(
    app: Quart, account: Account
) -> None:
    others = [await signed_in_client(app, account, agent=f"device {n}") for n in range(3)]
    me = await signed_in_client(app, account)
    response = await post_form(
        me, "/users/me/sessions/revoke-others", {}, form_page="/users/me/sessions"
    )
    assert response.status_code == 303
    flash = await (await me.get("/users/me/sessions")).get_data(as_text=True)
    assert "Signed out 3 other sessions." in flash
    for other in others:
        assert (await other.get("/users/")).status_code == 303
    assert (await me.get("/users/")).status_code == 200


async def test_revoking_this_session_from_the_page_signs_out(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    page = await (await client.get("/users/me/sessions")).get_data(as_text=True)
    path = re.search(REVOKE_FORM, page)
    assert path
    token = await csrf_token(client, "/users/me/sessions")
    response = await client.post(path.group(1), form={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert (await client.get("/users/")).status_code == 303


async def test_someone_elses_session_cannot_be_revoked(
    app: Quart, account: Account, services: Services
) -> None:
    victim = await signed_in_client(app, account)
    page = await (await victim.get("/users/me/sessions")).get_data(as_text=True)
    path = re.search(REVOKE_FORM, page)
    assert path
    name = unique_name("mal")
    await services.create_user(
        CreateUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    attacker = app.test_client()
    await sign_in(attacker, name)
    token = await csrf_token(attacker, "/users/me/sessions")
    response = await attacker.post(path.group(1), form={"csrf_token": token})
    assert response.status_code == 404
    assert (await victim.get("/users/")).status_code == 200


async def test_revoking_needs_a_csrf_token(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    response = await client.post("/users/me/sessions/revoke-others")
    assert response.status_code == 400


async def test_a_malformed_session_id_is_a_404(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    token = await csrf_token(client, "/users/me/sessions")
    response = await client.post("/users/me/sessions/not-a-uuid/revoke", form={"csrf_token": token})
    assert response.status_code == 404


async def test_the_sessions_page_needs_sign_in(client: QuartClient) -> None:
    response = await client.get("/users/me/sessions")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/me/sessions"


async def test_signing_in_starts_a_new_csrf_secret(app: Quart, account: Account) -> None:
    client = app.test_client()
    before = await csrf_token(client)
    await client.post(
        "/",
        form={"login": account.user.username, "password": account.password, "csrf_token": before},
    )
    stale = await client.post("/logout/", form={"csrf_token": before})
    assert stale.status_code == 400
    assert (await client.get("/users/")).status_code == 200


async def test_a_signed_in_page_costs_one_query_for_the_session_and_user(
    app: Quart, account: Account
) -> None:
    client = await signed_in_client(app, account)
    with statements_on(engine_of(app)) as statements:
        response = await client.get("/about/")
    assert response.status_code == 200
    assert f"Signed in as <strong>{account.user.username}</strong>" in await response.get_data(
        as_text=True
    )
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


async def test_static_files_and_probes_cost_no_session_lookup(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    with statements_on(engine_of(app)) as statements:
        for path in ("/static/css/style.css", "/healthz"):
            assert (await client.get(path)).status_code == 200
    assert statements == []
    assert (await client.get("/users/")).status_code == 200  # still signed in
