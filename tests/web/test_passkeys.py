"""Passkey pages, answered by a software authenticator with real keys: adding one on
/users/me/passkeys/, signing in with it from the home page, giving it as the second step,
renaming and removing it; every malformed, forged or replayed answer a 4xx page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quart import Quart, Response
from quart.testing import QuartClient

from application.services import Services
from tests.soft_authenticator import SoftAuthenticator
from tests.web.conftest import PASSWORD, Account, Outbox, csrf_token, new_account, post_form
from tests.web.test_two_factor_sign_in import STEP, password_step, turn_on

PAGE = "/users/me/passkeys/"
RP_ID, ORIGIN = "localhost", "http://localhost:8000"


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


async def options(client: QuartClient, path: str, form_page: str = "/") -> Response:
    token = await csrf_token(client, form_page)
    return await client.post(path, headers={"X-CSRFToken": token, "Accept": "application/json"})


async def public_key(client: QuartClient, path: str, form_page: str = "/") -> dict[str, Any]:
    response = await options(client, path, form_page)
    assert response.status_code == 200, await response.get_data(as_text=True)
    found: dict[str, Any] = (await response.get_json())["publicKey"]
    return found


async def add(
    client: QuartClient, device: SoftAuthenticator, name: str = "Laptop", **tamper: Any
) -> Response:
    wanted = await public_key(client, f"{PAGE}options", PAGE)
    answer = json.dumps(device.create(wanted, **tamper))
    return await post_form(client, PAGE, {"name": name, "answer": answer})


async def passkey_sign_in(
    client: QuartClient, device: SoftAuthenticator, **tamper: Any
) -> Response:
    wanted = await public_key(client, "/sign-in/passkey/options")
    answer = json.dumps(device.get(wanted, **tamper))
    return await post_form(client, "/sign-in/passkey", {"answer": answer})


async def test_the_options_need_the_csrf_token_and_name_this_site(
    as_member: QuartClient, account: Account
) -> None:
    refused = await as_member.post(f"{PAGE}options", headers={"Accept": "application/json"})
    assert refused.status_code == 400
    wanted = await public_key(as_member, f"{PAGE}options", PAGE)
    assert wanted["rp"]["id"] == RP_ID and wanted["user"]["name"] == account.user.username
    assert wanted["authenticatorSelection"]["residentKey"] == "required"


async def test_a_passkey_is_added_listed_and_mailed_about(
    as_member: QuartClient, device: SoftAuthenticator, account: Account, outbox: Outbox
) -> None:
    response = await add(as_member, device, name="Work laptop")
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    page = await (await as_member.get(PAGE)).get_data(as_text=True)
    assert 'value="Work laptop"' in page and "Built into a device" in page
    assert "js/passkeys" in page and 'data-passkey="register"' in page
    (mail,) = await outbox.messages("A passkey was added to your account")
    assert mail["To"] == account.user.email
    again = await public_key(as_member, f"{PAGE}options", PAGE)
    assert len(again["excludeCredentials"]) == 1


@pytest.mark.parametrize(
    "answer", ["", "not json", "[1, 2]", '"text"', "{}", "x" * 20_000, '{"response": 5}']
)
async def test_an_unreadable_answer_is_a_400_page_and_adds_nothing(
    as_member: QuartClient, services: Services, account: Account, answer: str
) -> None:
    await public_key(as_member, f"{PAGE}options", PAGE)
    response = await post_form(as_member, PAGE, {"name": "x", "answer": answer})
    assert response.status_code == 400
    assert "could not" in await response.get_data(as_text=True)
    assert await services.list_passkeys(account.user.id) == []


@pytest.mark.parametrize("tamper", [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}])
async def test_a_passkey_made_for_another_site_is_refused(
    as_member: QuartClient,
    services: Services,
    account: Account,
    device: SoftAuthenticator,
    tamper: dict[str, str],
) -> None:
    response = await add(as_member, device, **tamper)
    assert response.status_code == 400
    assert await services.list_passkeys(account.user.id) == []


async def test_a_name_over_sixty_characters_is_refused(
    as_member: QuartClient, device: SoftAuthenticator
) -> None:
    response = await add(as_member, device, name="x" * 61)
    assert response.status_code == 422
    assert "at most 60" in await response.get_data(as_text=True)


async def test_a_passkey_signs_in_from_the_home_page_without_a_name(
    app: Quart, as_member: QuartClient, device: SoftAuthenticator
) -> None:
    await add(as_member, device)
    home = await (await app.test_client().get("/")).get_data(as_text=True)
    assert "Sign in with a passkey" in home and 'data-passkey="sign-in"' in home
    visitor = app.test_client()
    response = await passkey_sign_in(visitor, device)
    assert response.status_code == 303 and response.headers["Location"] == "/users/"
    sessions = await (await visitor.get("/users/me/sessions")).get_data(as_text=True)
    assert "signed in with a passkey" in sessions


async def test_a_replayed_or_forged_sign_in_is_refused(
    app: Quart, as_member: QuartClient, device: SoftAuthenticator
) -> None:
    await add(as_member, device)
    visitor = app.test_client()
    wanted = await public_key(visitor, "/sign-in/passkey/options")
    answer = json.dumps(device.get(wanted))
    assert (await post_form(visitor, "/sign-in/passkey", {"answer": answer})).status_code == 303
    other = app.test_client()
    replay = await post_form(other, "/sign-in/passkey", {"answer": answer})
    assert replay.status_code == 400
    assert "sent twice" in await replay.get_data(as_text=True)
    for tamper in ({"bad_signature": True}, {"origin": "https://evil.example"}):
        forged = await passkey_sign_in(app.test_client(), device, **tamper)
        assert forged.status_code == 400


async def test_an_unknown_passkey_signs_nobody_in(app: Quart) -> None:
    stranger = SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)
    stranger.user_handle = b"u" * 16
    response = await passkey_sign_in(app.test_client(), stranger)
    assert response.status_code == 400
    assert "could not be used" in await response.get_data(as_text=True)


async def test_a_passkey_is_the_second_step_in_place_of_a_code(
    app: Quart,
    services: Services,
    account: Account,
    as_member: QuartClient,
    device: SoftAuthenticator,
) -> None:
    await add(as_member, device)
    await turn_on(services, account)
    client = app.test_client()
    await password_step(client, account)
    page = await (await client.get(STEP)).get_data(as_text=True)
    assert "Use a passkey instead" in page
    wanted = await public_key(client, "/sign-in/two-factor/passkey/options", STEP)
    assert len(wanted["allowCredentials"]) == 1
    answer = json.dumps(device.get(wanted))
    response = await post_form(
        client, "/sign-in/two-factor/passkey", {"answer": answer, "trust": "on"}, form_page=STEP
    )
    assert response.status_code == 303 and response.headers["Location"] == "/users/"
    assert any(c.startswith("gatehouse_trusted=") for c in response.headers.getlist("Set-Cookie"))
    assert (await client.get("/users/me")).status_code == 200


async def test_the_second_step_without_a_password_step_is_refused(app: Quart) -> None:
    client = app.test_client()
    response = await options(client, "/sign-in/two-factor/passkey/options")
    assert response.status_code == 401
    posted = await post_form(client, "/sign-in/two-factor/passkey", {"answer": "{}"})
    assert posted.status_code == 303 and posted.headers["Location"] == "/"


async def test_an_account_without_passkeys_is_told_to_use_a_code(
    app: Quart, services: Services, account: Account
) -> None:
    await turn_on(services, account)
    client = app.test_client()
    await password_step(client, account)
    response = await options(client, "/sign-in/two-factor/passkey/options", STEP)
    assert response.status_code == 400
    assert "no passkey" in (await response.get_json())["detail"]


async def test_renaming_and_removing_with_the_password(
    app: Quart,
    as_member: QuartClient,
    services: Services,
    account: Account,
    device: SoftAuthenticator,
    outbox: Outbox,
) -> None:
    await add(as_member, device)
    (passkey,) = await services.list_passkeys(account.user.id)
    renamed = await post_form(
        as_member, f"{PAGE}{passkey.id}/rename", {"name": "Phone"}, form_page=PAGE
    )
    assert renamed.status_code == 303
    assert (await services.list_passkeys(account.user.id))[0].name == "Phone"

    path = f"{PAGE}{passkey.id}/remove"
    assert "Remove “Phone”?" in await (await as_member.get(path)).get_data(as_text=True)
    wrong = await post_form(as_member, path, {"password": "not my password"})
    assert wrong.status_code == 400
    assert len(await services.list_passkeys(account.user.id)) == 1
    done = await post_form(as_member, path, {"password": PASSWORD})
    assert done.status_code == 303
    assert await services.list_passkeys(account.user.id) == []
    assert await outbox.messages("A passkey was removed from your account")
    assert (await passkey_sign_in(app.test_client(), device)).status_code == 400
    assert (await as_member.get(path)).status_code == 404


async def test_nobody_renames_or_removes_someone_elses_passkey(
    app: Quart,
    as_member: QuartClient,
    services: Services,
    account: Account,
    device: SoftAuthenticator,
) -> None:
    await add(as_member, device)
    (passkey,) = await services.list_passkeys(account.user.id)
    bob = await new_account(services, "bob")
    other = app.test_client()
    await post_form(other, "/", {"login": bob.user.username, "password": PASSWORD})
    path = f"{PAGE}{passkey.id}"
    assert (await other.get(f"{path}/remove")).status_code == 404
    assert (
        await post_form(other, f"{path}/remove", {"password": PASSWORD}, form_page=PAGE)
    ).status_code == 404
    assert (
        await post_form(other, f"{path}/rename", {"name": "mine"}, form_page=PAGE)
    ).status_code == 404
    assert (await services.list_passkeys(account.user.id))[0].name == "Laptop"


async def test_signed_out_visitors_are_sent_to_sign_in(client: QuartClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 303 and response.headers["Location"] == f"/?next={PAGE}"


async def test_removal_can_be_confirmed_with_a_passkey_instead_of_the_password(
    as_member: QuartClient, services: Services, account: Account, device: SoftAuthenticator
) -> None:
    await add(as_member, device)
    (passkey,) = await services.list_passkeys(account.user.id)
    path = f"{PAGE}{passkey.id}/remove"
    page = await (await as_member.get(path)).get_data(as_text=True)
    assert "Confirm with a passkey instead" in page and 'data-passkey="confirm"' in page
    wanted = await public_key(as_member, f"{PAGE}confirm-options", path)
    forged = json.dumps(device.get(wanted, bad_signature=True))
    assert (await post_form(as_member, path, {"answer": forged})).status_code == 400
    wanted = await public_key(as_member, f"{PAGE}confirm-options", path)
    done = await post_form(as_member, path, {"answer": json.dumps(device.get(wanted))})
    assert done.status_code == 303
    assert await services.list_passkeys(account.user.id) == []
