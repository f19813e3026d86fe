"""``GET /metrics``: the process's numbers for Prometheus, behind a bearer token.

Off unless METRICS_TOKEN is set: then there is no such route, and /metrics is a 404 like
any unknown page. On, a request without the right token gets the same 404, so a
stranger cannot tell whether metrics are on (Prometheus reports the failed scrape by
its status either way). The token is compared in constant time.

The route takes its place in the per-address ``request`` limit like every page: a
scrape every few seconds fits well within it, and a client guessing tokens is slowed
like any other.

Each request is labelled by its route's rule (``/users/<uuid:user_id>``), never its
path, and ``(unmatched)`` when no route matched, so the labels stay a short list
whatever addresses are asked for.
"""

from __future__ import annotations

import hmac
import time
from typing import Protocol

from quart import Quart, Response, abort, g, request

UNMATCHED = "(unmatched)"
ENDPOINT = "metrics"
READ = frozenset({"GET", "HEAD"})
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Exporter(Protocol):
    def begin(self) -> list[int]: ...
    def observe(self, begun: list[int], route: str, status: int, seconds: float) -> None: ...
    def exposition(self) -> tuple[bytes, str]: ...


def register_metrics(app: Quart, token: str | None, exporter: Exporter) -> None:
    """Observe every request and serve ``/metrics``, when a token is set."""
    if not token:
        return
    expected = f"Bearer {token}".encode()

    async def begin() -> None:
        g.metrics_begun = exporter.begin()
        g.metrics_started = time.perf_counter()

    async def observe(response: Response) -> Response:
        started = getattr(g, "metrics_started", None)
        if started is not None:
            rule = request.url_rule
            route = rule.rule if rule is not None else UNMATCHED
            elapsed = time.perf_counter() - started
            exporter.observe(g.metrics_begun, route, response.status_code, elapsed)
        return response

    async def metrics() -> Response:
        offered = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(offered, expected) or request.method not in READ:
            abort(404)
        body, content_type = exporter.exposition()
        return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})

    app.before_request_funcs.setdefault(None, []).insert(0, begin)
    app.after_request_funcs.setdefault(None, []).insert(0, observe)  # they run last first
    # Every method reaches the view (no automatic OPTIONS, no CSRF check), so only the
    # right token tells this page from an unknown one: a POST gets a 404, not a 405.
    app.add_url_rule(
        "/metrics", ENDPOINT, metrics, methods=METHODS, provide_automatic_options=False
    )
    if (csrf := app.extensions.get("csrf")) is not None:
        csrf.exempt(metrics)
