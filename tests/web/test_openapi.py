"""The OpenAPI document (/openapi.json) and the reference rendered from it (/docs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from quart import Quart
from quart.testing import QuartClient
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

API = "/api/v1"
PROBLEM = "application/problem+json"
PROBLEM_FIELDS = {"type", "title", "status", "detail"}
NO_CONTENT = {
    ("delete", f"{API}/sessions/current"),
    ("delete", f"{API}/sessions/{{session_id}}"),
    ("post", f"{API}/password-resets/{{token}}"),
    ("post", f"{API}/users/me/two-factor/disable"),
    ("post", f"{API}/users/me/passkeys/{{passkey_id}}/remove"),
    ("delete", f"{API}/admin/users/{{user_id}}/passkeys/{{passkey_id}}"),
    ("post", f"{API}/admin/users/{{user_id}}/verification-link"),
    ("delete", f"{API}/users/me"),
    ("delete", f"{API}/admin/users/{{user_id}}"),
    ("delete", f"{API}/admin/invitations/{{invitation_id}}"),
}
METHODS = {"get", "put", "post", "delete", "patch"}
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)

SITE = "localhost"  # the test client's host

Document = dict[str, Any]


@pytest.fixture
async def document(client: QuartClient) -> Document:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    found: Document = await response.get_json()
    return found


def api_rules(app: Quart) -> Iterator[tuple[str, str, Any]]:
    """(method, OpenAPI path, view) of every route under /api/v1."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{API}/"):
            path = _CONVERTER.sub(r"{\1}", rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield method.lower(), path, app.view_functions[rule.endpoint]


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def elsewhere(link: str) -> bool:
    """A link that leaves the site: absolute or protocol-relative, to another host."""
    parts = urlsplit(link)
    return bool(parts.netloc or "http" in link.lower()) and parts.hostname != SITE


def resolve(document: Document, schema: Document) -> Document:
    """Follow a local ``$ref`` (``#/components/schemas/Name``) to its schema."""
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = document["components"]["schemas"][name]
    return schema


def property_names(node: Any) -> Iterator[str]:
    """Every property name declared anywhere below ``node``."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in node.values():
            yield from property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from property_names(value)


def expanded(document: Document, schema: Document, seen: frozenset[str] = frozenset()) -> Any:
    """``schema`` with every local reference replaced by what it names."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return {}
        return expanded(document, resolve(document, schema), seen | {schema["$ref"]})
    return {
        key: expanded(document, value, seen)
        if isinstance(value, dict)
        else [expanded(document, item, seen) if isinstance(item, dict) else item for item in value]
        if isinstance(value, list)
        else value
        for key, value in schema.items()
    }


async def test_the_document_is_openapi_3_1_with_bearer_and_cookie_schemes(
    document: Document,
) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] == "Gatehouse"
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    assert schemes["cookie"]["type"] == "apiKey"
    assert schemes["cookie"]["in"] == "cookie"
    assert schemes["cookie"]["name"] == "gatehouse_auth"
    for method, path, operation in operations(document):
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes), (method, path)


async def test_every_api_route_is_documented_with_its_methods(
    app: Quart, document: Document
) -> None:
    routes = {(method, path) for method, path, _ in api_rules(app)}
    documented = {(method, path) for method, path, _ in operations(document)}
    assert len(routes) >= 20
    assert routes - documented == set()
    assert {op for op in documented if op[1].startswith(API)} == routes


async def test_signed_in_operations_name_bearer_or_cookie(document: Document) -> None:
    me = document["paths"][f"{API}/users/me"]["get"]
    assert {"bearer": []} in me["security"]
    assert {"cookie": []} in me["security"]
    assert "security" not in document["paths"][f"{API}/sessions"]["post"]


async def test_every_operation_with_a_json_body_declares_its_schema(
    app: Quart, document: Document
) -> None:
    with_body = set()
    for method, path, view in api_rules(app):
        if getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None) is None:
            continue
        with_body.add((method, path))
        body = document["paths"][path][method]["requestBody"]
        schema = resolve(document, body["content"]["application/json"]["schema"])
        assert schema["type"] == "object", (method, path)
        assert schema["properties"], (method, path)
    assert {
        ("post", f"{API}/users"),
        ("post", f"{API}/sessions"),
        ("patch", f"{API}/users/me"),
        ("post", f"{API}/users/me/password"),
        ("post", f"{API}/password-resets"),
        ("post", f"{API}/password-resets/{{token}}"),
        ("post", f"{API}/admin/roles"),
    } <= with_body


async def test_every_operation_declares_a_success(document: Document) -> None:
    for method, path, operation in operations(document):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, (method, path)
        if (method, path) in NO_CONTENT:
            assert successes == ["204"], (method, path)
            assert "content" not in operation["responses"]["204"], (method, path)
        else:
            for code in successes:
                content = operation["responses"][code]["content"]
                assert content["application/json"]["schema"], (method, path, code)


async def test_every_problem_response_is_a_problem_document(document: Document) -> None:
    problems = 0
    for method, path, operation in operations(document):
        for code, response in operation["responses"].items():
            if int(code) < 400:
                continue
            problems += 1
            assert set(response["content"]) == {PROBLEM}, (method, path, code)
            reference = response["content"][PROBLEM]["schema"]
            assert reference == {"$ref": "#/components/schemas/Problem"}, (method, path, code)
    assert problems > 50
    schema = document["components"]["schemas"]["Problem"]
    assert set(schema["properties"]) >= PROBLEM_FIELDS
    assert set(schema["required"]) >= PROBLEM_FIELDS
    assert schema["properties"]["status"]["type"] == "integer"


async def test_no_schema_has_a_hash_and_no_response_has_a_password(document: Document) -> None:
    names = set(property_names(document))
    assert {"username", "email", "password"} <= names
    assert not [name for name in names if "hash" in name.lower()]
    user = document["components"]["schemas"]["UserDetail"]
    assert {"id", "username", "email", "roles"} <= set(user["properties"])
    assert not [name for name in user["properties"] if "password" in name.lower()]
    for method, path, operation in operations(document):
        for code, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                shown = set(property_names(expanded(document, media["schema"])))
                assert not [n for n in shown if "password" in n or "hash" in n], (
                    method,
                    path,
                    code,
                )


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (f"{API}/users", {"username", "email"}),
        (f"{API}/sessions", {"login"}),
    ],
)
async def test_register_and_sign_in_bodies_carry_examples(
    document: Document, path: str, fields: set[str]
) -> None:
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    schema = resolve(document, body["schema"])
    for field in fields:
        assert schema["properties"][field]["examples"], field


async def test_docs_lists_every_path_from_local_files_only(
    client: QuartClient, document: Document
) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = await response.get_data(as_text=True)
    for method, path, _ in operations(document):
        shown = path.replace("/", "/<wbr>")  # a long path may break after any slash
        assert f"<code>{shown}</code>" in html, path
        assert f">{method.upper()}</span> <code>{shown}</code></h2>" in html, (method, path)
    links = _LINK.findall(html)
    assert links
    assert [link for link in links if elsewhere(link)] == []
    assert "http" not in "".join(re.findall(r"(?i)<script\b[^>]*>", html))


# Every operation documented for a person: summary, description, fields, responses


def operation_gaps(document: Document) -> list[tuple[str, str, str]]:
    """(method, path, what is missing) for every operation not fully described: a
    one-line summary that is a sentence, and a description that starts one (not the
    rest of a summary cut in half)."""
    gaps = []
    for method, path, operation in operations(document):
        summary = operation.get("summary", "")
        description = operation.get("description", "")
        if not summary or "\n" in summary or not summary.endswith(".") or len(summary) > 70:
            gaps.append((method, path, "summary"))
        if not description or not (description[0].isupper() or description[0] in "`*"):
            gaps.append((method, path, "description"))
    return gaps


def kinds(schema: Document) -> set[str]:
    """The JSON types a property may take (``anyOf`` included), or its model's name."""
    if "$ref" in schema:
        return {schema["$ref"]}
    found = {schema["type"]} if "type" in schema else set()
    for each in schema.get("anyOf", []):
        found |= kinds(each)
    return found


def body_gaps(document: Document) -> list[tuple[str, str, str]]:
    """(method, path, field) for every request-body property without a description, a
    type or an example, and every text without a length limit."""
    gaps = []
    for method, path, operation in operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        schema = resolve(document, body["schema"])
        for name, prop in schema.get("properties", {}).items():
            texts = [prop, *prop.get("anyOf", [])]
            unbounded = "string" in kinds(prop) and not any("maxLength" in t for t in texts)
            if (
                not prop.get("description")
                or not kinds(prop)
                or not prop.get("examples")
                or unbounded
            ):
                gaps.append((method, path, name))
    return gaps


async def test_every_operation_has_a_summary_and_a_whole_description(document: Document) -> None:
    assert operation_gaps(document) == []


async def test_every_request_body_field_has_a_description_a_type_limits_and_an_example(
    document: Document,
) -> None:
    assert body_gaps(document) == []


async def test_every_parameter_is_described(document: Document) -> None:
    described = [
        (parameter["in"], bool(parameter.get("description")))
        for _, _, operation in operations(document)
        for parameter in operation.get("parameters", [])
    ]
    assert {where for where, _ in described} == {"path", "query"}
    assert [each for each in described if not each[1]] == []


def test_the_checks_find_what_is_planted() -> None:
    """An operation cut in half and a bare body field are caught."""
    planted: Document = {
        "paths": {
            "/x": {
                "post": {
                    "summary": "Sign in: the token is the key of a new session; revoke it by",
                    "description": "signing out.",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "bare": {"type": "string", "maxLength": 3},
                                        "unbounded": {
                                            "type": "string",
                                            "description": "d",
                                            "examples": ["e"],
                                        },
                                        "fine": {
                                            "anyOf": [{"type": "string", "maxLength": 3}],
                                            "description": "d",
                                            "examples": ["e"],
                                        },
                                    },
                                }
                            }
                        }
                    },
                    "responses": {},
                }
            }
        }
    }
    assert operation_gaps(planted) == [("post", "/x", "summary"), ("post", "/x", "description")]
    assert body_gaps(planted) == [("post", "/x", "bare"), ("post", "/x", "unbounded")]


def operation_section(html: str, operation_id: str) -> str:
    """The part of /docs about one operation."""
    return html.split(f'id="{operation_id}"', 1)[1].split("</section>", 1)[0]


async def test_responses_are_listed_in_numeric_order(app: Quart, client: QuartClient) -> None:
    schema = app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    for method, path, operation in operations(schema):
        listed = [int(status) for status in operation["responses"]]
        assert listed == sorted(listed), (method, path)
    html = await (await client.get("/docs")).get_data(as_text=True)
    section = operation_section(html, "post_register")
    shown = [int(code) for code in re.findall(r"<dt><code>(\d{3})</code></dt>", section)]
    assert shown == [201, 202, 400, 403, 409, 413, 415, 422, 429]


async def test_every_problem_response_says_what_it_means(document: Document) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            assert response["description"], (method, path, status)
    sign_in = document["paths"][f"{API}/sessions"]["post"]["responses"]
    assert "Retry-After" in sign_in["429"]["description"]


async def test_administrator_operations_say_so_and_document_the_403(document: Document) -> None:
    for method, path, operation in operations(document):
        admin = path.startswith(f"{API}/admin/")
        assert ("Administrators only" in operation["description"]) == admin, (method, path)
        if admin:
            assert "403" in operation["responses"], (method, path)
    assert len([path for path in document["paths"] if path.startswith(f"{API}/admin/")]) >= 6


async def test_docs_renders_the_markdown_fields_and_responses(client: QuartClient) -> None:
    html = await (await client.get("/docs")).get_data(as_text=True)
    assert "`" not in html  # every code span rendered
    assert "**" not in html
    assert "<strong>Administrators only:</strong>" in html
    sign_in = operation_section(html, "post_sign_in")
    assert '<p class="summary">Sign in and get a bearer token.</p>' in sign_in
    assert "<p><code>login</code> is the username or the e-mail address." in sign_in
    login = sign_in.split("<dt><code>login</code>")[1].split("</dd>")[0]
    assert '<span class="type">string</span>' in login
    assert '<span class="required">required</span>' in login
    assert "1 to 254 characters." in login
    assert "Example: <code>&#34;ada&#34;</code>" in login
    members = operation_section(html, "get_members")
    assert "<dt><code>limit</code>" in members
    assert "integer, in the query" in members
    assert "1 to 100; default: 20." in members


async def test_every_page_links_the_api_reference_in_its_footer(client: QuartClient) -> None:
    for path in ("/", "/about/", "/register/", "/docs"):
        html = await (await client.get(path)).get_data(as_text=True)
        footer = html.split('<footer class="footer">')[1]
        assert 'href="/docs"' in footer, path


async def test_a_sign_in_401_says_what_it_means_there(document: Document) -> None:
    """Elsewhere a 401 is a missing token; from the sign-in steps it is something else."""
    paths = document["paths"]
    usual = paths[f"{API}/users/me"]["get"]["responses"]["401"]["description"]
    sign_in = paths[f"{API}/sessions"]["post"]["responses"]["401"]["description"]
    code_step = paths[f"{API}/sessions/two-factor"]["post"]["responses"]["401"]["description"]
    assert "/problems/two-factor-required" in sign_in
    assert "/problems/invalid-challenge" in code_step
    assert usual.startswith("Not signed in")
