"""Property-based: schemathesis drives every /api/v1 operation of the app's own OpenAPI
document and checks every answer against what the document promises: on SQLite and on
PostgreSQL, signed in as a member and as an admin, signed out, with the document's own
examples, with ids that exist, and with data that breaks the schema. Bounded: a few
examples per operation and pass, the same every run, about a minute in all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from quart import Quart
from schemathesis import APIOperation, BaseSchema, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.errors import FailureGroup
from schemathesis.python import asgi

from application.commands import CreateUser
from application.results import UserDetail
from application.services import Services
from infrastructure.db.engine import make_engine
from infrastructure.settings import Settings, load_settings
from tests.conftest import empty_tables, unique_name
from tests.web.conftest import PASSWORD, with_test_address
from web.app import create_app
from web.bootstrap import build_runtime

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded and repeatable: a few examples per operation and pass, the same every run.
EXAMPLES = settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Never sent with the admin's token: it would end the session the run depends on.
NEVER_SIGNED_IN = frozenset({"DELETE /api/v1/sessions/current"})
HIGH = 1_000_000


@pytest.fixture
def api_settings(migrated_url: str, tmp_path: Path) -> Settings:
    """Each backend in turn, with limits out of reach."""
    return load_settings(
        GATEHOUSE_ENV="test",
        DATABASE_URL=migrated_url,
        SECRET_KEY="s" * 40,
        INSTANCE_PATH=tmp_path,
        REQUEST_IP_LIMIT=HIGH,
        SIGNIN_IP_LIMIT=HIGH,
        REGISTER_IP_LIMIT=HIGH,
        REGISTER_ATTEMPT_LIMIT=HIGH,
        RESET_IP_LIMIT=HIGH,
        RESET_ADDRESS_LIMIT=HIGH,
        SIGNIN_FAILURE_LIMIT=HIGH,
    )


@pytest.fixture
def api_app(api_settings: Settings, people: dict[str, UserDetail]) -> Iterator[Quart]:
    """An app of its own. Schemathesis serves it on an event loop of its own and starts
    it the way a server does, so the app's database engine lives on that loop; it is
    shut down the same way afterwards."""
    app = with_test_address(create_app(api_settings))
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture
async def people(api_settings: Settings) -> AsyncIterator[dict[str, UserDetail]]:
    """An admin, a member and someone else (for the operations that take a user's id to
    reach their success), made on this loop; every row is removed afterwards."""
    runtime = build_runtime(api_settings)
    try:
        made = {
            "admin": await new_user(runtime.services, "root", "admin"),
            "member": await new_user(runtime.services, "member"),
            "target": await new_user(runtime.services, "target"),
        }
    finally:
        await runtime.close()
    yield made
    engine = make_engine(api_settings.effective_database_url)
    try:
        await empty_tables(engine)
    finally:
        await engine.dispose()


async def new_user(services: Services, prefix: str, *roles: str) -> UserDetail:
    name = unique_name(prefix)
    return await services.create_user(
        CreateUser(
            username=name, email=f"{name}@example.com", password=PASSWORD, roles=frozenset(roles)
        )
    )


def bearer_token(schema: BaseSchema, login: str) -> str:
    sign_in = schema["/api/v1/sessions"]["POST"].Case(body={"login": login, "password": PASSWORD})
    response = sign_in.call()
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def has_inputs(operation: APIOperation) -> bool:
    """Whether there is anything besides credentials to send wrong."""
    return any(
        len(container) > 0
        for container in (operation.path_parameters, operation.query, operation.body)
    )


def passes(
    operation: APIOperation, signed_in: dict[str, str], known: dict[str, str], *, anonymous: bool
) -> Iterator[tuple[str, st.SearchStrategy[Any]]]:
    """The ways to call ``operation``; ``known`` holds path parameters that exist."""
    if anonymous:
        yield "signed out", operation.as_strategy()
    if operation.label in NEVER_SIGNED_IN:
        return
    yield "signed in", operation.as_strategy(headers=signed_in)
    examples = operation.get_strategies_from_examples(headers=signed_in)
    if examples:
        yield "signed in, documented examples", st.one_of(examples)
    existing = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    if existing:
        yield (
            "signed in, existing ids",
            operation.as_strategy(headers=signed_in, path_parameters=existing),
        )
    if has_inputs(operation):
        yield (
            "signed in, invalid data",
            operation.as_strategy(GenerationMode.NEGATIVE, headers=signed_in),
        )
        yield (
            "signed in, NUL in every text",
            operation.as_strategy(headers=signed_in, path_parameters=existing).map(with_nul),
        )


def nul_in(value: Any) -> Any:
    """``value`` with a NUL inside every string it holds, however deep."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:]
    if isinstance(value, dict):
        return {key: nul_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nul_in(item) for item in value]
    return value


def with_nul(case: Any) -> Any:
    """A valid call with a NUL in each of its texts (PostgreSQL refuses NUL in text; none
    may get that far)."""
    for part in ("query", "body"):
        if isinstance(getattr(case, part), dict):
            setattr(case, part, nul_in(getattr(case, part)))
    case.path_parameters = {
        name: value if name == "user_id" else nul_in(value)
        for name, value in (case.path_parameters or {}).items()
    }
    return case


def exercise(strategy: st.SearchStrategy[Any]) -> None:
    @given(case=strategy)
    @EXAMPLES
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    run()


# Mail goes out on the app's loop thread (``email.utils`` draws from ``random``) while the
# next case is drawn here: Hypothesis sees the global state move and blames the strategy.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)
@pytest.mark.parametrize("role", ["member", "admin"])
def test_every_operation_answers_as_documented(
    api_app: Quart, people: dict[str, UserDetail], role: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app).include(
        path_regex="^/api/v1/"
    )
    me = people[role]
    signed_in = {"Authorization": f"Bearer {bearer_token(schema, me.username)}"}
    known = {"user_id": str(people["target"].id), "role": "admin"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: dict[str, str] = {}
    for operation in operations:
        for name, strategy in passes(operation, signed_in, known, anonymous=role == "admin"):
            try:
                exercise(strategy)
            except (FailureGroup, Exception) as error:  # collected, reported together below
                failures[f"{operation.label} ({name})"] = str(error)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # The account stayed signed in throughout, so the signed-in passes really were.
    answer = schema["/api/v1/users/me"]["GET"].Case().call(headers=signed_in)
    assert answer.status_code == 200
    assert answer.json()["id"] == str(me.id)
