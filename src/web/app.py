"""The Quart application factory, assembled from small ``register_*`` steps."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart
from quart_schema import QuartSchema
from quart_wtf import CSRFProtect
from werkzeug.routing import Rule

from application.invitations import lifetime_in_words
from application.services import Services
from domain import password_policy
from domain.ports import RateLimit
from infrastructure.rate_limits import MemoryCounters
from infrastructure.settings import Settings
from web.admin_gate import register_admin_gate
from web.assets import register_assets
from web.auth import register_auth
from web.blueprints import (
    admin,
    deletion,
    docs,
    health,
    passkeys,
    password_reset,
    public,
    users,
    verification,
)
from web.blueprints.api import accounts as api_accounts  # noqa: F401 (registers routes)
from web.blueprints.api import admin as api_admin  # noqa: F401 (registers routes)
from web.blueprints.api import base as api
from web.blueprints.api import invitations as api_invitations  # noqa: F401 (registers routes)
from web.blueprints.api import passkeys as api_passkeys  # noqa: F401 (registers routes)
from web.blueprints.api import two_factor as api_two_factor  # noqa: F401 (registers routes)
from web.bootstrap import Runtime, build_runtime, feature_blueprints
from web.csrf import register_csrf_tokens
from web.errors import register_error_handlers
from web.formats import register_formats
from web.headers import register_headers, security_headers
from web.metrics import register_metrics
from web.negotiation import register_negotiation
from web.problems import use_strict_json
from web.rendering import register_templates
from web.request_log import register_request_log
from web.runtime import RUNTIME, SERVICES
from web.sessions import register_sessions
from web.throttling import register_rate_limits, use_counters


def create_app(settings: Settings, services: Services | None = None) -> Quart:
    """An app for ``settings``; pass ``services`` to run it on other adapters (tests)."""
    app = Quart(__name__, static_folder=None)  # servestatic serves /static/, see register_assets
    register_config(app, settings)
    register_templates(app)
    register_sessions(app)
    register_services(app, settings, services)
    register_proxy_fix(app, settings.trusted_proxy_hops)
    register_request_log(app)
    register_rate_limits(app, rate_limits(settings), MemoryCounters())
    register_auth(app, secure_cookies=settings.is_production, lifetime=settings.session_lifetime)
    register_admin_gate(app, required=settings.effective_admin_requires_two_factor)
    register_negotiation(app)
    register_csrf(app)
    register_prometheus(app, settings)
    register_api(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_headers(app, production=settings.is_production)
    register_assets(
        app, settings.static_root, headers=security_headers(production=settings.is_production)
    )
    app.jinja_env.globals["PASSWORD_MAX"] = password_policy.MAX_LENGTH
    app.jinja_env.globals["EMAIL_VERIFICATION"] = settings.email_verification
    app.jinja_env.globals["REGISTRATION"] = settings.registration
    app.jinja_env.globals["INVITATION_DAYS"] = lifetime_in_words(settings.invitation_max_age)
    register_formats(app)
    keep_context_processors_on_the_loop(app)
    return app


def keep_context_processors_on_the_loop(app: Quart) -> None:
    """Quart runs a plain-function context processor in a worker thread, so every page
    paid a thread hop per processor (the extensions' and Quart's own). They only put
    names in a dict: run them on the event loop instead."""
    for processors in app.template_context_processors.values():
        processors[:] = [_on_the_loop(each) for each in processors]


def _on_the_loop(
    processor: Callable[[], Any],
) -> Callable[[], Awaitable[dict[str, Any]]]:
    if inspect.iscoroutinefunction(processor):
        return processor

    async def run() -> dict[str, Any]:
        found: dict[str, Any] = processor()
        return found

    return run


def register_config(app: Quart, settings: Settings) -> None:
    app.secret_key = settings.secret()
    app.config.update(
        GATEHOUSE_ENV=settings.env,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        MEMBERS_PER_PAGE=settings.members_per_page,
        TRUSTED_BROWSER_DAYS=settings.trusted_browser_days,
        EMAIL_VERIFICATION=settings.email_verification,
        REGISTRATION=settings.registration,
        SESSION_COOKIE_NAME="gatehouse_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        TEMPLATES_AUTO_RELOAD=settings.env == "development",
    )


def register_services(app: Quart, settings: Settings, services: Services | None) -> None:
    """Use the given services, or build the real ones when serving starts (not at import)."""
    if services is not None:
        app.extensions[SERVICES] = services
        return
    runtime: list[Runtime] = []

    @app.before_serving
    async def start() -> None:
        runtime.append(build_runtime(settings))
        await runtime[0].start()
        app.extensions[SERVICES] = runtime[0].services
        app.extensions[RUNTIME] = runtime[0]
        use_counters(app, runtime[0].rate_counters)

    @app.after_serving
    async def stop() -> None:
        while runtime:
            await runtime.pop().close()


def register_prometheus(app: Quart, settings: Settings) -> None:
    """/metrics when METRICS_TOKEN is set (see web/metrics.py), watching the runtime
    built when serving starts."""
    if settings.metrics_token is None:
        return
    from infrastructure.metrics import PrometheusMetrics  # loaded only when on (0.6 MB)

    exporter = PrometheusMetrics()
    register_metrics(app, settings.metrics_token.get_secret_value(), exporter)

    @app.before_serving
    async def watch() -> None:
        if RUNTIME in app.extensions:
            exporter.watch(app.extensions[RUNTIME])


def register_proxy_fix(app: Quart, trusted_hops: int) -> None:
    """Behind N trusted proxies, take the client address and scheme from the N-th
    X-Forwarded-* entry from the right; with none, those headers are ignored."""
    if trusted_hops:
        app.asgi_app = ProxyFixMiddleware(  # type: ignore[method-assign]
            app.asgi_app, mode="legacy", trusted_hops=trusted_hops
        )


def rate_limits(settings: Settings) -> dict[str, RateLimit]:
    return {
        "request": RateLimit(settings.request_ip_limit, timedelta(minutes=1)),
        "sign_in": RateLimit(settings.signin_ip_limit, timedelta(minutes=1)),
        "register": RateLimit(settings.register_ip_limit, timedelta(hours=1)),
        "register_attempt": RateLimit(settings.register_attempt_limit, timedelta(minutes=1)),
        "reset_request": RateLimit(settings.reset_ip_limit, timedelta(hours=1)),
        # Links asked for again share the reset links' budget of an address.
        "verification": RateLimit(settings.reset_ip_limit, timedelta(hours=1)),
    }


def register_csrf(app: Quart) -> None:
    """Every POST form must carry the session's signed token (400 otherwise). The token
    lives as long as the session, so a form left open for an afternoon still works."""
    app.config.update(WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=True)
    CSRFProtect(app)
    register_csrf_tokens(app)


def register_api(app: Quart) -> None:
    """OpenAPI from the same pydantic models that validate requests (quart-schema);
    strict JSON decoding; the API checks CSRF itself (only cookie-authenticated calls
    need it)."""
    QuartSchema(
        app,
        openapi_provider_class=ApiOnlyProvider,
        info={"title": "Gatehouse", "version": "1"},
        openapi_path="/openapi.json",
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
        security_schemes={
            "bearer": {"type": "http", "scheme": "bearer"},
            "cookie": {"type": "apiKey", "in_": "cookie", "name": "gatehouse_auth"},
        },
    )
    use_strict_json(app)
    app.extensions["csrf"].exempt(api.blueprint)


class ApiOnlyProvider(api.ApiDocument):
    """The OpenAPI document describes the JSON API only, not the HTML pages."""

    def generate_rules(self) -> Iterable[Rule]:
        return (rule for rule in super().generate_rules() if rule.rule.startswith("/api/"))


def register_blueprints(app: Quart) -> None:
    for blueprint in (
        *feature_blueprints(),
        public.blueprint,
        password_reset.blueprint,
        users.blueprint,
        passkeys.blueprint,
        verification.blueprint,
        deletion.blueprint,
        admin.blueprint,
        api.blueprint,
        docs.blueprint,
        health.blueprint,
    ):
        app.register_blueprint(blueprint)
