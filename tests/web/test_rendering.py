"""Pages are rendered synchronously: one plain call, no async machinery inside the template."""

from __future__ import annotations

import gc
import inspect

import pytest
from quart import Quart
from quart.testing import QuartClient

from web import rendering
from web.cli import freeze_startup_objects

from .conftest import Account, sign_in


async def test_the_template_environment_is_not_async(app: Quart) -> None:
    assert app.jinja_env.is_async is False


async def test_no_template_compiles_to_async_code(app: Quart) -> None:
    names = app.jinja_env.list_templates(extensions=["html"])
    assert "_forms.html" in names and "layout.html" in names
    for name in names:
        render_function = app.jinja_env.get_template(name).root_render_func
        assert not inspect.isasyncgenfunction(render_function), name


async def test_pages_using_the_form_macros_flashes_and_the_nav_still_render(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    members = await client.get("/users/")
    html = await members.get_data(as_text=True)
    assert members.status_code == 200
    assert f"Welcome, {account.user.full_name}." in html and "Sign out" in html
    profile = await (await client.get("/users/me")).get_data(as_text=True)
    assert 'name="first_name"' in profile and 'name="csrf_token"' in profile


async def test_the_environment_is_made_synchronous_only_before_its_first_use() -> None:
    app = Quart(__name__)
    assert app.jinja_env.is_async  # Quart's own, now created
    with pytest.raises(RuntimeError):
        rendering.register_templates(app)


async def test_serving_compiles_every_page_template_and_freezes_what_start_up_made(
    app: Quart,
) -> None:
    names = app.jinja_env.list_templates(extensions=["html"])
    assert app.jinja_env.cache is not None
    app.jinja_env.cache.clear()
    try:
        await freeze_startup_objects(app)
        assert gc.get_freeze_count() > 0
        compiled = {template.name for template in app.jinja_env.cache.values()}
    finally:
        gc.unfreeze()
    assert compiled == set(names)
