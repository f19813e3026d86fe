"""A small HTTP client for what the benchmark prepares before wrk runs: cookies of a
signed-out and a signed-in browser, an API token, and checks that a page answers as
expected. Cookies are kept by hand: production cookies are Secure, and a cookie jar
would not send them back over the plain http the benchmark uses on loopback."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT = 30


class UnexpectedAnswer(Exception):
    """The server answered something the benchmark cannot go on with."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def fetch(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request, no redirects followed."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


class Connection:
    """One keep-alive connection to a server, request after request on the same socket
    (no new connection's set-up in what a request takes)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self._http = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, TIMEOUT)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None) -> Answer:
        self._http.request(method, path, headers=headers or {})
        response = self._http.getresponse()
        return Answer(response.status, response.getheaders(), response.read())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class Browser:
    """Keeps cookies across requests to one server, as a browser would."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> Answer:
        return self._keep(fetch(self.base, "GET", path, headers=self._headers()))

    def post_form(self, path: str, form: dict[str, str]) -> Answer:
        headers = {**self._headers(), "Content-Type": "application/x-www-form-urlencoded"}
        return self._keep(fetch(self.base, "POST", path, headers=headers, body=_form(form)))

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in sorted(self.cookies.items()))

    def _headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie_header()} if self.cookies else {}

    def _keep(self, answer: Answer) -> Answer:
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                self._set(value)
        return answer

    def _set(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel.value and morsel["max-age"] not in ("0",):
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)


def _form(values: dict[str, str]) -> bytes:
    return urlencode(values).encode()


def csrf_token(page: Answer) -> str:
    found = CSRF_INPUT.search(page.text())
    if found is None:
        raise UnexpectedAnswer(f"no CSRF token in the page (status {page.status})")
    return found.group(1)


def signed_out_cookie(base: str) -> str:
    """The Cookie header of a signed-out visitor who has seen the home page once."""
    browser = Browser(base)
    expect(browser.get("/"), 200, "GET /")
    return browser.cookie_header()


def signed_in_cookie(base: str, login: str, password: str) -> str:
    """Sign in through the form, then open the members page until no cookie changes
    (the welcome message is shown once): the Cookie header a signed-in browser sends."""
    browser = Browser(base)
    token = csrf_token(expect(browser.get("/"), 200, "GET /"))
    form = {"csrf_token": token, "login": login, "password": password}
    expect(browser.post_form("/", form), 303, f"signing in as {login}")
    expect(browser.get("/users/"), 200, "GET /users/ after signing in")
    settled = expect(browser.get("/users/"), 200, "GET /users/ again")
    if any(name.lower() == "set-cookie" for name, _ in settled.headers):
        raise UnexpectedAnswer("the members page still changes cookies on every request")
    return browser.cookie_header()


def api_token(base: str, login: str, password: str) -> str:
    """A bearer token from the API's sign-in."""
    body = json.dumps({"login": login, "password": password}).encode()
    answer = fetch(
        base,
        "POST",
        "/api/v1/sessions",
        headers={"Content-Type": "application/json"},
        body=body,
    )
    token = json.loads(expect(answer, 201, "POST /api/v1/sessions").body)["token"]
    if not isinstance(token, str):
        raise UnexpectedAnswer("the API's sign-in gave no token")
    return token


def expect(answer: Answer, status: int, what: str) -> Answer:
    if answer.status != status:
        raise UnexpectedAnswer(f"{what}: expected {status}, got {answer.status}")
    return answer
