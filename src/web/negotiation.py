"""Pages that show data answer JSON to a client that prefers it: the same body, paging
parameters and authentication (the session cookie) as their API twin, which answers in
their place. Browsers, which prefer HTML, see no difference but ``Vary: Accept``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from quart import Quart, Response, ResponseReturnValue, current_app, request

from web.problems import problem

# Each page that shows data, and the API operation that answers for it in JSON.
TWINS = {
    "users.members": "api.members",
    "users.profile": "api.profile",
    "users.sessions": "api.sessions",
    "admin.users": "api.users",
    "admin.user": "api.user",
    "admin.audit": "api.audit_events",
}
JSON, HTML = "application/json", "text/html"
NOT_ACCEPTABLE = (
    "This page is sent as text/html or application/json; the Accept header asks for neither."
)


def register_negotiation(app: Quart) -> None:
    """After authentication (the twin needs the viewer)."""
    app.before_request(answer_in_json)
    app.after_request(vary_by_accept)


async def answer_in_json() -> ResponseReturnValue | None:
    twin = TWINS.get(request.endpoint or "")
    if twin is None or request.method not in {"GET", "HEAD"}:
        return None
    wanted = preferred()
    if wanted == HTML:
        return None
    if wanted is None:
        return problem(406, NOT_ACCEPTABLE, code="not_acceptable")
    view = cast(Callable[..., Awaitable[ResponseReturnValue]], current_app.view_functions[twin])
    return await view(**(request.view_args or {}))  # API views are all async


def preferred() -> str | None:
    """HTML unless JSON is preferred by a higher quality (a tie is a browser's), None
    when neither is acceptable."""
    accepted = request.accept_mimetypes
    if not accepted:  # no Accept header: anything will do
        return HTML
    best = accepted.best_match([HTML, JSON])
    if best is None:
        return None
    if best == JSON and accepted[JSON] > accepted[HTML]:
        return JSON
    return HTML


async def vary_by_accept(response: Response) -> Response:
    if request.endpoint in TWINS:
        response.vary.add("Accept")
    return response
