"""Every line logged while a request runs carries its id; no secret is ever logged."""

from __future__ import annotations

import logging

import pytest
from quart import Quart
from quart.testing import QuartClient

from tests.web.conftest import Account, csrf_token


def rendered(record: logging.LogRecord) -> str:
    """Everything a formatter could print: the message and every extra attribute."""
    return record.getMessage() + " " + " ".join(str(v) for v in vars(record).values())


async def test_lines_logged_during_a_request_carry_its_id(
    client: QuartClient, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = await csrf_token(client)
    response = await client.post(
        "/",
        form={"login": account.user.username, "password": account.password, "csrf_token": token},
        headers={"X-Request-ID": "trace-0123456789"},
    )
    assert response.headers["X-Request-ID"] == "trace-0123456789"
    mine = [r for r in caplog.records if getattr(r, "request_id", None) == "trace-0123456789"]
    names = {r.name for r in mine}
    assert "gatehouse.security" in names  # the sign-in event
    assert "gatehouse.request" in names  # the access line


@pytest.mark.parametrize("offered", ["x" * 65, "bad\x01id12345", "short"])
async def test_a_malformed_request_id_is_replaced_not_echoed(
    client: QuartClient, offered: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": offered})
    assert response.headers["X-Request-ID"] != offered
    assert len(response.headers["X-Request-ID"]) == 32


async def test_no_password_token_or_cookie_is_ever_logged(
    app: Quart, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = app.test_client()
    token = await csrf_token(browser)
    await browser.post(
        "/",
        form={"login": account.user.username, "password": account.password, "csrf_token": token},
    )
    await browser.post(
        "/", form={"login": "nobody", "password": "a-wrong-secret-9", "csrf_token": token}
    )
    cookies = [c.value for c in browser.cookie_jar] if browser.cookie_jar else []
    api = app.test_client()
    signed_in = await api.post(
        "/api/v1/sessions", json={"login": account.user.username, "password": account.password}
    )
    bearer = (await signed_in.get_json())["token"]
    await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {bearer}"})
    logged = "\n".join(rendered(record) for record in caplog.records)
    assert caplog.records
    for secret in [account.password, "a-wrong-secret-9", token, bearer, *cookies]:
        assert secret not in logged
    assert "$argon2" not in logged


@pytest.mark.parametrize(
    "path",
    ["/register/{token}", "/reset-password/{token}", "/verify-email/{token}"],
)
async def test_a_mailed_links_token_is_logged_as_its_route_only(
    app: Quart, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO, logger="gatehouse.request")
    secret = "q8Xh0o1Zk3cQyF5m2wTnV9bLrA7eJ4sU6dPiGgKxYzE"
    await app.test_client().get(path.format(token=secret))
    [line] = [record for record in caplog.records if record.name == "gatehouse.request"]
    assert secret not in rendered(line)
    assert line.path == path.replace("{token}", "<token>")  # type: ignore[attr-defined]
