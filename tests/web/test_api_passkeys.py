"""The passkey API, answered by a software authenticator: options and verification for
adding a passkey, signing in with it alone and as the second step, managing them, and
an administrator's list and removal; bad answers are problems, never 500s."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.commands import Client
from application.results import UserDetail
from application.services import Services
from tests.soft_authenticator import SoftAuthenticator
from tests.web.api_support import API, bearer, new_user, problem_of, secret_free, token_for
from tests.web.conftest import PASSWORD, Account, Outbox
from tests.web.test_two_factor_sign_in import turn_on

RP_ID, ORIGIN = "localhost", "http://localhost:8000"


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


@pytest.fixture
async def headers(client: QuartClient, account: Account) -> dict[str, str]:
    return bearer((await token_for(client, account.user.username))["token"])


async def added(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator, name: str = "Key"
) -> dict[str, Any]:
    options = await secret_free(
        await client.post(f"{API}/users/me/passkeys/options", headers=headers)
    )
    response = await client.post(
        f"{API}/users/me/passkeys",
        headers=headers,
        json={"name": name, "answer": device.create(options["publicKey"])},
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    body: dict[str, Any] = await response.get_json()
    return body


async def sign_in_answer(client: QuartClient, device: SoftAuthenticator, **tamper: Any) -> Any:
    options = await secret_free(await client.post(f"{API}/sessions/passkey/options"))
    return device.get(options["publicKey"], **tamper)


async def test_a_passkey_is_added_listed_renamed_and_removed(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator, outbox: Outbox
) -> None:
    passkey = await added(client, headers, device, name="Laptop")
    assert passkey["name"] == "Laptop" and passkey["authenticator"] == "built into a device"
    assert set(passkey) == {
        "id",
        "name",
        "created_at",
        "last_used_at",
        "authenticator",
        "transports",
    }
    listed = await secret_free(await client.get(f"{API}/users/me/passkeys", headers=headers))
    assert [each["id"] for each in listed] == [passkey["id"]]
    path = f"{API}/users/me/passkeys/{passkey['id']}"
    renamed = await client.patch(path, headers=headers, json={"name": "Phone"})
    assert (await secret_free(renamed))["name"] == "Phone"
    await problem_of(await client.patch(path, headers=headers, json={"name": "x" * 61}), 422)
    wrong = await client.post(f"{path}/remove", headers=headers, json={"password": "nope nope"})
    await problem_of(wrong, 400, "/problems/invalid-credentials")
    gone = await client.post(f"{path}/remove", headers=headers, json={"password": PASSWORD})
    assert gone.status_code == 204
    assert await secret_free(await client.get(f"{API}/users/me/passkeys", headers=headers)) == []
    assert len(await outbox.messages()) == 2  # added, removed


async def test_a_passkey_signs_in_and_gives_a_token(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator, account: Account
) -> None:
    await added(client, headers, device)
    answer = await sign_in_answer(client, device)
    response = await client.post(f"{API}/sessions/passkey", json={"answer": answer})
    body = await secret_free(response)
    assert response.status_code == 201 and body["user"]["id"] == str(account.user.id)
    sessions = await secret_free(await client.get(f"{API}/sessions", headers=bearer(body["token"])))
    mine = [each for each in sessions["items"] if each["id"] == body["session_id"]]
    assert mine[0]["second_factor"] == "passkey" and mine[0]["api_token"] is True
    replay = await client.post(f"{API}/sessions/passkey", json={"answer": answer})
    await problem_of(replay, 401, "/problems/invalid-challenge")


@pytest.mark.parametrize(
    "tamper",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"bad_signature": True}],
    ids=["wrong origin", "wrong rp id", "bad signature"],
)
async def test_a_forged_sign_in_is_an_invalid_passkey(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator, tamper: dict[str, Any]
) -> None:
    await added(client, headers, device)
    answer = await sign_in_answer(client, device, **tamper)
    response = await client.post(f"{API}/sessions/passkey", json={"answer": answer})
    await problem_of(response, 400, "/problems/invalid-passkey")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"answer": "text"},
        {"answer": []},
        {"answer": {}},
        {"answer": {"response": {"clientDataJSON": "%%%"}}},
        {"answer": {"response": {"clientDataJSON": "e30"}}},
        {"answer": {}, "extra": 1},
    ],
)
async def test_malformed_answers_are_problems(client: QuartClient, body: dict[str, Any]) -> None:
    response = await client.post(f"{API}/sessions/passkey", json=body)
    assert response.status_code in {400, 422}
    await problem_of(response, response.status_code)


async def test_a_passkey_is_the_second_step_of_a_password_sign_in(
    client: QuartClient,
    headers: dict[str, str],
    device: SoftAuthenticator,
    account: Account,
    services: Services,
) -> None:
    await added(client, headers, device)
    await turn_on(services, account)
    owed = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": PASSWORD}
    )
    challenge = (await problem_of(owed, 401, "/problems/two-factor-required"))["challenge"]
    options = await secret_free(
        await client.post(
            f"{API}/sessions/two-factor/passkey/options", json={"challenge": challenge}
        )
    )
    assert len(options["publicKey"]["allowCredentials"]) == 1
    answer = device.get(options["publicKey"])
    done = await client.post(
        f"{API}/sessions/two-factor/passkey", json={"challenge": challenge, "answer": answer}
    )
    assert done.status_code == 201
    again = await client.post(
        f"{API}/sessions/two-factor/passkey", json={"challenge": challenge, "answer": answer}
    )
    await problem_of(again, 401, "/problems/invalid-challenge")
    unknown = await client.post(
        f"{API}/sessions/two-factor/passkey/options", json={"challenge": "made-up"}
    )
    await problem_of(unknown, 401, "/problems/invalid-challenge")


async def test_signed_out_callers_cannot_manage_passkeys(client: QuartClient) -> None:
    await problem_of(await client.get(f"{API}/users/me/passkeys"), 401)
    await problem_of(await client.post(f"{API}/users/me/passkeys/options"), 401)


async def test_an_administrator_lists_and_removes_a_users_passkey(
    client: QuartClient,
    headers: dict[str, str],
    device: SoftAuthenticator,
    account: Account,
    admin: UserDetail,
    services: Services,
) -> None:
    passkey = await added(client, headers, device)
    boss = bearer((await token_for(client, admin.username))["token"])
    path = f"{API}/admin/users/{account.user.id}/passkeys"
    listed = await secret_free(await client.get(path, headers=boss))
    assert [each["id"] for each in listed] == [passkey["id"]]
    member = bearer((await token_for(client, (await new_user(services, "mem")).username))["token"])
    await problem_of(await client.get(path, headers=member), 403)
    await problem_of(await client.delete(f"{path}/{passkey['id']}", headers=member), 403)
    assert (await client.delete(f"{path}/{passkey['id']}", headers=boss)).status_code == 204
    await problem_of(await client.delete(f"{path}/{passkey['id']}", headers=boss), 404)
    answer = await sign_in_answer(client, device)
    refused = await client.post(f"{API}/sessions/passkey", json={"answer": answer})
    await problem_of(refused, 400, "/problems/invalid-passkey")


async def test_a_passkey_is_removed_with_another_passkeys_answer_or_nothing_at_all(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator
) -> None:
    lost = await added(client, headers, SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN))
    await added(client, headers, device, name="Laptop")
    path = f"{API}/users/me/passkeys/{lost['id']}/remove"
    await problem_of(await client.post(path, headers=headers, json={}), 400)
    asked = await client.post(f"{API}/users/me/passkeys/confirm-options", headers=headers)
    answer = device.get((await secret_free(asked))["publicKey"])
    assert (await client.post(path, headers=headers, json={"answer": answer})).status_code == 204
    listed = await secret_free(await client.get(f"{API}/users/me/passkeys", headers=headers))
    assert [each["name"] for each in listed] == ["Laptop"]


async def test_thirty_sign_ins_sent_at_once_with_one_answer_open_one_session(
    client: QuartClient, headers: dict[str, str], device: SoftAuthenticator, app: Quart
) -> None:
    await added(client, headers, device)
    answer = await sign_in_answer(client, device)
    responses = await asyncio.gather(
        *(
            app.test_client().post(f"{API}/sessions/passkey", json={"answer": answer})
            for _ in range(30)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 401}, statuses


async def test_a_registration_challenge_of_someone_else_adds_nothing(
    client: QuartClient,
    headers: dict[str, str],
    device: SoftAuthenticator,
    services: Services,
    account: Account,
) -> None:
    other = await new_user(services, "oth")
    theirs = bearer((await token_for(client, other.username))["token"])
    asked = await client.post(f"{API}/users/me/passkeys/options", headers=theirs)
    answer = device.create((await secret_free(asked))["publicKey"])
    response = await client.post(
        f"{API}/users/me/passkeys", headers=headers, json={"name": "x", "answer": answer}
    )
    await problem_of(response, 401, "/problems/invalid-challenge")
    assert await services.list_passkeys(account.user.id) == []


async def test_sign_out_everywhere_else_ends_a_passkey_session_like_any_other(
    client: QuartClient,
    headers: dict[str, str],
    device: SoftAuthenticator,
    services: Services,
    account: Account,
) -> None:
    await added(client, headers, device)
    answer = await sign_in_answer(client, device)
    signed_in = await client.post(f"{API}/sessions/passkey", json={"answer": answer})
    passkey_session = bearer((await secret_free(signed_in))["token"])
    assert (await client.get(f"{API}/users/me", headers=passkey_session)).status_code == 200
    await services.revoke_other_sessions(account.user.id, None, Client())
    await problem_of(await client.get(f"{API}/users/me", headers=passkey_session), 401)
