"""The names the sessions page gives devices and API tokens, from their User-Agent."""

from __future__ import annotations

import pytest

from web import devices

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


@pytest.mark.parametrize(
    ("user_agent", "api_token", "expected"),
    [
        (FIREFOX, False, "Firefox on Linux"),
        (FIREFOX, True, "API token · Firefox on Linux"),
        ("python-requests/2.31.0", True, "API token · python-requests/2.31.0"),
        ("Go-http-client/1.1", False, "Go-http-client/1.1"),
        ("curl/8.5.0", True, "API token · curl"),
        ("", True, "API token · unknown client"),
        ("   ", False, "Unknown device"),
        ("Mozilla/5.0 (compatible; SomeBot)", False, "Unknown device"),
        ("x" * 500, True, "API token · " + "x" * 39 + "…"),
    ],
)
def test_a_session_is_named_by_its_device_or_as_an_api_token_with_its_client(
    user_agent: str, api_token: bool, expected: str
) -> None:
    assert devices.label(user_agent, api_token=api_token) == expected
