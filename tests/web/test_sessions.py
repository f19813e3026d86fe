"""Server-side sessions: revocable keys in the cookie, and the sessions page."""

from __future__ import annotations

import re

from quart import Quart
from quart.testing import QuartClient

from application.commands import CreateUser
from application.services import Services
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
