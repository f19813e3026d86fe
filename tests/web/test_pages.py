"""Static pages and files, styled error pages, probes and the headers every response carries."""

from __future__ import annotations

import gzip
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
from quart import Quart
from quart.testing import QuartClient

from domain import password_policy
from infrastructure.encryption import new_key
from web import assets
from web.headers import YEAR

from .conftest import AppMaker

HASHED_STYLESHEET = re.compile(r'href="(/static/css/style\.[0-9a-f]{12}\.css)"')
STYLESHEET = "/static/css/style.css"


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


@pytest.mark.parametrize(("path", "status"), [("/healthz", 200), ("/readyz", 200)])
async def test_the_probes_answer(client: QuartClient, path: str, status: int) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert (await response.get_json())["status"] in {"ok", "ready"}


async def hashed_stylesheet(client: QuartClient) -> str:
    """The stylesheet's URL as the pages name it."""
    html = await (await client.get("/")).get_data(as_text=True)
    found = HASHED_STYLESHEET.search(html)
    assert found, "the page names no content-hashed stylesheet"
    return found.group(1)


async def test_pages_name_static_files_by_a_hash_of_their_content(
    client: QuartClient, static_root: Path
) -> None:
    url = await hashed_stylesheet(client)
    response = await client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert await response.get_data() == (assets.SOURCE / "css" / "style.css").read_bytes()
    html = await (await client.get("/about/")).get_data(as_text=True)
    assert f'href="/static/{assets.manifest(static_root)["favicon.svg"]}"' in html


async def test_hashed_static_files_are_cached_for_a_year_as_immutable(
    client: QuartClient,
) -> None:
    response = await client.get(await hashed_stylesheet(client))
    assert response.headers["Cache-Control"] == f"public, max-age={YEAR}, immutable"


async def test_an_unhashed_name_still_works_but_is_not_cached_for_long(
    client: QuartClient,
) -> None:
    response = await client.get(STYLESHEET)
    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert "immutable" not in cache_control
    assert "max-age=60" in cache_control


@pytest.mark.parametrize(
    ("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
async def test_text_assets_are_compressed_for_clients_that_accept_it(
    client: QuartClient, encoding: str, decompress: Callable[[bytes], bytes]
) -> None:
    url = await hashed_stylesheet(client)
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    packed = await client.get(url, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = await packed.get_data()
    assert len(body) < len(await plain.get_data()) / 2
    assert decompress(body) == await plain.get_data()
    assert packed.headers["Cache-Control"] == plain.headers["Cache-Control"]


async def test_a_cached_static_file_is_revalidated_with_its_etag(client: QuartClient) -> None:
    url = await hashed_stylesheet(client)
    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    changed = await client.get(url, headers={"If-None-Match": '"something-else"'})
    assert again.status_code == 304
    assert await again.get_data() == b""
    assert changed.status_code == 200


async def test_static_files_carry_the_security_headers(client: QuartClient) -> None:
    response = await client.get(await hashed_stylesheet(client))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_production_static_files_carry_hsts(make_app: AppMaker) -> None:
    async with make_app(
        GATEHOUSE_ENV="production",
        SMTP_HOST="127.0.0.1",
        ALLOW_SQLITE_IN_PRODUCTION=True,
        ENCRYPTION_KEYS=new_key(),
    ) as app:
        response = await app.test_client().get(STYLESHEET, scheme="https")
    assert response.headers["Strict-Transport-Security"].startswith(f"max-age={YEAR}")


@pytest.mark.parametrize(
    "path",
    [
        "/static/no-such-file.css",
        "/static/css/style.0123456789ab.css",
        "/static/css/",
        "/static/staticfiles.json.gz",
        "/static/../pyproject.toml",
        "/static/css/../../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static//etc/passwd",
    ],
)
async def test_unknown_static_files_and_escapes_from_the_folder_are_a_styled_404(
    client: QuartClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "Page not found" in await response.get_data(as_text=True)


async def test_the_app_refuses_to_start_without_built_static_files(
    make_app: AppMaker, tmp_path: Path
) -> None:
    with pytest.raises(assets.AssetsError, match="gatehouse assets"):
        async with make_app(STATIC_ROOT=tmp_path / "not-built"):
            pass


async def test_template_context_processors_run_on_the_event_loop(app: Quart) -> None:
    """Quart hands a plain-function processor to a worker thread on every render."""
    processors = [each for found in app.template_context_processors.values() for each in found]
    assert processors
    assert all(inspect.iscoroutinefunction(each) for each in processors)
    html = await (await app.test_client().get("/")).get_data(as_text=True)
    assert 'name="csrf_token"' in html  # what the wrapped processors provide still works


async def test_password_boxes_take_as_many_characters_as_the_policy_allows(
    client: QuartClient,
) -> None:
    html = await (await client.get("/register/")).get_data(as_text=True)
    lengths = set(re.findall(r'type="password"[^>]*maxlength="?(\d+)', html))
    assert lengths == {str(password_policy.MAX_LENGTH)}
