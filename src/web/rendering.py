"""Pages rendered by a synchronous Jinja environment: nothing a template calls awaits
(flashed messages, ``url_for``, the CSRF token are plain functions; what a page needs
from the services is fetched by its view), so Quart's async rendering (``render_async``,
``auto_await`` on every call, async macro invocation) was pure cost."""

from __future__ import annotations

from typing import Any

import jinja2
from quart import Quart, current_app


class SyncEnvironment(jinja2.Environment):
    """Quart's environment (its loader over the app's and the blueprints' templates, its
    globals and filters, set by ``Quart.create_jinja_environment``) without async mode."""

    def __init__(self, app: Quart, **options: Any) -> None:
        options.setdefault("loader", app.create_global_jinja_loader())
        options["enable_async"] = False
        super().__init__(**options)


def register_templates(app: Quart) -> None:
    """Make ``app.jinja_env`` synchronous; call it before anything touches that property
    (it is created once, on first use)."""
    if "jinja_env" in vars(app):
        raise RuntimeError("register_templates must run before app.jinja_env is first used")
    app.jinja_environment = SyncEnvironment  # type: ignore[assignment]


async def render(template: str, **context: Any) -> str:
    """The page ``template`` with ``context`` and the context processors' values (which
    may await, and run first on the loop); the rendering itself never awaits. Every page
    goes through here: ``quart.render_template`` would refuse a synchronous environment."""
    app: Quart = current_app._get_current_object()  # type: ignore[attr-defined]
    await app.update_template_context(context)
    return app.jinja_env.get_or_select_template(template).render(context)


def preload_templates(app: Quart) -> int:
    """Compile every page template now (at start-up) rather than on its first request;
    returns how many."""
    environment = app.jinja_env
    names = environment.list_templates(extensions=("html",))
    for name in names:
        environment.get_template(name)
    return len(names)


async def confirmation(*, title: str, message: str, button: str, action: str, cancel: str) -> str:
    """A page that asks before a change that is hard to undo: opening it changes nothing;
    its danger button ``button`` posts the form (CSRF token included) to ``action``, the
    route that makes the change, and Cancel goes back to ``cancel``. No script needed."""
    return await render(
        "confirm.html", title=title, message=message, button=button, action=action, cancel=cancel
    )
