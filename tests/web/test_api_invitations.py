"""The JSON API's invitations: administrators invite, list, resend and revoke; the
invitee registers with `invitation`, once, however many requests race with the link."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.results import UserDetail
from tests.web.api_support import API, bearer, problem_of, secret_free, token_for
from tests.web.conftest import Outbox
from tests.web.test_invitations import GRACE, NEW_PASSWORD, link_to

INVITATIONS = f"{API}/admin/invitations"


@pytest.fixture
async def admin_headers(client: QuartClient, admin: UserDetail) -> dict[str, str]:
    return bearer((await token_for(client, admin.username))["token"])


async def invite(client: QuartClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(INVITATIONS, json={"email": GRACE, **body}, headers=headers)
    made: dict[str, Any] = await secret_free(response)
    assert response.status_code == 201
    assert response.headers["Location"] == f"{INVITATIONS}/{made['id']}"
    return made


async def token_of(outbox: Outbox, address: str = GRACE) -> str:
    return (await link_to(outbox, address)).rsplit("/", 1)[1]


def signing_up(token: str, username: str = "grace") -> dict[str, str]:
    return {"username": username, "email": GRACE, "password": NEW_PASSWORD, "invitation": token}


async def test_an_invitation_is_made_listed_and_read_without_its_link(
    client: QuartClient, admin_headers: dict[str, str], admin: UserDetail, outbox: Outbox
) -> None:
    made = await invite(client, admin_headers, roles=["admin"])
    assert (made["email"], made["roles"], made["status"], made["invited_by"]) == (
        GRACE,
        ["admin"],
        "pending",
        admin.username,
    )
    token = await token_of(outbox)
    listed = await secret_free(await client.get(INVITATIONS, headers=admin_headers))
    one = await secret_free(await client.get(f"{INVITATIONS}/{made['id']}", headers=admin_headers))
    assert [each["id"] for each in listed["items"]] == [made["id"]] and listed["next"] is None
    assert one == made
    assert token not in str(listed) + str(one)


async def test_the_invitee_registers_once_verified_with_the_roles(
    client: QuartClient, admin_headers: dict[str, str], outbox: Outbox
) -> None:
    made = await invite(client, admin_headers, roles=["admin"])
    token = await token_of(outbox)

    response = await client.post(f"{API}/users", json=signing_up(token))

    user = await secret_free(response)
    assert response.status_code == 201
    assert (user["email"], user["email_verified"], user["roles"]) == (GRACE, True, ["admin"])
    used = await secret_free(await client.get(f"{INVITATIONS}/{made['id']}", headers=admin_headers))
    assert (used["status"], used["accepted_by"]) == ("accepted", user["id"])
    again = await client.post(f"{API}/users", json=signing_up(token, "grace2"))
    await problem_of(again, 400, "/problems/invalid-invitation")


async def test_requests_racing_with_one_link_make_one_account(
    app: Quart, client: QuartClient, admin_headers: dict[str, str], outbox: Outbox
) -> None:
    await invite(client, admin_headers)
    token = await token_of(outbox)

    responses = await asyncio.gather(
        *(
            app.test_client().post(f"{API}/users", json=signing_up(token, f"grace{i}"))
            for i in range(30)
        )
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * 29
    for response in responses:
        if response.status_code == 400:
            await problem_of(response, 400, "/problems/invalid-invitation")


async def test_the_invitation_registers_only_its_own_address(
    client: QuartClient, admin_headers: dict[str, str], outbox: Outbox
) -> None:
    await invite(client, admin_headers)
    token = await token_of(outbox)
    other = {**signing_up(token), "email": "mallory@example.com"}
    problem = await problem_of(await client.post(f"{API}/users", json=other), 422)
    assert problem["type"] == "/problems/invitation-for-another-address"
    assert (await client.post(f"{API}/users", json=signing_up(token))).status_code == 201


async def test_resend_gives_a_new_link_and_delete_revokes_it(
    client: QuartClient, admin_headers: dict[str, str], outbox: Outbox
) -> None:
    made = await invite(client, admin_headers)
    first = await token_of(outbox)

    resent = await client.post(f"{INVITATIONS}/{made['id']}/resend", headers=admin_headers)
    second = await token_of(outbox)
    revoked = await client.delete(f"{INVITATIONS}/{made['id']}", headers=admin_headers)
    again = await client.delete(f"{INVITATIONS}/{made['id']}", headers=admin_headers)

    assert resent.status_code == 200 and first != second
    assert (revoked.status_code, again.status_code) == (204, 204)
    for token in (first, second):
        refused = await client.post(f"{API}/users", json=signing_up(token))
        await problem_of(refused, 400, "/problems/invalid-invitation")
    closed = await client.post(f"{INVITATIONS}/{made['id']}/resend", headers=admin_headers)
    await problem_of(closed, 409, "/problems/invitation-closed")


@pytest.mark.parametrize(
    ("body", "status", "type_"),
    [
        ({"email": "not an address"}, 422, "/problems/invalid-email"),
        ({"email": GRACE, "roles": ["nobody"]}, 404, "/problems/role-not-found"),
        ({"email": GRACE, "roles": ["a b"]}, 422, "/problems/invalid-role-name"),
        ({"email": GRACE, "extra": 1}, 422, "/problems/validation-failed"),
        ({"email": GRACE, "roles": [f"r{i}" for i in range(11)]}, 422, None),
    ],
    ids=["bad-address", "unknown-role", "bad-role", "unknown-field", "too-many-roles"],
)
async def test_bad_invitations_are_refused_and_nothing_is_sent(
    client: QuartClient,
    admin_headers: dict[str, str],
    outbox: Outbox,
    body: dict[str, Any],
    status: int,
    type_: str | None,
) -> None:
    await problem_of(
        await client.post(INVITATIONS, json=body, headers=admin_headers), status, type_
    )
    listed = await secret_free(await client.get(INVITATIONS, headers=admin_headers))
    assert listed["items"] == [] and await outbox.messages() == []


async def test_an_address_is_not_invited_while_it_has_an_account_or_an_invitation(
    client: QuartClient, admin_headers: dict[str, str], admin: UserDetail
) -> None:
    taken = await client.post(INVITATIONS, json={"email": admin.email}, headers=admin_headers)
    await problem_of(taken, 409, "/problems/email-taken")
    await invite(client, admin_headers)
    twice = await client.post(INVITATIONS, json={"email": GRACE.upper()}, headers=admin_headers)
    await problem_of(twice, 409, "/problems/invitation-pending")


async def test_members_and_strangers_cannot_manage_invitations(
    client: QuartClient, account: Any
) -> None:
    member = bearer((await token_for(client, account.user.username))["token"])
    some = f"{INVITATIONS}/{uuid.uuid4()}"
    for method, path in (("GET", INVITATIONS), ("POST", INVITATIONS), ("DELETE", some)):
        await problem_of(
            await client.open(path, method=method, json={"email": GRACE}, headers=member), 403
        )
        await problem_of(await client.open(path, method=method, json={"email": GRACE}), 401)


async def test_an_unknown_invitation_is_a_404(
    client: QuartClient, admin_headers: dict[str, str]
) -> None:
    some = f"{INVITATIONS}/{uuid.uuid4()}"
    await problem_of(
        await client.get(some, headers=admin_headers), 404, "/problems/invitation-not-found"
    )
    await problem_of(await client.delete(some, headers=admin_headers), 404)


async def test_pages_follow_next_until_the_last(
    client: QuartClient, admin_headers: dict[str, str]
) -> None:
    for i in range(3):
        await invite(client, admin_headers, email=f"guest{i}@example.com")
    first = await secret_free(await client.get(f"{INVITATIONS}?limit=2", headers=admin_headers))
    second = await secret_free(await client.get(first["next"], headers=admin_headers))
    assert [each["email"] for each in first["items"] + second["items"]] == [
        "guest2@example.com",
        "guest1@example.com",
        "guest0@example.com",
    ]
    assert (first["total"], second["next"]) == (3, None)
