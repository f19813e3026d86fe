"""Defining roles and granting them, on in-memory fakes."""

from __future__ import annotations

import pytest

from application.commands import Actor, CreateUser, DefineRole, RoleChange
from application.results import RoleSummary
from application.services import Services
from domain import errors
from tests.fakes import FakeState, RecordingBus
from tests.unit.application.helpers import PASSWORD, SignUp, acting


def snapshot(state: FakeState, bus: RecordingBus) -> tuple[object, ...]:
    return (
        state.commits,
        len(state.audit),
        len(bus.published),
        {u.id: (u.active, frozenset(u.roles)) for u in state.users.values()},
        {name: role.description for name, role in state.roles.items()},
    )


def audited(state: FakeState, since: int) -> list[tuple[object, ...]]:
    """(type, subject, actor, details) of the entries written since ``since``."""
    return [(e.event_type, e.user_id, e.actor_id, e.details) for e in state.audit[since:]]


# Granting and revoking


async def test_granting_a_role_adds_it_and_audits_the_admin_as_actor(
    services: Services, state: FakeState, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors"), acting(root))
    alice = await sign_up("alice")
    written = len(state.audit)

    detail = await services.grant_role(RoleChange(user_id=alice.id, role="Editors"), acting(root))

    assert detail.roles == ("editors",)
    assert state.users[alice.id].roles == {"editors"}
    assert audited(state, written) == [("RoleGranted", alice.id, root.id, {"role": "editors"})]


async def test_granting_a_role_twice_raises_role_already_held(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    alice = await sign_up("alice")
    await services.grant_role(RoleChange(user_id=alice.id, role="admin"), acting(root))
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleAlreadyHeld):
        await services.grant_role(RoleChange(user_id=alice.id, role="ADMIN"), acting(root))
    assert snapshot(state, bus) == before


async def test_granting_an_unknown_role_raises_role_not_found(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    alice = await sign_up("alice")
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleNotFound):
        await services.grant_role(RoleChange(user_id=alice.id, role="editors"), acting(root))
    assert snapshot(state, bus) == before


@pytest.mark.parametrize("role", ["ab", "two words", "ädmin", "adm!n"])
async def test_granting_or_revoking_an_invalid_role_name_raises_invalid_role_name(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, role: str
) -> None:
    root = await make_admin("root")
    before = snapshot(state, bus)
    with pytest.raises(errors.InvalidRoleName):
        await services.grant_role(RoleChange(user_id=root.id, role=role), acting(root))
    with pytest.raises(errors.InvalidRoleName):
        await services.revoke_role(RoleChange(user_id=root.id, role=role), acting(root))
    assert snapshot(state, bus) == before


async def test_revoking_a_role_not_held_raises_role_not_held(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    alice = await sign_up("alice")
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleNotHeld):
        await services.revoke_role(RoleChange(user_id=alice.id, role="admin"), acting(root))
    assert snapshot(state, bus) == before


async def test_revoking_a_held_role_removes_it_and_audits_the_admin_as_actor(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors"), acting(root))
    bob = await services.create_user(
        CreateUser(
            username="bob", email="bob@example.com", password=PASSWORD, roles=frozenset({"editors"})
        )
    )
    written = len(state.audit)

    detail = await services.revoke_role(RoleChange(user_id=bob.id, role="editors"), acting(root))

    assert detail.roles == ()
    assert state.users[bob.id].roles == set()
    assert audited(state, written) == [("RoleRevoked", bob.id, root.id, {"role": "editors"})]


@pytest.mark.parametrize("by_themselves", [True, False], ids=["themselves", "the-system"])
async def test_admin_cannot_be_revoked_from_the_last_active_admin(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    make_admin: SignUp,
    by_themselves: bool,
) -> None:
    root = await make_admin("root")
    actor = acting(root) if by_themselves else Actor.system()
    before = snapshot(state, bus)
    with pytest.raises(errors.LastAdmin):
        await services.revoke_role(RoleChange(user_id=root.id, role="admin"), actor)
    assert snapshot(state, bus) == before
    assert "admin" in state.users[root.id].roles


async def test_an_inactive_admin_does_not_count_as_another_admin(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    former = await make_admin("former")
    await services.deactivate_user(former.id, acting(root))
    with pytest.raises(errors.LastAdmin):
        await services.revoke_role(RoleChange(user_id=root.id, role="admin"), acting(root))


@pytest.mark.parametrize("on_themselves", [True, False], ids=["themselves", "the-other"])
async def test_with_two_active_admins_admin_can_be_revoked(
    services: Services, state: FakeState, make_admin: SignUp, on_themselves: bool
) -> None:
    root = await make_admin("root")
    other = await make_admin("other")
    subject = root if on_themselves else other
    written = len(state.audit)

    detail = await services.revoke_role(RoleChange(user_id=subject.id, role="admin"), acting(root))

    assert not detail.is_admin
    assert "admin" not in state.users[subject.id].roles
    assert audited(state, written) == [("RoleRevoked", subject.id, root.id, {"role": "admin"})]


async def test_admin_can_be_revoked_from_an_inactive_admin_while_one_admin_remains(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    former = await make_admin("former")
    await services.deactivate_user(former.id, acting(root))

    detail = await services.revoke_role(RoleChange(user_id=former.id, role="admin"), acting(root))

    assert detail.roles == ()
    assert state.users[former.id].roles == set()
    assert state.users[root.id].roles == {"admin"}


# Defining roles


async def test_create_role_lower_cases_the_name_and_trims_the_description(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    summary = await services.create_role(
        DefineRole(name=" Editors ", description="  Edit pages. "), acting(root)
    )
    assert summary == RoleSummary(
        name="editors", description="Edit pages.", members=0, built_in=False
    )
    assert state.roles["editors"].description == "Edit pages."


@pytest.mark.parametrize("second", ["editors", "Editors", "EDITORS"])
async def test_role_names_clash_whatever_their_letter_case(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, second: str
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="Editors", description="First."), acting(root))
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleAlreadyExists) as caught:
        await services.create_role(DefineRole(name=second, description="Second."), acting(root))
    assert caught.value.field == "name"
    assert snapshot(state, bus) == before
    assert state.roles["editors"].description == "First."


async def test_the_built_in_admin_role_cannot_be_created_again(
    services: Services, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    with pytest.raises(errors.RoleAlreadyExists):
        await services.create_role(DefineRole(name="Admin"), acting(root))


@pytest.mark.parametrize(
    ("name", "description", "error"),
    [
        ("ab", "", errors.InvalidRoleName),
        ("two words", "", errors.InvalidRoleName),
        ("editors", "bad\x00text", errors.ValidationFailed),
        ("editors", "right\u202eleft", errors.ValidationFailed),
    ],
)
async def test_create_role_refuses_a_bad_name_or_description(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    make_admin: SignUp,
    name: str,
    description: str,
    error: type[errors.DomainError],
) -> None:
    root = await make_admin("root")
    before = snapshot(state, bus)
    # Built unchecked: the command refuses control characters itself; the role must too.
    cmd = DefineRole.model_construct(name=name, description=description)
    with pytest.raises(error):
        await services.create_role(cmd, acting(root))
    assert snapshot(state, bus) == before


async def test_list_roles_gives_every_role_by_name_with_members_and_built_in(
    services: Services, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    for name in ("viewers", "editors"):
        await services.create_role(DefineRole(name=name, description=f"{name}."), acting(root))
    for username in ("alice", "bob"):
        user = await sign_up(username)
        await services.grant_role(RoleChange(user_id=user.id, role="editors"), acting(root))
    bob = await services.find_user("bob", acting(root))
    await services.deactivate_user(bob.id, acting(root))

    roles = await services.list_roles(acting(root))

    assert [(r.name, r.members, r.built_in) for r in roles] == [
        ("admin", 1, True),
        ("editors", 2, False),
        ("viewers", 0, False),
    ]
    assert roles[1].description == "editors."


async def test_describe_role_changes_the_description_and_audits_the_admin(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors", description="Old."), acting(root))
    written = len(state.audit)

    summary = await services.describe_role(
        DefineRole(name="EDITORS", description="New."), acting(root)
    )

    assert summary == RoleSummary(name="editors", description="New.", members=0, built_in=False)
    assert state.roles["editors"].description == "New."
    assert audited(state, written) == [
        ("RoleDescribed", None, root.id, {"role": "editors", "description": "New."})
    ]


async def test_describe_role_with_the_same_text_records_nothing(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors", description="Same."), acting(root))
    written = len(state.audit)
    await services.describe_role(DefineRole(name="editors", description=" Same. "), acting(root))
    assert len(state.audit) == written


async def test_describe_role_counts_the_members(services: Services, make_admin: SignUp) -> None:
    root = await make_admin("root")
    await make_admin("other")
    summary = await services.describe_role(
        DefineRole(name="admin", description="Runs the place."), acting(root)
    )
    assert (summary.members, summary.built_in) == (2, True)


async def test_describing_or_deleting_an_unknown_role_raises_role_not_found(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleNotFound):
        await services.describe_role(DefineRole(name="ghosts", description="x"), acting(root))
    with pytest.raises(errors.RoleNotFound):
        await services.delete_role("ghosts", acting(root))
    assert snapshot(state, bus) == before


async def test_the_built_in_admin_role_cannot_be_deleted(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleInUse):
        await services.delete_role("admin", Actor.system())
    assert snapshot(state, bus) == before
    assert "admin" in state.roles


async def test_a_role_held_even_by_an_inactive_user_cannot_be_deleted(
    services: Services, state: FakeState, bus: RecordingBus, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors"), acting(root))
    alice = await sign_up("alice")
    await services.grant_role(RoleChange(user_id=alice.id, role="editors"), acting(root))
    await services.deactivate_user(alice.id, acting(root))
    before = snapshot(state, bus)
    with pytest.raises(errors.RoleInUse):
        await services.delete_role("editors", acting(root))
    assert snapshot(state, bus) == before


async def test_an_unused_role_is_deleted_and_audited(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    root = await make_admin("root")
    await services.create_role(DefineRole(name="editors"), acting(root))
    written = len(state.audit)

    await services.delete_role("Editors", acting(root))

    assert "editors" not in state.roles
    assert [r.name for r in await services.list_roles(acting(root))] == ["admin"]
    assert audited(state, written) == [("RoleDeleted", None, root.id, {"role": "editors"})]


@pytest.mark.parametrize("system", [False, True], ids=["admin", "system"])
async def test_every_role_change_is_audited_with_its_actor(
    services: Services, state: FakeState, make_admin: SignUp, system: bool
) -> None:
    root = await make_admin("root")
    actor = Actor.system("cli") if system else acting(root)
    expected = (None, "cli") if system else (root.id, None)
    written = len(state.audit)

    await services.create_role(DefineRole(name="editors", description="One."), actor)
    await services.describe_role(DefineRole(name="editors", description="Two."), actor)
    await services.delete_role("editors", actor)

    assert [(e.event_type, e.actor_id, e.details.get("by")) for e in state.audit[written:]] == [
        ("RoleCreated", *expected),
        ("RoleDescribed", *expected),
        ("RoleDeleted", *expected),
    ]
