"""The audit trail reads like English: events as words, visitors as visitors, the user
filter by name, the event filter a list of the known events, times with their zone."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime

import pytest
from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import Actor
from application.results import UserDetail
from domain import audit
from infrastructure.db.tables import audit_events
from tests.web.admin_support import audit_rows, post
from tests.web.conftest import Account, post_form
from web.runtime import SERVICES

TIME = re.compile(r'<time datetime="([^"]+)">([^<]+)</time>')
NBSP = "\u00a0"  # the parts of a time stay together; a line may break after its comma
SHOWN = re.compile(rf"\d{{1,2}}{NBSP}[A-Z][a-z]{{2}}{NBSP}\d{{4}}, \d\d:\d\d(:\d\d)?{NBSP}UTC")


async def audit_page(client: QuartClient, **args: str) -> str:
    response = await client.get("/admin/audit/", query_string=args)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_events_are_named_in_words_not_class_names(
    as_admin: QuartClient, account: Account
) -> None:
    await post(as_admin, "/admin/roles/", {"name": "editors"})
    await post(as_admin, f"/admin/users/{account.user.id}/roles", {"role": "editors"})
    events = [row["event"] for row in audit_rows(await audit_page(as_admin))]
    assert events[:2] == ["Role granted", "Role created"]
    assert {"Signed in", "Account created"} <= set(events)
    assert not any(re.fullmatch(r"([A-Z][a-z]+){2,}", event) for event in events)


async def test_a_failed_sign_in_and_a_reset_request_are_by_a_visitor(
    app: Quart, as_admin: QuartClient, account: Account
) -> None:
    stranger = app.test_client()
    await post_form(stranger, "/", {"login": account.user.username, "password": "not it at all"})
    await post_form(stranger, "/reset-password/", {"email": account.user.email})
    rows = audit_rows(await audit_page(as_admin, user=str(account.user.id)))
    by = {row["event"]: row["by"] for row in rows}
    assert by["Sign-in failed"] == "visitor"
    assert by["Password reset requested"] == "visitor"


async def test_entries_written_before_visitors_had_no_actor_still_show_a_visitor(
    as_admin: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    async with web_engine.begin() as connection:
        await connection.execute(
            insert(audit_events),
            {
                "id": uuid.uuid4(),
                "occurred_at": datetime.now(UTC),
                "event_type": "LoginFailed",
                "user_id": account.user.id,
                "actor_id": account.user.id,
                "ip": "198.51.100.7",
                "details": {},
            },
        )
    rows = audit_rows(await audit_page(as_admin, type="LoginFailed"))
    assert [(row["about"], row["by"]) for row in rows] == [(account.user.username, "visitor")]


async def test_the_user_filter_names_the_user_not_their_id(
    as_admin: QuartClient, account: Account
) -> None:
    page = await audit_page(as_admin, user=str(account.user.id))
    note = re.search(r'<p class="muted">Only events about (.*?)</p>', page, re.S)
    assert note
    assert note.group(1).startswith(f"{account.user.username}.")
    assert str(account.user.id) not in note.group(1)
    assert {row["about"] for row in audit_rows(page)} == {account.user.username}


async def test_the_event_filter_is_a_select_of_every_known_event(as_admin: QuartClient) -> None:
    page = await audit_page(as_admin, type="rolegranted")
    select = re.search(r'<select id="type" name="type">(.*?)</select>', page, re.S)
    assert select
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert options[0] == ("", "", "All events")
    assert {(value, label) for value, _, label in options[1:]} == {
        (kind.__name__, label) for kind, label in audit.EVENT_LABELS.items()
    }
    assert [value for value, chosen, _ in options if chosen] == ["RoleGranted"]


@pytest.mark.parametrize("typed", ["RoleGranted", "rolegranted", "ROLEGRANTED", "Role granted"])
async def test_the_event_filter_ignores_letter_case_and_takes_the_label(
    as_admin: QuartClient, typed: str
) -> None:
    rows = audit_rows(await audit_page(as_admin, type=typed))
    assert rows, "the admin's own role grant is in the trail"
    assert {row["event"] for row in rows} == {"Role granted"}


async def test_an_event_type_nobody_knows_matches_nothing(as_admin: QuartClient) -> None:
    page = await audit_page(as_admin, type="NoSuchThing")
    assert audit_rows(page) == []
    assert "No events match." in page


@pytest.mark.parametrize("path", ["/admin/audit/", "/admin/users/", "/admin/users/{id}"])
async def test_every_time_shown_carries_its_zone(
    as_admin: QuartClient, admin: UserDetail, path: str
) -> None:
    page = await (await as_admin.get(path.format(id=admin.id))).get_data(as_text=True)
    times = TIME.findall(page)
    assert len(times) >= 2
    for instant, shown in times:
        assert datetime.fromisoformat(instant).utcoffset() is not None
        assert SHOWN.fullmatch(html.unescape(shown)), shown


async def test_a_change_made_from_the_command_line_says_so(
    app: Quart, as_admin: QuartClient, account: Account
) -> None:
    await app.extensions[SERVICES].deactivate_user(account.user.id, Actor.system("cli"))
    rows = audit_rows(await audit_page(as_admin, user=str(account.user.id)))
    assert {"event": "Account deactivated", "by": "the command line"}.items() <= rows[0].items()
