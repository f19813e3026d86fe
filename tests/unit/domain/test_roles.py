"""Role names are canonical lower case and follow the username rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import errors
from domain.roles import Role, role_name

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


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
