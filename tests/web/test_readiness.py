"""/readyz: 200 while the database answers, 503 while the process drains."""

from __future__ import annotations

from quart import Quart
from quart.testing import QuartClient

from web import drain


async def test_a_draining_process_says_it_is_not_ready_but_still_serves(
    app: Quart, client: QuartClient
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    app.extensions[drain.DRAINING] = True
    try:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert (await ready.get_json())["status"] == "draining"
        assert (await client.get("/about/")).status_code == 200
    finally:
        app.extensions.pop(drain.DRAINING)
    assert (await client.get("/readyz")).status_code == 200
