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
# receives the settings, and the command line that runs migrations and reads settings.
WIRING = frozenset(
    {
        "web.bootstrap",
        "web.app",
        "web.cli",
        "web.cli_runtime",
        "web.cli_accounts",
        "web.cli_keys",
        "web.cli_invitations",
        "web.cli_scaffold",
        "web.asgi",
    }
)
# What each layer may import besides the standard library. Everything else, every other
# installed package included, is a violation: an allow-list, so a new dependency has to
# be placed in a layer on purpose.
ALLOWED = {
    "domain": frozenset({"domain"}),
    "application": frozenset({"domain", "application", "pydantic", "pydantic_core"}),
    "web": frozenset(
        {
            "domain",
            "application",
            "web",
            "quart",
            "quart_auth",
            "quart_schema",
            "quart_wtf",
            "werkzeug",
            "itsdangerous",  # signing CSRF tokens once per session (web.csrf)
            "pydantic",
            "servestatic",
        }
    ),
}
# The domain's one third-party import: the rules of e-mail addresses (IDNA 2008, length,
# syntax) are a field of their own, better left to the library that knows them. Addresses
# are checked in that one place, so no other module of any layer may import it. WebAuthn
# is reached through its one adapter, behind the PasskeyVerifier port.
ONLY_IN = {"email_validator": "domain.values", "webauthn": "infrastructure.passkeys"}
# In the web layer, Jinja is reached through the one module that renders pages, and
# Markdown through the one page that shows it (the API reference), and QR codes through
# the one module that draws them.
WEB_ONLY_IN = {
    "jinja2": "web.rendering",
    "markdown_it": "web.blueprints.docs",
    "segno": "web.qr",
}


# The bounded contexts built on the accounts core: each has a module in every layer, its
# blueprint is among the composition root's feature blueprints, and none imports another
# (the core may know them all, to wire them). `gatehouse new feature` adds to this line.
CONTEXTS = ("invitations",)
CONTEXT_MODULES = ("domain.{}", "application.{}", "infrastructure.db.{}", "web.blueprints.{}")


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / package).rglob("*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        yield ".".join(part for part in relative.parts if part != "__init__"), path


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports by absolute name, wherever in the file (a relative
    import cannot leave its top-level package, so it cannot cross a layer)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def violations(module: str, path: Path) -> set[str]:
    """What ``module`` imports that its layer may not.

    Direct imports only, which is enough: when every module of a layer imports only what
    it may, nothing it imports can reach further. Hence the web layer's rule also
    forbids importing the wiring modules, which may reach infrastructure.
    """
    layer = top(module)
    names = imported(path)
    placed = {name for name in names if ONLY_IN.get(top(name), module) != module}
    if layer == "infrastructure":
        return placed | {name for name in names if top(name) == "web"}
    if layer == "web" and module in WIRING:
        return placed
    allowed = ALLOWED[layer] | {lib for lib, home in ONLY_IN.items() if home == module}
    if layer == "web":
        allowed |= {lib for lib, home in WEB_ONLY_IN.items() if home == module}
    found = {name for name in names if top(name) not in STDLIB and top(name) not in allowed}
    if layer == "web":
        found |= {name for name in names if name in WIRING}
    return found | placed


LAYERED = [
    pytest.param(module, path, id=module)
    for package in ("domain", "application", "infrastructure", "web")
    for module, path in modules(package)
]


@pytest.mark.parametrize(("module", "path"), LAYERED)
def test_every_module_imports_only_what_its_layer_may(module: str, path: Path) -> None:
    """domain: the standard library; application: the domain (and pydantic for its
    commands and results); infrastructure: anything but the web layer; web: the use cases
    and its frameworks, never an adapter (only the wiring modules build those)."""
    assert not violations(module, path), f"{module} imports {violations(module, path)}"


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("domain.planted", "import redis"),
        ("domain.planted", "from jinja2 import Template"),
        ("domain.planted", "from application import services"),
        ("application.planted", "from infrastructure import cache"),
        ("application.planted", "import sqlalchemy"),
        ("application.planted", "def later():\n    import quart"),
        ("infrastructure.planted", "from web import auth"),
        ("web.blueprints.planted", "from infrastructure.cache import MemoryCache"),
        ("web.blueprints.planted", "from redis import asyncio"),
        ("web.blueprints.planted", "import jinja2"),
        ("web.blueprints.planted", "from markdown_it import MarkdownIt"),
        ("web.planted", "from web import bootstrap"),
        ("web.planted", "from web.app import create_app"),
        ("domain.users", "import email_validator"),
        ("infrastructure.planted", "from email_validator import validate_email"),
        ("web.cli", "import email_validator"),
    ],
)
def test_a_planted_violation_fails_the_check(module: str, planted: str, tmp_path: Path) -> None:
    path = tmp_path / "planted.py"
    path.write_text(f"from __future__ import annotations\n\n{planted}\n", "utf-8")
    assert violations(module, path)


def test_what_each_layer_may_import_passes_the_check(tmp_path: Path) -> None:
    path = tmp_path / "fine.py"
    path.write_text("import asyncio\nfrom domain import errors\nfrom pydantic import BaseModel\n")
    assert not violations("application.fine", path)
    assert violations("domain.fine", path) == {"pydantic", "pydantic.BaseModel"}


def context_modules(context: str) -> list[str]:
    return [pattern.format(context) for pattern in CONTEXT_MODULES]


def crossings(context: str, path: Path) -> set[str]:
    """What a module of ``context`` imports from the other contexts."""
    theirs = {module for other in CONTEXTS if other != context for module in context_modules(other)}
    return {
        name
        for name in imported(path)
        if any(name == module or name.startswith(f"{module}.") for module in theirs)
    }


def module_path(module: str) -> Path:
    return SRC / f"{module.replace('.', '/')}.py"


@pytest.mark.parametrize("context", CONTEXTS)
def test_each_context_has_a_module_in_every_layer_and_its_blueprint_is_wired(
    context: str,
) -> None:
    from web.bootstrap import feature_blueprints

    missing = [module for module in context_modules(context) if not module_path(module).is_file()]
    assert not missing, f"{context} has no {missing}"
    assert context in {blueprint.name for blueprint in feature_blueprints()}


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_context_imports_no_other_context(context: str) -> None:
    for module in context_modules(context):
        assert not crossings(context, module_path(module)), module


def test_a_context_importing_another_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CONTEXTS", ("invitations", "notes"))
    path = tmp_path / "notes.py"
    path.write_text("from domain.invitations import Invitation\nfrom domain import events\n")
    assert crossings("notes", path) == {"domain.invitations", "domain.invitations.Invitation"}
    assert not crossings("invitations", path)


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
        GATEHOUSE_ENV="test",
        SECRET_KEY="k" * 40,
        INSTANCE_PATH=tmp_path_factory.mktemp("i"),
        REQUEST_IP_LIMIT=10_000,  # these tests call every route, many times over
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
