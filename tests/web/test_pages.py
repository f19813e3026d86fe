"""Static pages, styled error pages, probes and the headers every response carries."""

from __future__ import annotations

import gzip

import pytest
from quart.testing import QuartClient


async def test_the_about_page_describes_gatehouse(client: QuartClient) -> None:
    response = await client.get("/about/")
    assert response.status_code == 200
    assert "About Gatehouse" in await response.get_data(as_text=True)


async def test_an_unknown_page_is_a_styled_404(client: QuartClient) -> None:
    response = await client.get("/no/such/page")
    html = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html and 'class="topbar"' in html


async def test_a_wrong_method_is_a_styled_405_naming_the_allowed_ones(
    client: QuartClient,
) -> None:
    response = await client.delete("/about/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Method not allowed" in await response.get_data(as_text=True)


async def test_every_response_carries_the_security_headers(client: QuartClient) -> None:
    response = await client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_each_response_carries_a_request_id_and_keeps_a_sane_offered_one(
    client: QuartClient,
) -> None:
    generated = await client.get("/healthz")
    kept = await client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    refused = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})
    assert len(generated.headers["X-Request-ID"]) == 32
    assert kept.headers["X-Request-ID"] == "abcdef123456"
    assert refused.headers["X-Request-ID"] != "bad id\twith tab"


async def test_fingerprinted_static_files_are_cached_for_a_year(client: QuartClient) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    start = html.index("/static/css/style.css?v=")
    url = html[start : html.index('"', start)]
    response = await client.get(url)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize(("path", "status"), [("/healthz", 200), ("/readyz", 200)])
async def test_the_probes_answer(client: QuartClient, path: str, status: int) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert (await response.get_json())["status"] in {"ok", "ready"}


async def test_text_assets_are_gzipped_for_clients_that_accept_it(client: QuartClient) -> None:
    plain = await client.get("/static/css/style.css")
    zipped = await client.get("/static/css/style.css", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    body = await zipped.get_data()
    assert len(body) < len(await plain.get_data()) / 2
    assert gzip.decompress(body) == await plain.get_data()
    if "ETag" in plain.headers:
        assert zipped.headers["ETag"] != plain.headers["ETag"]
