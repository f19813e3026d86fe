"""Administering users on in-memory fakes: who may, searching, and (de)activating."""

from __future__ import annotations

import inspect
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from application import admin
from application.commands import (
    Actor,
    AuditQuery,
    CreateUser,
    DefineRole,
    RoleChange,
    SearchUsers,
)
from application.results import UserDetail, UserPage
from application.services import Services
from domain import errors
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import CLIENT, PASSWORD, SignUp, acting, credentials


@dataclass(frozen=True)
class Scene:
    """A populated service: an administrator, a member, a former administrator (now
    inactive), a ``target`` holding ``editors`` and an inactive ``dormant`` account."""

    root: UserDetail
    member: UserDetail
    former: UserDetail
    target: UserDetail
    dormant: UserDetail


AdminCall = Callable[[Services, Actor, Scene], Awaitable[object]]

# Valid arguments for every administrative use case; each write would change something.
USE_CASES: dict[str, AdminCall] = {
    "search_users": lambda s, a, x: s.search_users(SearchUsers(query="tar"), a),
    "get_user": lambda s, a, x: s.admin_get_user(x.target.id, a),
    "find_user": lambda s, a, x: s.find_user("target", a),
    "activate_user": lambda s, a, x: s.activate_user(x.dormant.id, a),
    "deactivate_user": lambda s, a, x: s.deactivate_user(x.target.id, a),
    "grant_role": lambda s, a, x: s.grant_role(RoleChange(user_id=x.target.id, role="viewers"), a),
    "revoke_role": lambda s, a, x: s.revoke_role(
        RoleChange(user_id=x.target.id, role="editors"), a
    ),
    "list_roles": lambda s, a, x: s.list_roles(a),
    "create_role": lambda s, a, x: s.create_role(DefineRole(name="writers"), a),
    "describe_role": lambda s, a, x: s.describe_role(
        DefineRole(name="editors", description="Edit every page."), a
    ),
    "delete_role": lambda s, a, x: s.delete_role("unused", a),
    "list_audit": lambda s, a, x: s.list_audit(AuditQuery(), a),
}
WRITES = {
    "activate_user",
    "deactivate_user",
    "grant_role",
    "revoke_role",
    "create_role",
    "describe_role",
    "delete_role",
}

Denied = Callable[[Scene], Actor]
DENIED: dict[str, Denied] = {
    "plain-member": lambda x: acting(x.member),
    "unknown-user": lambda x: Actor(user_id=uuid.uuid4(), name="ghost"),
    "deactivated-former-admin": lambda x: acting(x.former),
}


@pytest.fixture
async def scene(services: Services, sign_up: SignUp, make_admin: SignUp) -> Scene:
    system = Actor.system()
    root = await make_admin("root")
    former = await make_admin("former")
    await services.deactivate_user(former.id, system)
    for name in ("editors", "viewers", "unused"):
        await services.create_role(DefineRole(name=name), system)
    member = await sign_up("member")
    target = await services.create_user(
        CreateUser(
            username="target",
            email="target@example.com",
            password=PASSWORD,
            roles=frozenset({"editors"}),
        )
    )
    await services.sign_in(credentials("target"))
    dormant = await sign_up("dormant")
    await services.deactivate_user(dormant.id, system)
    return Scene(root=root, member=member, former=former, target=target, dormant=dormant)


def snapshot(state: FakeState, bus: RecordingBus) -> tuple[object, ...]:
    """Everything a use case could change, in comparable form."""
    return (
        state.commits,
        len(state.audit),
        len(bus.published),
        {u.id: (u.active, frozenset(u.roles)) for u in state.users.values()},
        {name: role.description for name, role in state.roles.items()},
        {s.id: s.revoked_at for s in state.sessions.values()},
    )


def test_the_permission_table_covers_every_administrative_use_case() -> None:
    public = {
        name
        for name, function in inspect.getmembers(admin, inspect.iscoroutinefunction)
        if function.__module__ == admin.__name__ and not name.startswith("_")
    }
    assert public - {"authorise", "keep_an_admin"} == set(USE_CASES)  # helpers, not use cases


@pytest.mark.parametrize("who", DENIED.values(), ids=DENIED.keys())
@pytest.mark.parametrize("call", USE_CASES.values(), ids=USE_CASES.keys())
async def test_a_member_an_unknown_id_and_a_deactivated_admin_are_refused_and_change_nothing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    scene: Scene,
    call: AdminCall,
    who: Denied,
) -> None:
    before = snapshot(state, bus)
    with pytest.raises(errors.PermissionDenied):
        await call(services, who(scene), scene)
    assert snapshot(state, bus) == before


@pytest.mark.parametrize("name", USE_CASES)
async def test_an_active_admin_may_use_every_use_case_and_is_recorded_as_the_actor(
    services: Services, state: FakeState, scene: Scene, name: str
) -> None:
    written = len(state.audit)
    await USE_CASES[name](services, acting(scene.root), scene)
    new = state.audit[written:]
    assert bool(new) == (name in WRITES)
    assert {(e.actor_id, e.ip, e.details.get("by")) for e in new} <= {
        (scene.root.id, CLIENT.ip, None)
    }


@pytest.mark.parametrize("name", USE_CASES)
async def test_the_system_may_use_every_use_case_and_is_recorded_by_name(
    services: Services, state: FakeState, scene: Scene, name: str
) -> None:
    written = len(state.audit)
    await USE_CASES[name](services, Actor.system("cli"), scene)
    new = state.audit[written:]
    assert bool(new) == (name in WRITES)
    assert {(e.actor_id, e.ip, e.details.get("by")) for e in new} <= {(None, None, "cli")}


# Searching


async def create_users(services: Services, *names: str, email: str | None = None) -> None:
    for name in names:
        await services.create_user(
            CreateUser(username=name, email=email or f"{name}@example.com", password=PASSWORD)
        )


async def found(services: Services, actor: Actor, query: str) -> list[str]:
    page = await services.search_users(SearchUsers(query=query), actor)
    return [user.username for user in page.items]


async def test_search_matches_a_username_prefix_in_any_letter_case(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await create_users(services, "Bob_Smith", "bobby", "alice", "robert")
    assert await found(services, acting(root), "BOB") == ["Bob_Smith", "bobby"]
    assert await found(services, acting(root), "  bob_s ") == ["Bob_Smith"]


async def test_search_matches_an_email_prefix_in_any_letter_case(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_user(
        CreateUser(username="carol", email="Pirate.Queen@Example.com", password=PASSWORD)
    )
    await create_users(services, "pirate")
    assert await found(services, acting(root), "PIRATE.q") == ["carol"]
    assert await found(services, acting(root), "pirate") == ["carol", "pirate"]


async def test_search_does_not_match_in_the_middle_of_a_name(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await create_users(services, "alice")
    assert await found(services, acting(root), "lice") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("bob_", ["bob_smith"], id="underscore"),
        pytest.param("bob.", ["bob.smith"], id="dot"),
        pytest.param("b%", [], id="percent-in-query"),
        pytest.param("per%", ["percy"], id="percent-in-email"),
        pytest.param("%", [], id="percent-alone"),
        pytest.param("\\", [], id="backslash"),
        pytest.param("bob\\_", [], id="escaped-underscore"),
        pytest.param("*", [], id="star"),
    ],
)
async def test_search_reads_wildcards_in_the_query_literally(
    services: Services, make_admin: SignUp, query: str, expected: list[str]
) -> None:
    root = await make_admin("root")
    await create_users(services, "bob_smith", "bobasmith", "bob.smith", "bobxsmith")
    await create_users(services, "percy", email="per%cent@example.com")
    assert await found(services, acting(root), query) == expected


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("ZOË", id="composed-upper-case"),
        pytest.param(unicodedata.normalize("NFD", "zoë"), id="decomposed"),
        pytest.param(unicodedata.normalize("NFD", "ZOË@exä"), id="decomposed-domain"),
        pytest.param("zoë@EXÄMPLE", id="unicode-domain"),
    ],
)
async def test_search_matches_a_unicode_email_however_the_query_is_written(
    services: Services, make_admin: SignUp, query: str
) -> None:
    root = await make_admin("root")
    await create_users(services, "zed", email="Zoë@exämple.com")
    await create_users(services, "zoe")
    assert await found(services, acting(root), query) == ["zed"]


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 100])
async def test_paging_by_after_walks_every_user_once_in_username_order(
    services: Services, make_admin: SignUp, limit: int
) -> None:
    root = await make_admin("root")
    await create_users(services, "Zack", "amy", "bob_smith", "bob.smith", "Bobby")
    pages: list[UserPage] = []
    after: str | None = None
    while len(pages) < 10:
        page = await services.search_users(SearchUsers(limit=limit, after=after), acting(root))
        pages.append(page)
        after = page.after
        if after is None:
            break
    names = [user.username for page in pages for user in page.items]
    assert names == sorted(names, key=str.casefold)
    assert sorted(names) == sorted(["root", "Zack", "amy", "bob_smith", "bob.smith", "Bobby"])
    assert all(len(page.items) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1].items) <= limit
    assert pages[-1].after is None


async def test_a_search_page_holds_at_most_limit_users_and_a_cursor_for_more(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await create_users(services, "bob1", "bob2", "bob3")
    page = await services.search_users(SearchUsers(query="bob", limit=2), acting(root))
    assert [user.username for user in page.items] == ["bob1", "bob2"]
    assert page.after == "bob2"
    rest = await services.search_users(SearchUsers(query="bob", after="bob2"), acting(root))
    assert ([user.username for user in rest.items], rest.after) == (["bob3"], None)


# Looking up one user


async def test_get_user_and_find_user_return_the_account(
    services: Services, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    alice = await sign_up("alice")
    found = await services.admin_get_user(alice.id, acting(root))
    # The administrator's view is the account's own, saying also whether two-factor is on.
    assert found.model_dump(exclude={"two_factor"}) == alice.model_dump()
    assert found.two_factor is False
    assert await services.find_user("ALICE@example.COM", acting(root)) == alice
    assert await services.find_user(" Alice ", acting(root)) == alice


async def test_find_user_with_an_unknown_login_raises_user_not_found(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    with pytest.raises(errors.UserNotFound):
        await services.find_user("nobody", acting(root))


# Deactivating and activating


def entries(state: FakeState, since: int) -> list[tuple[str, object, object, object]]:
    return sorted(
        (e.event_type, e.user_id, e.actor_id, e.details.get("reason")) for e in state.audit[since:]
    )


async def test_deactivating_revokes_every_session_and_audits_the_admin_as_actor(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    dora = await sign_up("dora")
    first = await services.sign_in(credentials("dora"))
    second = await services.sign_in(credentials("dora"))
    mine = await services.sign_in(credentials("root"))
    written, published = len(state.audit), len(bus.published)

    detail = await services.deactivate_user(dora.id, acting(root))

    assert not detail.active
    assert not state.users[dora.id].active
    assert state.sessions[first.session_id].revoked_at is not None
    assert state.sessions[second.session_id].revoked_at is not None
    assert state.sessions[mine.session_id].revoked_at is None
    assert entries(state, written) == [
        ("SessionRevoked", dora.id, root.id, "deactivated"),
        ("SessionRevoked", dora.id, root.id, "deactivated"),
        ("UserDeactivated", dora.id, root.id, None),
    ]
    revoked = {e.details["session_id"] for e in state.audit[written:] if e.details.get("reason")}
    assert revoked == {str(first.session_id), str(second.session_id)}
    assert all(e.ip == CLIENT.ip for e in state.audit[written:])
    assert len(bus.published) == published + 3


async def test_an_admin_cannot_deactivate_themselves(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await make_admin("other")
    before = snapshot(state, bus)
    with pytest.raises(errors.CannotDeactivateSelf):
        await services.deactivate_user(root.id, acting(root))
    assert snapshot(state, bus) == before


async def test_not_even_the_system_can_deactivate_the_last_active_admin(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    former = await make_admin("former")
    await services.deactivate_user(former.id, Actor.system())
    before = snapshot(state, bus)
    with pytest.raises(errors.LastAdmin):
        await services.deactivate_user(root.id, Actor.system())
    assert snapshot(state, bus) == before
    assert state.users[root.id].active


async def test_with_two_active_admins_one_can_deactivate_the_other(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    other = await make_admin("other")
    detail = await services.deactivate_user(other.id, acting(root))
    assert not detail.active
    assert not state.users[other.id].active
    with pytest.raises(errors.LastAdmin):
        await services.deactivate_user(root.id, Actor.system())


async def test_deactivating_an_inactive_user_records_nothing_new(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    dora = await sign_up("dora")
    await services.deactivate_user(dora.id, acting(root))
    written, published = len(state.audit), len(bus.published)
    detail = await services.deactivate_user(dora.id, acting(root))
    assert not detail.active
    assert (len(state.audit), len(bus.published)) == (written, published)


async def test_activating_records_user_activated_with_the_admin_as_actor(
    services: Services, state: FakeState, clock: FakeClock, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    dora = await sign_up("dora")
    await services.deactivate_user(dora.id, acting(root))
    written = len(state.audit)
    clock.advance(minutes=5)

    detail = await services.activate_user(dora.id, acting(root))

    assert detail.active
    assert state.users[dora.id].active
    assert [
        (e.event_type, e.user_id, e.actor_id, e.occurred_at) for e in state.audit[written:]
    ] == [("UserActivated", dora.id, root.id, clock.now())]


async def test_activating_an_active_user_records_nothing_new(
    services: Services, state: FakeState, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    dora = await sign_up("dora")
    written = len(state.audit)
    assert (await services.activate_user(dora.id, acting(root))).active
    assert len(state.audit) == written


UNKNOWN_TARGET: dict[str, Callable[[Services, Actor, uuid.UUID], Awaitable[object]]] = {
    "get_user": lambda s, a, i: s.admin_get_user(i, a),
    "activate_user": lambda s, a, i: s.activate_user(i, a),
    "deactivate_user": lambda s, a, i: s.deactivate_user(i, a),
    "grant_role": lambda s, a, i: s.grant_role(RoleChange(user_id=i, role="admin"), a),
    "revoke_role": lambda s, a, i: s.revoke_role(RoleChange(user_id=i, role="admin"), a),
}


@pytest.mark.parametrize("call", UNKNOWN_TARGET.values(), ids=UNKNOWN_TARGET.keys())
async def test_an_unknown_user_id_raises_user_not_found_and_changes_nothing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    make_admin: SignUp,
    call: Callable[[Services, Actor, uuid.UUID], Awaitable[object]],
) -> None:
    root = await make_admin("root")
    before = snapshot(state, bus)
    with pytest.raises(errors.UserNotFound):
        await call(services, acting(root), uuid.uuid4())
    assert snapshot(state, bus) == before
