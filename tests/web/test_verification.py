"""Verified addresses in the browser: registration mails a link, the link's page asks
before it verifies, the profile says whether the address is verified and sends the
link again (limited), and a used or altered link is a 400 page."""

from __future__ import annotations

import re
from pathlib import Path

from quart import Quart
from quart.testing import QuartClient

from application.commands import RegisterUser
from application.services import Services
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, AppMaker, Outbox, csrf_token, post_form, sign_in
from web.runtime import SERVICES

LINK = re.compile(r"https?://[^/\s]+(/verify-email/[^\s\"<]+)")


async def registered(services: Services) -> str:
    name = unique_name("ver")
    await services.register(
        RegisterUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    return name


async def link_in(outbox: Outbox, address: str) -> str:
    for message in reversed(await outbox.messages()):
        if message["To"].casefold() == address.casefold():
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            if found := LINK.search(body.get_content()):
                return found.group(1)
    raise AssertionError(f"no verification link was sent to {address}")


async def test_registration_mails_a_link_whose_page_asks_before_it_verifies(
    app: Quart, services: Services, outbox: Outbox
) -> None:
    name = await registered(services)
    link = await link_in(outbox, f"{name}@example.com")
    client = app.test_client()
    await sign_in(client, name)
    profile = await (await client.get("/users/me")).get_data(as_text=True)
    assert "not verified yet" in profile and "Send the link again" in profile

    page = await client.get(link)
    assert page.status_code == 200
    assert f"{name}@example.com" in await page.get_data(as_text=True)
    assert "not verified yet" in await (await client.get("/users/me")).get_data(as_text=True)

    assert (await client.post(link)).status_code == 400  # no CSRF token: nothing changes
    done = await post_form(client, link, {})
    assert done.status_code == 303 and done.headers["Location"] == "/users/me"
    profile = await (await client.get("/users/me")).get_data(as_text=True)
    assert "<dd>verified</dd>" in profile and "Send the link again" not in profile

    again = await post_form(client, link, {}, form_page="/users/me")
    assert again.status_code == 400
    assert "cannot be used" in await again.get_data(as_text=True)
    assert (await client.get(link)).status_code == 400


async def test_an_altered_or_made_up_link_is_a_400_page(
    app: Quart, outbox: Outbox, services: Services
) -> None:
    name = await registered(services)
    link = await link_in(outbox, f"{name}@example.com")
    client = app.test_client()
    for bad in (link[:-3] + "xyz", "/verify-email/garbage", "/verify-email/" + "a" * 600):
        response = await client.get(bad)
        assert response.status_code == 400, bad
        assert "cannot be used" in await response.get_data(as_text=True)


async def test_the_link_is_sent_again_on_request_a_few_times_an_hour(
    app: Quart, services: Services, outbox: Outbox
) -> None:
    name = await registered(services)
    client = app.test_client()
    await sign_in(client, name)
    flashes = []
    for _ in range(4):
        response = await post_form(client, "/users/me/verify-email", {}, form_page="/users/me")
        assert response.status_code == 303
        page = await (await client.get("/users/me")).get_data(as_text=True)
        flashes.append("We sent a new link" in page)
    assert flashes == [True, True, True, False]  # RESET_ADDRESS_LIMIT, per account
    assert len(await outbox.messages("Confirm your address")) == 3


async def test_a_verified_address_needs_no_new_link(as_admin: QuartClient, outbox: Outbox) -> None:
    profile = await (await as_admin.get("/users/me")).get_data(as_text=True)
    assert "<dd>verified</dd>" in profile  # an operator's account is verified at once
    response = await post_form(as_admin, "/users/me/verify-email", {}, form_page="/users/me")
    assert response.status_code == 303
    assert "verified already" in await (await as_admin.get("/users/me")).get_data(as_text=True)
    assert await outbox.messages("Confirm your address") == []


async def test_asking_again_needs_a_signed_in_session_and_the_csrf_token(
    client: QuartClient,
) -> None:
    response = await client.post(
        "/users/me/verify-email", form={"csrf_token": await csrf_token(client)}
    )
    assert response.status_code == 303 and response.headers["Location"].startswith("/?next=")


async def test_without_verification_no_link_is_sent_or_offered(
    make_app: AppMaker, tmp_path: Path
) -> None:
    async with make_app(EMAIL_VERIFICATION="none") as app:
        services: Services = app.extensions[SERVICES]
        name = await registered(services)
        client = app.test_client()
        await sign_in(client, name)
        profile = await (await client.get("/users/me")).get_data(as_text=True)
        welcome = await Outbox(tmp_path / "mail", services).messages()
    assert "Send the link again" not in profile
    assert len(welcome) == 1 and "/verify-email/" not in welcome[0].as_string()


async def test_an_unverified_account_sees_a_notice_on_its_pages_until_it_verifies(
    app: Quart, services: Services, outbox: Outbox
) -> None:
    name = await registered(services)
    client = app.test_client()
    await sign_in(client, name)
    members = await (await client.get("/users/")).get_data(as_text=True)
    assert 'class="notice"' in members and f"{name}@example.com" in members
    await post_form(client, await link_in(outbox, f"{name}@example.com"), {})
    members = await (await client.get("/users/")).get_data(as_text=True)
    assert 'class="notice"' not in members


async def test_an_unverified_address_cannot_turn_on_two_factor_or_add_a_passkey(
    app: Quart, services: Services
) -> None:
    name = await registered(services)
    client = app.test_client()
    await sign_in(client, name)
    setup = await client.get("/users/me/two-factor/")
    assert setup.status_code == 303 and setup.headers["Location"] == "/users/me"
    assert "Confirm your address first" in await (await client.get("/users/me")).get_data(
        as_text=True
    )
    token = await csrf_token(client, "/users/me/passkeys/")
    options = await client.post(
        "/users/me/passkeys/options", headers={"X-CSRFToken": token, "Accept": "application/json"}
    )
    assert options.status_code == 403
    assert (await options.get_json())["type"] == "/problems/email-not-verified"


async def test_with_verification_required_a_right_password_opens_no_session_until_verified(
    make_app: AppMaker, tmp_path: Path
) -> None:
    async with make_app(EMAIL_VERIFICATION="required") as app:
        services: Services = app.extensions[SERVICES]
        name = await registered(services)
        client = app.test_client()
        wrong = await post_form(client, "/", {"login": name, "password": "not the password"})
        assert wrong.status_code == 400  # nothing told before the password is right
        pending = await post_form(client, "/", {"login": name, "password": PASSWORD})
        assert pending.status_code == 403
        assert "Confirm your address first" in await pending.get_data(as_text=True)
        assert (await client.get("/users/me")).status_code == 303  # no session
        again = await post_form(client, "/verify-email/again", {})
        assert "We sent a new link" in await again.get_data(as_text=True)
        api = await app.test_client().post(
            "/api/v1/sessions", json={"login": name, "password": PASSWORD}
        )
        assert api.status_code == 403
        assert (await api.get_json())["type"] == "/problems/email-not-verified"
        box = Outbox(tmp_path / "mail", services)
        await post_form(client, await link_in(box, f"{name}@example.com"), {})
        signed_in = await post_form(client, "/", {"login": name, "password": PASSWORD})
        assert signed_in.status_code == 303
        assert (await client.get("/users/me")).status_code == 200


async def test_with_verification_required_registration_reveals_no_address(
    make_app: AppMaker, tmp_path: Path
) -> None:
    async with make_app(EMAIL_VERIFICATION="required") as app:
        services: Services = app.extensions[SERVICES]
        holder = await registered(services)
        answers = []
        for username, email in ((unique_name("new"), None), (unique_name("imp"), holder)):
            client = app.test_client()
            address = f"{email or username}@example.com"
            response = await post_form(
                client,
                "/register/",
                {"username": username, "email": address, "password": PASSWORD, "confirm": PASSWORD},
                form_page="/register/",
            )
            home = await (await client.get(response.headers["Location"])).get_data(as_text=True)
            answers.append((response.status_code, "Check your e-mail to finish" in home))
        assert answers == [(303, True), (303, True)]
        api = [
            await app.test_client().post(
                "/api/v1/users",
                json={"username": unique_name(prefix), "email": email, "password": PASSWORD},
            )
            for prefix, email in (
                ("apn", "brand.new@example.com"),
                ("api", f"{holder}@example.com"),
            )
        ]
        assert [response.status_code for response in api] == [202, 202]
        assert (await api[0].get_json()) == (await api[1].get_json())
        taken_name = await app.test_client().post(
            "/api/v1/users",
            json={"username": holder, "email": "other@example.com", "password": PASSWORD},
        )
        assert taken_name.status_code == 409  # usernames are public
        box = Outbox(tmp_path / "mail", services)
        tried = await box.messages("Someone tried to register with your address")
        assert [message["To"] for message in tried] == [f"{holder}@example.com"] * 2
