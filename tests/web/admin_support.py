"""Helpers for the administration pages' tests: posting as an admin, reading what a
page shows (its flash, the grant form's error, the audit trail's rows) and the data."""

from __future__ import annotations

import html
import re
import uuid

from quart import Response
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import roles, user_roles, users
from tests.web.conftest import csrf_token

AUDIT_COLUMNS = ("when", "event", "about", "by", "from", "details")


async def post(client: QuartClient, path: str, data: dict[str, str] | None = None) -> Response:
    token = await csrf_token(client, "/users/me")
    return await client.post(path, form={**(data or {}), "csrf_token": token})


async def flash_after(client: QuartClient, response: Response) -> str:
    assert response.status_code == 303, await response.get_data(as_text=True)
    page = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    found = re.search(r'class="flash flash-\w+" role="status">([^<]*)<', page)
    assert found, "no flash message"
    return html.unescape(found.group(1))


def role_error(page: str) -> str:
    """The message shown under the grant form's role select."""
    found = re.search(r'<p class="error" id="role-error">([^<]*)</p>', page)
    assert found, "no error under the role select"
    return html.unescape(found.group(1))


async def roles_of(engine: AsyncEngine, user_id: uuid.UUID) -> set[str]:
    query = (
        select(roles.c.name)
        .join(user_roles, user_roles.c.role_id == roles.c.id)
        .where(user_roles.c.user_id == user_id)
    )
    async with engine.connect() as connection:
        return set((await connection.execute(query)).scalars())


async def is_active(engine: AsyncEngine, user_id: uuid.UUID) -> bool:
    query = select(users.c.active).where(users.c.id == user_id)
    async with engine.connect() as connection:
        return bool((await connection.execute(query)).scalar_one())


def audit_rows(page: str) -> list[dict[str, str]]:
    """The audit trail's rows as text, by column: {"event": "Role granted", ...}."""
    if "<tbody>" not in page:
        return []
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = (map(_text, re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)) for row in rows)
    return [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in cells]


def _text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
