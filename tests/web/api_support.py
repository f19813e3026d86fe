"""Helpers for the JSON API's web tests: tokens, problem+json checks, secret-free bodies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from quart import Response
from quart.testing import QuartClient

from application.commands import CreateUser
from application.results import UserDetail
from application.services import Services
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD

API = "/api/v1"
PROBLEM = "application/problem+json"
SECRETS = ("password", "hash", "$argon2")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_for(client: QuartClient, login: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in through the API; the whole answer (token, session_id, user)."""
    response = await client.post(f"{API}/sessions", json={"login": login, "password": password})
    assert response.status_code == 201, await response.get_data(as_text=True)
    body: dict[str, Any] = await secret_free(response)
    return body


async def problem_of(response: Response, status: int, type_: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 answer: status, media type, shape, and the ``type`` if given."""
    text = await response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == PROBLEM, text
    body: dict[str, Any] = await response.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if type_ is not None:
        assert body["type"] == type_, body
    assert "<html" not in text.lower()
    return body


def field_names(problem: dict[str, Any]) -> set[str]:
    return {item["field"] for item in problem.get("errors", [])}


async def secret_free(response: Response) -> Any:
    """The JSON body of a success, after checking it names no password or hash."""
    text = await response.get_data(as_text=True)
    assert response.status_code < 300, text
    for word in SECRETS:
        assert word not in text.lower(), f"{word!r} in {text}"
    return await response.get_json()


def local(url: str) -> str:
    """The path and query of a ``next`` link, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def new_user(services: Services, prefix: str, *roles: str) -> UserDetail:
    name = unique_name(prefix)
    return await services.create_user(
        CreateUser(
            username=name, email=f"{name}@example.com", password=PASSWORD, roles=frozenset(roles)
        )
    )
