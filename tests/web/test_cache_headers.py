"""Pages that depend on the session are kept by no cache: not a shared one, not the
browser's back button after sign-out."""

from __future__ import annotations

import pytest
from quart.testing import QuartClient

from tests.web.conftest import Account, sign_in


def assert_kept_by_no_cache(cache_control: str) -> None:
    directives = {part.strip() for part in cache_control.split(",")}
    assert {"no-store", "private"} <= directives, cache_control


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/about/",
        "/users/",
        "/users/me",
        "/users/me/password",
        "/users/me/sessions",
        "/admin/",
        "/logout/",
        "/no-such-page",
        "/api/v1/users/me",
    ],
)
async def test_every_page_a_signed_in_visitor_sees_is_kept_by_no_cache(
    client: QuartClient, account: Account, path: str
) -> None:
    await sign_in(client, account.user.username)
    response = await client.get(path)
    assert_kept_by_no_cache(response.headers.get("Cache-Control", ""))


async def test_the_signed_out_home_page_is_kept_by_no_cache_either(client: QuartClient) -> None:
    """Its form carries a CSRF token bound to this visitor's session cookie."""
    response = await client.get("/")
    assert_kept_by_no_cache(response.headers.get("Cache-Control", ""))


async def test_static_files_keep_their_long_caching(client: QuartClient) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    stylesheet = html.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    response = await client.get(stylesheet)
    assert "immutable" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]
