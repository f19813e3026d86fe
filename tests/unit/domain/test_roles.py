"""Role names are canonical lower case and follow the username rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import errors, events
from domain.roles import Role, role_name

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("admin", "admin"), ("Admin", "admin"), ("EDITORS", "editors"), (" ops-team ", "ops-team")],
)
def test_role_name_is_trimmed_and_lowercased(raw: str, canonical: str) -> None:
    assert role_name(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("ab", id="too-short"),
        pytest.param("r" * 26, id="too-long"),
        pytest.param("", id="empty"),
        pytest.param("role admin", id="inner-space"),
        pytest.param("ädmin", id="unicode"),
        pytest.param("adm\x00in", id="nul"),
        pytest.param(None, id="not-a-string"),
    ],
)
def test_role_name_rejects_invalid_names(raw: str) -> None:
    with pytest.raises(errors.InvalidRoleName) as caught:
        role_name(raw)
    assert caught.value.field == "name"


def test_role_create_uses_the_canonical_name_and_a_trimmed_description() -> None:
    role = Role.create("Editors", "  Edit pages. ", now=NOW)
    assert (role.name, role.description, role.created_at) == ("editors", "Edit pages.", NOW)


@pytest.mark.parametrize("description", ["d" * 201, "bad\x00description"])
def test_role_create_rejects_an_overlong_or_control_character_description(
    description: str,
) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        Role.create("editors", description, now=NOW)
    assert caught.value.field == "description"


def test_role_create_records_role_created() -> None:
    role = Role.create("Editors", " Edit pages. ", now=NOW)
    assert role.events == [
        events.RoleCreated(occurred_at=NOW, role="editors", description="Edit pages.")
    ]


def test_only_the_admin_role_is_built_in() -> None:
    assert Role.create("Admin", "", now=NOW).built_in
    assert not Role.create("editors", "", now=NOW).built_in


def editors() -> Role:
    role = Role.create("editors", "Edit pages.", now=NOW)
    role.events.clear()
    return role


def test_describe_replaces_the_description_and_records_role_described() -> None:
    role = editors()
    role.describe("  Edit every page. ", now=LATER)
    assert role.description == "Edit every page."
    assert role.events == [
        events.RoleDescribed(occurred_at=LATER, role="editors", description="Edit every page.")
    ]


@pytest.mark.parametrize("same", ["Edit pages.", "  Edit pages.\n"])
def test_describe_with_the_same_text_records_nothing(same: str) -> None:
    role = editors()
    role.describe(same, now=LATER)
    assert (role.description, role.events) == ("Edit pages.", [])


def test_describe_may_empty_the_description() -> None:
    role = editors()
    role.describe("", now=LATER)
    assert role.description == ""
    assert role.events == [events.RoleDescribed(occurred_at=LATER, role="editors", description="")]


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("d" * 201, id="too-long"),
        pytest.param("bad\x00text", id="nul"),
        pytest.param("right\u202eleft", id="bidi-override"),
        pytest.param("zero\u200bwidth", id="zero-width-space"),
    ],
)
def test_describe_rejects_an_overlong_or_control_character_description(description: str) -> None:
    role = editors()
    with pytest.raises(errors.ValidationFailed) as caught:
        role.describe(description, now=LATER)
    assert caught.value.field == "description"
    assert (role.description, role.events) == ("Edit pages.", [])


def test_describe_accepts_exactly_the_longest_description() -> None:
    role = editors()
    role.describe("d" * 200, now=LATER)
    assert role.description == "d" * 200


@pytest.mark.parametrize("members", [0, 1])
def test_the_built_in_admin_role_cannot_be_deleted(members: int) -> None:
    role = Role("admin", "Manages users and roles.", NOW)
    with pytest.raises(errors.RoleInUse):
        role.delete(members=members, now=LATER)
    assert role.events == []


@pytest.mark.parametrize("members", [1, 7])
def test_a_role_with_members_cannot_be_deleted(members: int) -> None:
    role = editors()
    with pytest.raises(errors.RoleInUse):
        role.delete(members=members, now=LATER)
    assert role.events == []


def test_deleting_an_unused_role_records_role_deleted() -> None:
    role = editors()
    role.delete(members=0, now=LATER)
    assert role.events == [events.RoleDeleted(occurred_at=LATER, role="editors")]
