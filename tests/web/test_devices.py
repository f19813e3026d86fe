"""The names the sessions page gives devices and API tokens, from their User-Agent."""

from __future__ import annotations

import pytest

from web import devices

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


@pytest.mark.parametrize(
    ("user_agent", "api_token", "expected"),
    [
        (FIREFOX, False, "Firefox on Linux"),
        (FIREFOX, True, "Firefox on Linux"),
        ("python-requests/2.31.0", True, "python-requests/2.31.0"),
        ("Go-http-client/1.1", False, "Go-http-client/1.1"),
        ("curl/8.5.0", True, "curl/8.5.0"),
        ("curl/8.5.0", False, "curl"),
        ("", True, "Unknown client"),
        ("   ", False, "Unknown device"),
        ("Mozilla/5.0 (compatible; SomeBot)", False, "Unknown device"),
        ("x" * 500, True, "x" * 39 + "…"),
    ],
)
def test_a_session_is_named_by_its_device_or_an_api_token_by_its_client(
    user_agent: str, api_token: bool, expected: str
) -> None:
    assert devices.session_name(user_agent, api_token=api_token) == expected
