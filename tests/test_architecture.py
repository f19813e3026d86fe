"""The layer contract of the project, and the promise that no domain error is a 500."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from quart import Quart

from domain import errors
from infrastructure.settings import load_settings
from tests.fakes import fake_services
from web.app import create_app
from web.errors import status_for

SRC = Path(__file__).resolve().parents[1] / "src"
STDLIB = sys.stdlib_module_names
# Web modules allowed to touch infrastructure: the composition root, the factory that
# receives the settings, and the command line that runs migrations.
WIRING = {"web.bootstrap", "web.app", "web.cli", "web.asgi"}
# The domain's one third-party import: the rules of e-mail addresses (IDNA 2008, length,
# syntax) are a field of their own, better left to the library that knows them.
DOMAIN_LIBRARIES = {"domain.values": {"email_validator"}}


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / package).rglob("*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        yield ".".join(part for part in relative.parts if part != "__init__"), path


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def outside_the_domain(module: str, names: set[str]) -> set[str]:
    allowed = {"domain", *DOMAIN_LIBRARIES.get(module, ())}
    return {n for n in names if top(n) not in STDLIB and top(n) not in allowed}


@pytest.mark.parametrize(("module", "path"), list(modules("domain")))
def test_the_domain_imports_only_the_standard_library(module: str, path: Path) -> None:
    outside = outside_the_domain(module, imported(path))
    assert not outside, f"{module} imports {outside}"


def test_the_domain_exception_is_for_one_library_in_one_module() -> None:
    assert outside_the_domain("domain.users", {"email_validator", "uuid"}) == {"email_validator"}
    assert outside_the_domain("domain.values", {"email_validator", "idna"}) == {"idna"}


@pytest.mark.parametrize(("module", "path"), list(modules("application")))
def test_the_application_imports_only_the_domain_and_pydantic(module: str, path: Path) -> None:
    allowed = {"domain", "application", "pydantic", "pydantic_core"}
    outside = {n for n in imported(path) if top(n) not in STDLIB and top(n) not in allowed}
    assert not outside, f"{module} imports {outside}"


@pytest.mark.parametrize(("module", "path"), list(modules("infrastructure")))
def test_infrastructure_never_imports_the_web_layer(module: str, path: Path) -> None:
    assert not {n for n in imported(path) if top(n) == "web"}, module


@pytest.mark.parametrize(("module", "path"), [(m, p) for m, p in modules("web") if m not in WIRING])
def test_the_web_layer_talks_to_use_cases_not_to_adapters(module: str, path: Path) -> None:
    forbidden = {"infrastructure", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "passlib"}
    reached = {n for n in imported(path) if top(n) in forbidden}
    assert not reached, f"{module} imports {reached}"


def domain_errors() -> list[type[errors.DomainError]]:
    found: list[type[errors.DomainError]] = []
    pending = [errors.DomainError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return sorted(set(found), key=lambda kind: kind.__name__)


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory: pytest.TempPathFactory) -> Quart:
    settings = load_settings(
        GATEHOUSE_ENV="test", SECRET_KEY="k" * 40, INSTANCE_PATH=tmp_path_factory.mktemp("i")
    )
    app = create_app(settings, services=fake_services()[0])
    by_name = {kind.__name__: kind for kind in domain_errors()}

    @app.get("/raise/<name>")
    async def raise_error(name: str) -> str:
        raise by_name[name]()

    @app.get("/crash")
    async def crash() -> str:
        raise RuntimeError("a bug")

    return app


async def test_an_unexpected_error_is_a_styled_500_without_details(raising_app: Quart) -> None:
    response = await raising_app.test_client().get(
        "/crash", headers={"X-Request-ID": "ref-0123456789"}
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "a bug" not in html
    assert "ref-0123456789" in html  # the reference a person quotes to the operators


@pytest.mark.parametrize("kind", domain_errors(), ids=lambda kind: kind.__name__)
async def test_every_domain_error_becomes_a_styled_page_not_a_500(
    raising_app: Quart, kind: type[errors.DomainError]
) -> None:
    response = await raising_app.test_client().get(f"/raise/{kind.__name__}")
    html = await response.get_data(as_text=True)
    assert response.status_code == status_for(kind())
    assert 400 <= response.status_code < 500 or response.status_code == 503
    assert 'class="topbar"' in html


def routes(app: Quart, method: str) -> list[str]:
    """Every path serving ``method``, with sample values in its variable parts."""
    return sorted(
        SAMPLE.sub(lambda m: SAMPLES.get(m.group(1), "sample"), rule.rule)
        for rule in app.url_map.iter_rules()
        if method in (rule.methods or set()) and rule.endpoint not in TEST_ENDPOINTS
    )


SAMPLE = re.compile(r"<(?:(\w+):)?\w+>")
SAMPLES = {"uuid": str(uuid.uuid4()), "int": "1"}
TEST_ENDPOINTS = {"raise_error", "crash"}


async def test_every_state_changing_route_refuses_a_post_without_a_csrf_token(
    raising_app: Quart,
) -> None:
    posted = [path for path in routes(raising_app, "POST") if not path.startswith("/api/")]
    assert "/users/me/sessions/revoke-others" in posted
    for path in posted:
        client = raising_app.test_client()
        await client.get("/")
        response = await client.post(path, form={"login": "x", "password": "y"})
        assert response.status_code == 400, path


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_every_members_and_admin_route_sends_signed_out_visitors_to_sign_in(
    raising_app: Quart, method: str
) -> None:
    guarded = [
        path for path in routes(raising_app, method) if path.startswith(("/users/", "/admin/"))
    ]
    assert guarded, f"no {method} routes under /users/ or /admin/"
    for path in guarded:
        client = raising_app.test_client()
        page = await (await client.get("/")).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        response = await client.open(path, method=method, form={"csrf_token": token.group(1)})
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/?next=/"), path


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_every_api_change_made_with_the_cookie_needs_the_csrf_header(
    raising_app: Quart, method: str
) -> None:
    changing = [path for path in routes(raising_app, method) if path.startswith("/api/")]
    for path in changing:
        client = raising_app.test_client()
        await client.get("/api/v1/csrf-token")  # a browser that has the session cookie
        response = await client.open(path, method=method, json={})
        assert response.status_code == 400, path
        assert (await response.get_json())["type"] == "/problems/csrf-failed", path


def test_a_serving_process_does_not_load_the_migration_tool() -> None:
    """Alembic is for `gatehouse db`; every worker would carry it for nothing."""
    code = "import sys, web.asgi; print(sorted({'alembic', 'mako'} & set(sys.modules)))"
    env = {**os.environ, "GATEHOUSE_ENV": "test", "SECRET_KEY": "s" * 40}
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert shown.stdout.strip() == "[]"
