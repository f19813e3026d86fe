"""The JSON API for accounts: registration, tokens and sessions, the own account, resets,
members; each endpoint's success and error paths."""

from __future__ import annotations

import json
import uuid

import pytest
from quart import Quart
from quart.testing import QuartClient

from application.commands import Actor
from application.services import Services
from tests.conftest import unique_name
from tests.web.api_support import (
    API,
    bearer,
    field_names,
    local,
    new_user,
    problem_of,
    secret_free,
    token_for,
)
from tests.web.conftest import PASSWORD, Account, Outbox

NEW_PASSWORD = "tide pools at noon"
AUTH_COOKIE = "gatehouse_auth"


def registration(**changes: object) -> dict[str, object]:
    name = unique_name("reg")
    return {"username": name, "email": f"{name}@example.com", "password": PASSWORD} | changes


async def can_sign_in(client: QuartClient, login: str, password: str) -> bool:
    response = await client.post(f"{API}/sessions", json={"login": login, "password": password})
    return response.status_code == 201


# Registration


async def test_registering_answers_201_with_a_location_a_signed_in_member_can_get(
    client: QuartClient, account: Account
) -> None:
    data = registration(username=unique_name("Reg"))
    response = await client.post(f"{API}/users", json=data)
    assert response.status_code == 201
    created = await secret_free(response)
    assert created["username"] == data["username"]
    assert created["email"] == data["email"]
    assert created["roles"] == []
    location = response.headers["Location"]
    assert location.endswith(f"{API}/users/{created['id']}")

    token = (await token_for(client, account.user.username))["token"]
    found = await client.get(local(location), headers=bearer(token))
    member = await secret_free(found)
    assert member["id"] == created["id"]
    assert member["username"] == data["username"]
    assert await can_sign_in(client, str(data["username"]), PASSWORD)


async def test_a_taken_username_in_any_letter_case_is_a_409_username_taken(
    client: QuartClient, account: Account
) -> None:
    data = registration(username=account.user.username.upper())
    response = await client.post(f"{API}/users", json=data)
    problem = await problem_of(response, 409, "/problems/username-taken")
    assert field_names(problem) == {"username"}
    assert not await can_sign_in(client, str(data["email"]), PASSWORD)


async def test_a_taken_email_address_is_a_409_email_taken(
    client: QuartClient, account: Account
) -> None:
    response = await client.post(f"{API}/users", json=registration(email=account.user.email))
    await problem_of(response, 409, "/problems/email-taken")


async def test_a_weak_password_is_a_422_naming_the_password_field_and_creates_nothing(
    client: QuartClient,
) -> None:
    data = registration(password="12345678")
    response = await client.post(f"{API}/users", json=data)
    problem = await problem_of(response, 422, "/problems/weak-password")
    assert field_names(problem) == {"password"}
    assert not await can_sign_in(client, str(data["username"]), "12345678")


async def test_an_unknown_field_is_a_422_naming_it_and_creates_nothing(
    client: QuartClient,
) -> None:
    data = registration(roles=["admin"])
    response = await client.post(f"{API}/users", json=data)
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"roles"}
    assert not await can_sign_in(client, str(data["username"]), PASSWORD)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": 12345}, "username"),
        ({"email": None}, "email"),
        ({"password": ["a", "list"]}, "password"),
        ({"username": "x" * 26}, "username"),
        ({"email": "a" * 2000}, "email"),
    ],
)
async def test_a_field_of_the_wrong_type_or_size_is_a_422_naming_it(
    client: QuartClient, change: dict[str, object], field: str
) -> None:
    response = await client.post(f"{API}/users", json=registration(**change))
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {field}


async def test_a_missing_field_is_a_422_naming_it(client: QuartClient) -> None:
    data = registration()
    del data["email"]
    response = await client.post(f"{API}/users", json=data)
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"email"}


@pytest.mark.parametrize("body", [[], "a string", 42, None])
async def test_a_json_body_that_is_not_an_object_is_a_422(
    client: QuartClient, body: object
) -> None:
    response = await client.post(
        f"{API}/users", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    await problem_of(response, 422, "/problems/validation-failed")


async def test_an_invalid_username_is_a_422_invalid_username(client: QuartClient) -> None:
    response = await client.post(f"{API}/users", json=registration(username="no spaces"))
    problem = await problem_of(response, 422, "/problems/invalid-username")
    assert field_names(problem) == {"username"}


# Signing in: tokens and sessions


async def test_signing_in_returns_a_bearer_token_and_the_session_id_without_secrets(
    client: QuartClient, account: Account
) -> None:
    response = await client.post(
        f"{API}/sessions", json={"login": account.user.email.upper(), "password": PASSWORD}
    )
    body = await secret_free(response)
    assert response.status_code == 201
    assert body["token_type"] == "bearer"
    assert len(body["token"]) >= 32
    assert uuid.UUID(body["session_id"])
    assert body["user"]["id"] == str(account.user.id)
    assert body["expires_at"]
    assert not response.headers.getlist("Set-Cookie"), "no cookie unless asked for"
    me = await client.get(f"{API}/users/me", headers=bearer(body["token"]))
    assert (await secret_free(me))["username"] == account.user.username


async def test_a_wrong_password_is_a_400_invalid_credentials_like_an_unknown_name(
    client: QuartClient, account: Account
) -> None:
    wrong = await client.post(
        f"{API}/sessions", json={"login": account.user.username, "password": "not the one"}
    )
    unknown = await client.post(
        f"{API}/sessions", json={"login": "nobody-at-all", "password": "not the one"}
    )
    first = await problem_of(wrong, 400, "/problems/invalid-credentials")
    second = await problem_of(unknown, 400, "/problems/invalid-credentials")
    assert first == second


@pytest.mark.parametrize(
    "body",
    [
        {"login": "someone"},
        {"login": "", "password": "whatever"},
        {"login": "someone", "password": "whatever", "remember": "often"},
        {"login": "someone", "password": "whatever", "admin": True},
    ],
)
async def test_a_sign_in_body_that_does_not_fit_is_a_422(
    client: QuartClient, body: dict[str, object]
) -> None:
    response = await client.post(f"{API}/sessions", json=body)
    await problem_of(response, 422, "/problems/validation-failed")


async def test_a_deactivated_account_cannot_sign_in_and_is_not_told_why(
    client: QuartClient, services: Services
) -> None:
    user = await new_user(services, "gone")
    await services.deactivate_user(user.id, Actor.system())
    response = await client.post(
        f"{API}/sessions", json={"login": user.username, "password": PASSWORD}
    )
    await problem_of(response, 400, "/problems/invalid-credentials")


async def test_a_client_holding_cookies_needs_the_csrf_header_to_sign_in_again(
    client: QuartClient, account: Account
) -> None:
    body = {"login": account.user.username, "password": PASSWORD, "cookie": True}
    assert (await client.post(f"{API}/sessions", json=body)).status_code == 201
    again = await client.post(f"{API}/sessions", json=body)
    await problem_of(again, 400, "/problems/csrf-failed")


async def test_sign_in_with_cookie_sets_the_cookie_and_cookie_changes_need_the_csrf_header(
    client: QuartClient, account: Account
) -> None:
    response = await client.post(
        f"{API}/sessions",
        json={"login": account.user.username, "password": PASSWORD, "cookie": True},
    )
    await secret_free(response)
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{AUTH_COOKIE}=") and "HttpOnly" in c for c in cookies)

    me = await client.get(f"{API}/users/me")
    assert (await secret_free(me))["id"] == str(account.user.id)

    refused = await client.patch(f"{API}/users/me", json={"first_name": "Ann"})
    await problem_of(refused, 400, "/problems/csrf-failed")
    assert (await secret_free(await client.get(f"{API}/users/me")))["first_name"] == ""

    csrf = (await secret_free(await client.get(f"{API}/csrf-token")))["csrf_token"]
    accepted = await client.patch(
        f"{API}/users/me", json={"first_name": "Ann"}, headers={"X-CSRFToken": csrf}
    )
    assert (await secret_free(accepted))["first_name"] == "Ann"


async def test_a_wrong_csrf_header_is_refused_too(client: QuartClient, account: Account) -> None:
    await client.post(
        f"{API}/sessions",
        json={"login": account.user.username, "password": PASSWORD, "cookie": True},
    )
    response = await client.patch(
        f"{API}/users/me", json={"first_name": "Ann"}, headers={"X-CSRFToken": "forged"}
    )
    await problem_of(response, 400, "/problems/csrf-failed")


async def test_bearer_calls_need_no_csrf_header_even_from_a_client_with_cookies(
    app: Quart, client: QuartClient, account: Account
) -> None:
    token = (await token_for(app.test_client(), account.user.username))["token"]
    await client.post(
        f"{API}/sessions",
        json={"login": account.user.username, "password": PASSWORD, "cookie": True},
    )
    assert client.cookie_jar is not None
    assert AUTH_COOKIE in {cookie.name for cookie in client.cookie_jar}
    response = await client.patch(
        f"{API}/users/me", json={"last_name": "Bearer"}, headers=bearer(token)
    )
    assert (await secret_free(response))["last_name"] == "Bearer"


async def test_signing_out_stops_the_token_at_once(client: QuartClient, account: Account) -> None:
    token = (await token_for(client, account.user.username))["token"]
    assert (await client.get(f"{API}/users/me", headers=bearer(token))).status_code == 200
    out = await client.delete(f"{API}/sessions/current", headers=bearer(token))
    assert out.status_code == 204
    after = await client.get(f"{API}/users/me", headers=bearer(token))
    await problem_of(after, 401)
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    again = await client.delete(f"{API}/sessions/current", headers=bearer(token))
    await problem_of(again, 401)


async def test_signing_out_a_cookie_session_ends_it_on_the_server(
    app: Quart, account: Account
) -> None:
    client = app.test_client()
    await client.post(
        f"{API}/sessions",
        json={"login": account.user.username, "password": PASSWORD, "cookie": True},
    )
    csrf = (await secret_free(await client.get(f"{API}/csrf-token")))["csrf_token"]
    out = await client.delete(f"{API}/sessions/current", headers={"X-CSRFToken": csrf})
    assert out.status_code == 204
    await problem_of(await client.get(f"{API}/users/me"), 401)


async def test_listing_sessions_marks_the_current_one(
    client: QuartClient, account: Account
) -> None:
    first = await token_for(client, account.user.username)
    second = await token_for(client, account.user.username)
    response = await client.get(f"{API}/sessions", headers=bearer(second["token"]))
    items = (await secret_free(response))["items"]
    assert {item["id"] for item in items} == {first["session_id"], second["session_id"]}
    assert [item["id"] for item in items if item["current"]] == [second["session_id"]]
    assert all(first["token"] not in str(item) for item in items)


async def test_revoking_another_session_by_id_stops_its_token_at_once(
    client: QuartClient, account: Account
) -> None:
    mine = await token_for(client, account.user.username)
    other = await token_for(client, account.user.username)
    response = await client.delete(
        f"{API}/sessions/{other['session_id']}", headers=bearer(mine["token"])
    )
    assert response.status_code == 204
    await problem_of(await client.get(f"{API}/users/me", headers=bearer(other["token"])), 401)
    assert (await client.get(f"{API}/users/me", headers=bearer(mine["token"]))).status_code == 200
    twice = await client.delete(
        f"{API}/sessions/{other['session_id']}", headers=bearer(mine["token"])
    )
    await problem_of(twice, 404, "/problems/session-not-found")


async def test_someone_elses_session_cannot_be_revoked(
    client: QuartClient, account: Account, services: Services
) -> None:
    stranger = await new_user(services, "str")
    theirs = await token_for(client, stranger.username)
    mine = await token_for(client, account.user.username)
    response = await client.delete(
        f"{API}/sessions/{theirs['session_id']}", headers=bearer(mine["token"])
    )
    await problem_of(response, 404, "/problems/session-not-found")
    assert (await client.get(f"{API}/users/me", headers=bearer(theirs["token"]))).status_code == 200


async def test_a_session_id_that_is_not_a_uuid_is_a_404_problem(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.delete(f"{API}/sessions/not-a-uuid", headers=bearer(token))
    await problem_of(response, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users/me"),
        ("PATCH", "/users/me"),
        ("POST", "/users/me/password"),
        ("GET", "/users"),
        ("GET", f"/users/{uuid.UUID(int=1)}"),
        ("GET", "/sessions"),
        ("DELETE", "/sessions/current"),
        ("DELETE", f"/sessions/{uuid.UUID(int=1)}"),
    ],
)
async def test_signed_in_endpoints_without_a_token_are_a_401_with_www_authenticate(
    client: QuartClient, method: str, path: str
) -> None:
    body = {"current_password": "a", "new_password": "b"} if path.endswith("password") else {}
    response = await client.open(f"{API}{path}", method=method, json=body)
    await problem_of(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Bearer " + "x" * 5000, "Basic dXNlcjpwYXNz", "Bearer"],
)
async def test_an_unknown_or_malformed_token_is_a_401(
    client: QuartClient, authorization: str
) -> None:
    response = await client.get(f"{API}/users/me", headers={"Authorization": authorization})
    await problem_of(response, 401)


# The own account


async def test_patching_users_me_changes_only_the_names_sent(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    first = await client.patch(
        f"{API}/users/me", json={"first_name": "Ann", "last_name": "Lee"}, headers=bearer(token)
    )
    assert (await secret_free(first))["full_name"] == "Ann Lee"
    second = await client.patch(f"{API}/users/me", json={"last_name": "Ray"}, headers=bearer(token))
    body = await secret_free(second)
    assert (body["first_name"], body["last_name"]) == ("Ann", "Ray")
    assert body["email"] == account.user.email


async def test_changing_the_email_needs_the_current_password(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    new_email = f"new.{account.user.email}"
    without = await client.patch(
        f"{API}/users/me", json={"email": new_email}, headers=bearer(token)
    )
    problem = await problem_of(without, 422, "/problems/current-password-required")
    assert problem["errors"] == [
        {
            "field": "current_password",
            "message": "Enter your current password to change your e-mail address.",
        }
    ]
    wrong = await client.patch(
        f"{API}/users/me",
        json={"email": new_email, "current_password": "not the one"},
        headers=bearer(token),
    )
    await problem_of(wrong, 400, "/problems/invalid-credentials")
    me = await secret_free(await client.get(f"{API}/users/me", headers=bearer(token)))
    assert me["email"] == account.user.email

    right = await client.patch(
        f"{API}/users/me",
        json={"email": new_email, "current_password": PASSWORD},
        headers=bearer(token),
    )
    # The new address takes effect once the link mailed to it is used.
    assert (await secret_free(right))["email"] == account.user.email


async def test_an_email_used_by_another_account_is_a_409_email_taken(
    client: QuartClient, account: Account, services: Services
) -> None:
    other = await new_user(services, "oth")
    token = (await token_for(client, account.user.username))["token"]
    response = await client.patch(
        f"{API}/users/me",
        json={"email": other.email, "current_password": PASSWORD},
        headers=bearer(token),
    )
    await problem_of(response, 409, "/problems/email-taken")


@pytest.mark.parametrize(
    ("body", "type_", "field"),
    [
        ({"first_name": "bell\u0007"}, "/problems/validation-failed", "first_name"),
        ({"last_name": "x" * 31}, "/problems/validation-failed", "last_name"),
        (
            {"email": "not an address", "current_password": PASSWORD},
            "/problems/invalid-email",
            "email",
        ),
        ({"username": "renamed"}, "/problems/validation-failed", "username"),
        ({"first_name": 7}, "/problems/validation-failed", "first_name"),
    ],
)
async def test_a_profile_change_that_does_not_fit_is_a_422_and_changes_nothing(
    client: QuartClient, account: Account, body: dict[str, object], type_: str, field: str
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.patch(f"{API}/users/me", json=body, headers=bearer(token))
    problem = await problem_of(response, 422, type_)
    assert field_names(problem) == {field}
    me = await secret_free(await client.get(f"{API}/users/me", headers=bearer(token)))
    assert (me["username"], me["first_name"], me["last_name"], me["email"]) == (
        account.user.username,
        "",
        "",
        account.user.email,
    )


async def test_changing_the_password_ends_the_other_tokens_at_once(
    client: QuartClient, account: Account
) -> None:
    mine = (await token_for(client, account.user.username))["token"]
    other = (await token_for(client, account.user.username))["token"]
    response = await client.post(
        f"{API}/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(mine),
    )
    assert (await secret_free(response)) == {"ended_sessions": 1}
    await problem_of(await client.get(f"{API}/users/me", headers=bearer(other)), 401)
    assert (await client.get(f"{API}/users/me", headers=bearer(mine))).status_code == 200
    assert await can_sign_in(client, account.user.username, NEW_PASSWORD)
    assert not await can_sign_in(client, account.user.username, PASSWORD)


async def test_a_wrong_current_password_is_a_400_and_keeps_the_password(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(
        f"{API}/users/me/password",
        json={"current_password": "not the one", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    problem = await problem_of(response, 400, "/problems/invalid-credentials")
    assert field_names(problem) == {"current_password"}
    assert await can_sign_in(client, account.user.username, PASSWORD)


async def test_the_same_password_again_is_a_422_same_password(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(
        f"{API}/users/me/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=bearer(token),
    )
    problem = await problem_of(response, 422, "/problems/same-password")
    assert field_names(problem) == {"new_password"}


async def test_a_weak_new_password_is_a_422_naming_new_password(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(
        f"{API}/users/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(token),
    )
    problem = await problem_of(response, 422, "/problems/weak-password")
    assert field_names(problem) == {"new_password"}
    assert await can_sign_in(client, account.user.username, PASSWORD)


async def test_a_password_change_missing_a_field_is_a_422(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.post(
        f"{API}/users/me/password", json={"new_password": NEW_PASSWORD}, headers=bearer(token)
    )
    problem = await problem_of(response, 422, "/problems/validation-failed")
    assert field_names(problem) == {"current_password"}


# Password resets


async def test_reset_requests_answer_202_alike_and_mail_only_a_known_address(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    known = await client.post(f"{API}/password-resets", json={"email": account.user.email})
    unknown = await client.post(
        f"{API}/password-resets", json={"email": "nobody.at.all@example.com"}
    )
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert await secret_free(known) == await secret_free(unknown)
    sent = await outbox.messages()
    assert [message["To"] for message in sent] == [account.user.email]


async def test_a_reset_token_from_the_mail_sets_a_new_password_once_and_ends_sessions(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    old = (await token_for(client, account.user.username))["token"]
    await client.post(f"{API}/password-resets", json={"email": account.user.email})
    token = (await outbox.link_for(account.user.email)).removeprefix("/reset-password/")

    response = await client.post(
        f"{API}/password-resets/{token}", json={"new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert await response.get_data() == b""
    assert await can_sign_in(client, account.user.username, NEW_PASSWORD)
    assert not await can_sign_in(client, account.user.username, PASSWORD)
    await problem_of(await client.get(f"{API}/users/me", headers=bearer(old)), 401)

    again = await client.post(
        f"{API}/password-resets/{token}", json={"new_password": "another fine password"}
    )
    await problem_of(again, 400, "/problems/invalid-reset-token")


@pytest.mark.parametrize("token", ["nonsense", "x" * 2000, "abc.def"])
async def test_a_bad_reset_token_is_a_400_invalid_reset_token(
    client: QuartClient, token: str
) -> None:
    response = await client.post(
        f"{API}/password-resets/{token}", json={"new_password": NEW_PASSWORD}
    )
    await problem_of(response, 400, "/problems/invalid-reset-token")


async def test_a_weak_password_with_a_good_reset_token_is_a_422_and_keeps_the_token(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    await client.post(f"{API}/password-resets", json={"email": account.user.email})
    token = (await outbox.link_for(account.user.email)).removeprefix("/reset-password/")
    weak = await client.post(f"{API}/password-resets/{token}", json={"new_password": "123"})
    await problem_of(weak, 422, "/problems/weak-password")
    good = await client.post(f"{API}/password-resets/{token}", json={"new_password": NEW_PASSWORD})
    assert good.status_code == 204


@pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": "a@b.c", "extra": 1}])
async def test_a_reset_request_that_does_not_fit_is_a_422_and_sends_nothing(
    client: QuartClient, outbox: Outbox, body: dict[str, object]
) -> None:
    response = await client.post(f"{API}/password-resets", json=body)
    await problem_of(response, 422, "/problems/validation-failed")
    assert await outbox.messages() == []


# Members


async def test_members_paging_follows_next_through_every_active_member(
    client: QuartClient, account: Account, services: Services
) -> None:
    others = [await new_user(services, "mem") for _ in range(4)]
    gone = await new_user(services, "gone")
    await services.deactivate_user(gone.id, Actor.system())
    token = (await token_for(client, account.user.username))["token"]

    seen: list[str] = []
    totals: set[int] = set()
    url: str | None = f"{API}/users?limit=2"
    while url is not None:
        page = await secret_free(await client.get(local(url), headers=bearer(token)))
        assert len(page["items"]) <= 2
        seen += [item["username"] for item in page["items"]]
        totals.add(page["total"])
        url = page["next"]
        assert len(seen) <= 10, "next never ran out"
    expected = [account.user.username, *(user.username for user in others)]
    assert seen == expected
    assert totals == {5}


async def test_a_members_limit_out_of_range_or_unknown_parameter_is_a_422(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    for query in ("limit=0", "limit=101", "limit=lots", "sort=name"):
        response = await client.get(f"{API}/users?{query}", headers=bearer(token))
        await problem_of(response, 422, "/problems/validation-failed")


async def test_a_mangled_members_cursor_starts_at_the_first_page(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username))["token"]
    response = await client.get(f"{API}/users?cursor=garbage", headers=bearer(token))
    page = await secret_free(response)
    assert [item["username"] for item in page["items"]] == [account.user.username]


async def test_an_unknown_or_inactive_member_is_a_404_problem(
    client: QuartClient, account: Account, services: Services
) -> None:
    gone = await new_user(services, "gone")
    await services.deactivate_user(gone.id, Actor.system())
    token = (await token_for(client, account.user.username))["token"]
    for member_id in (uuid.uuid4(), gone.id):
        response = await client.get(f"{API}/users/{member_id}", headers=bearer(token))
        await problem_of(response, 404)


async def test_the_csrf_token_endpoint_gives_a_token(client: QuartClient) -> None:
    body = await secret_free(await client.get(f"{API}/csrf-token"))
    assert len(body["csrf_token"]) > 20


async def test_an_empty_email_in_a_profile_patch_is_a_422_not_a_500(
    client: QuartClient, account: Account
) -> None:
    token = (await token_for(client, account.user.username, account.password))["token"]
    response = await client.patch(f"{API}/users/me", json={"email": ""}, headers=bearer(token))
    await problem_of(response, 422, "/problems/validation-failed")
