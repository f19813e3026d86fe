"""Reading the audit trail as an administrator, on in-memory fakes."""

from __future__ import annotations

import uuid

import pytest

from application.commands import Actor, AuditQuery, RoleChange
from application.results import AuditPage, UserDetail
from application.services import Services
from domain import errors
from tests.fakes import FakeClock, FakeState
from tests.unit.application.helpers import CLIENT, WRONG, SignUp, acting, credentials


async def walk(services: Services, actor: Actor, query: AuditQuery) -> list[AuditPage]:
    """Every page of ``query``, following ``before`` until it is None (at most 50)."""
    pages = [await services.list_audit(query, actor)]
    while pages[-1].before is not None and len(pages) < 50:
        query = query.model_copy(update={"before": pages[-1].before})
        pages.append(await services.list_audit(query, actor))
    return pages


@pytest.fixture
async def story(
    services: Services, clock: FakeClock, make_admin: SignUp, sign_up: SignUp
) -> tuple[UserDetail, UserDetail, UserDetail]:
    """root created (two entries), alice and bob registered a minute apart each, then
    root makes alice an admin: six entries at four distinct times."""
    root = await make_admin("root")
    clock.advance(minutes=1)
    alice = await sign_up("alice")
    clock.advance(minutes=1)
    bob = await sign_up("bob")
    clock.advance(minutes=1)
    await services.grant_role(RoleChange(user_id=alice.id, role="admin"), acting(root))
    return root, alice, bob


async def test_the_audit_trail_lists_the_newest_entries_first(
    services: Services,
    clock: FakeClock,
    story: tuple[UserDetail, UserDetail, UserDetail],
) -> None:
    root, alice, bob = story
    page = await services.list_audit(AuditQuery(), acting(root))
    assert [(r.event_type, r.user_id, r.occurred_at) for r in page.items[:3]] == [
        ("RoleGranted", alice.id, clock.now()),
        ("UserRegistered", bob.id, clock.now().replace(minute=2)),
        ("UserRegistered", alice.id, clock.now().replace(minute=1)),
    ]
    assert {(r.event_type, r.user_id) for r in page.items[3:]} == {
        ("UserRegistered", root.id),
        ("RoleGranted", root.id),
    }
    assert page.before is None


async def test_audit_records_carry_the_actor_and_the_address(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail]
) -> None:
    root, alice, _ = story
    newest = (await services.list_audit(AuditQuery(limit=1), acting(root))).items[0]
    assert (newest.event_type, newest.user_id, newest.actor_id, newest.ip) == (
        "RoleGranted",
        alice.id,
        root.id,
        CLIENT.ip,
    )
    assert newest.details == {"role": "admin"}


async def test_the_audit_trail_filters_by_subject(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail]
) -> None:
    root, alice, _ = story
    alices = await services.list_audit(AuditQuery(user_id=alice.id), acting(root))
    assert [(r.event_type, r.user_id) for r in alices.items] == [
        ("RoleGranted", alice.id),
        ("UserRegistered", alice.id),
    ]
    roots = await services.list_audit(AuditQuery(user_id=root.id), acting(root))
    assert sorted((r.event_type, r.user_id) for r in roots.items) == [
        ("RoleGranted", root.id),
        ("UserRegistered", root.id),
    ]


async def test_the_audit_trail_filters_by_event_type(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail]
) -> None:
    root, alice, bob = story
    registered = await services.list_audit(AuditQuery(event_type="UserRegistered"), acting(root))
    assert [(r.event_type, r.user_id) for r in registered.items] == [
        ("UserRegistered", bob.id),
        ("UserRegistered", alice.id),
        ("UserRegistered", root.id),
    ]
    both = AuditQuery(user_id=alice.id, event_type="RoleGranted")
    assert [r.user_id for r in (await services.list_audit(both, acting(root))).items] == [alice.id]


@pytest.mark.parametrize("event_type", ["NoSuchEvent", "Registered", "user registered x"])
async def test_an_unknown_event_type_gives_an_empty_page(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail], event_type: str
) -> None:
    root, _, _ = story
    page = await services.list_audit(AuditQuery(event_type=event_type), acting(root))
    assert (page.items, page.before) == ((), None)


@pytest.mark.parametrize("event_type", ["userregistered", "USERREGISTERED", "account created"])
async def test_the_event_type_is_matched_in_any_case_or_by_its_label(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail], event_type: str
) -> None:
    root, _, _ = story
    page = await services.list_audit(AuditQuery(event_type=event_type), acting(root))
    assert [r.event_type for r in page.items] == ["UserRegistered"] * 3
    assert page.event_type == "UserRegistered"


async def test_a_page_about_one_user_carries_their_username(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail]
) -> None:
    root, alice, _ = story
    about_alice = await services.list_audit(AuditQuery(user_id=alice.id), acting(root))
    assert about_alice.user_name == alice.username
    everyone = await services.list_audit(AuditQuery(), acting(root))
    assert (everyone.user_name, everyone.event_type) == (None, None)


async def test_a_failed_sign_in_for_an_account_has_no_actor(
    services: Services, story: tuple[UserDetail, UserDetail, UserDetail]
) -> None:
    root, alice, _ = story
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials(alice.username, WRONG))
    failed = (await services.list_audit(AuditQuery(event_type="LoginFailed"), acting(root))).items
    assert [(r.user_id, r.user_name, r.actor_id, r.actor_name) for r in failed] == [
        (alice.id, alice.username, None, None)
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 11, 12, 200])
async def test_paging_by_before_walks_every_entry_once_newest_first(
    services: Services,
    state: FakeState,
    clock: FakeClock,
    make_admin: SignUp,
    sign_up: SignUp,
    limit: int,
) -> None:
    root = await make_admin("root")
    for name in ("amy", "ben", "cat", "dan", "eve"):  # five entries sharing one time
        await sign_up(name)
    for name in ("fay", "gus", "hal", "ivy", "jon"):
        clock.advance(seconds=1)
        await sign_up(name)
    assert len(state.audit) == 12

    pages = await walk(services, acting(root), AuditQuery(limit=limit))

    records = [r for page in pages for r in page.items]
    assert sorted(r.id for r in records) == sorted(e.id for e in state.audit)
    keys = [(r.occurred_at, r.id) for r in records]
    assert keys == sorted(keys, reverse=True)
    assert all(len(page.items) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1].items) <= limit
    assert pages[-1].before is None


async def test_paging_keeps_the_filters(
    services: Services, state: FakeState, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    for name in ("amy", "ben", "cat", "dan"):
        await sign_up(name)
    query = AuditQuery(event_type="UserRegistered", limit=2)

    pages = await walk(services, acting(root), query)

    assert [len(page.items) for page in pages] == [2, 2, 1]
    registered = {e.id for e in state.audit if e.event_type == "UserRegistered"}
    assert {r.id for page in pages for r in page.items} == registered


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("|", id="bar-only"),
        pytest.param(f"yesterday|{uuid.uuid4()}", id="bad-time"),
        pytest.param("2026-01-01T12:00:00+00:00|not-a-uuid", id="bad-id"),
        pytest.param("2026-01-01T12:00:00+00:00", id="no-id"),
        pytest.param(f"2026-01-01T12:00:00|{uuid.uuid4()}", id="time-without-offset"),
    ],
)
async def test_a_mangled_cursor_gives_the_first_page(
    services: Services, clock: FakeClock, make_admin: SignUp, sign_up: SignUp, cursor: str
) -> None:
    root = await make_admin("root")
    for name in ("amy", "ben", "cat"):
        clock.advance(minutes=1)
        await sign_up(name)
    first = await services.list_audit(AuditQuery(limit=2), acting(root))

    page = await services.list_audit(AuditQuery(limit=2, before=cursor), acting(root))

    assert page == first
    assert first.before is not None
