"""An audit entry is made from an event: its type, its subject, who acted and from where."""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain import audit, events, invitations
from domain.audit import AuditEntry

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ALICE = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ADMIN = uuid.UUID("00000000-0000-4000-8000-0000000000ad")
SESSION = uuid.UUID("00000000-0000-4000-8000-0000000000c5")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteTaken(events.Event):
    """An event with an optional field besides ``user_id``, for this module only."""

    user_id: UUID
    note: str | None = None
    topic: str = "general"


def granted() -> events.RoleGranted:
    return events.RoleGranted(occurred_at=NOW, user_id=ALICE, role="admin")


def test_the_event_type_is_the_name_of_the_event_class() -> None:
    assert AuditEntry.of(granted()).event_type == "RoleGranted"
    logged_out = events.UserLoggedOut(occurred_at=NOW, user_id=ALICE, session_id=SESSION)
    assert AuditEntry.of(logged_out).event_type == "UserLoggedOut"


def test_the_subject_and_time_are_taken_from_the_event() -> None:
    entry = AuditEntry.of(granted())
    assert entry.user_id == ALICE
    assert entry.occurred_at == NOW


def test_the_actor_defaults_to_the_subject() -> None:
    assert AuditEntry.of(granted()).actor_id == ALICE


def test_an_explicit_actor_is_kept() -> None:
    entry = AuditEntry.of(granted(), actor_id=ADMIN)
    assert (entry.user_id, entry.actor_id) == (ALICE, ADMIN)


def test_the_ip_is_kept_and_defaults_to_none() -> None:
    assert AuditEntry.of(granted(), ip="198.51.100.4").ip == "198.51.100.4"
    assert AuditEntry.of(granted()).ip is None


def test_details_hold_the_other_fields_as_strings() -> None:
    event = events.SessionRevoked(
        occurred_at=NOW, user_id=ALICE, session_id=SESSION, reason="signed out everywhere else"
    )
    assert AuditEntry.of(event).details == {
        "session_id": str(SESSION),
        "reason": "signed out everywhere else",
    }


def test_details_turn_numbers_into_strings() -> None:
    event = events.SignInThrottled(occurred_at=NOW, login_digest="d1", retry_after=900)
    assert AuditEntry.of(event).details == {"login_digest": "d1", "retry_after": "900"}


def test_details_never_hold_the_time_or_the_subject() -> None:
    details = AuditEntry.of(granted()).details
    assert "occurred_at" not in details
    assert "user_id" not in details
    assert details == {"role": "admin"}


def test_an_event_without_a_subject_has_no_user_and_no_actor() -> None:
    entry = AuditEntry.of(events.LoginFailed(occurred_at=NOW, login_digest="d1"))
    assert (entry.user_id, entry.actor_id) == (None, None)


def test_none_fields_are_dropped_from_the_details() -> None:
    entry = AuditEntry.of(NoteTaken(occurred_at=NOW, user_id=ALICE, note=None))
    assert entry.details == {"topic": "general"}
    entry = AuditEntry.of(NoteTaken(occurred_at=NOW, user_id=ALICE, note="kept"))
    assert entry.details == {"note": "kept", "topic": "general"}


def test_an_unknown_account_in_a_failed_login_leaves_no_user_id_in_the_details() -> None:
    entry = AuditEntry.of(events.LoginFailed(occurred_at=NOW, login_digest="d1", user_id=None))
    assert (entry.user_id, entry.details) == (None, {"login_digest": "d1"})


def test_a_known_account_in_a_failed_login_is_the_subject_not_a_detail() -> None:
    entry = AuditEntry.of(events.LoginFailed(occurred_at=NOW, user_id=ALICE))
    assert (entry.user_id, entry.details) == (ALICE, {})


def test_a_very_long_detail_is_cut_short() -> None:
    entry = AuditEntry.of(events.RoleCreated(occurred_at=NOW, role="r", description="a" * 1000))
    assert entry.details["description"] == "a" * 200


def test_every_entry_gets_its_own_id() -> None:
    assert AuditEntry.of(granted()).id != AuditEntry.of(granted()).id


def unlabelled(module: object) -> set[str]:
    """The event classes defined in ``module`` that the trail has no words for."""
    kinds = {
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, events.Event) and value is not events.Event
    }
    return {kind.__name__ for kind in kinds if kind not in audit.EVENT_LABELS}


def test_every_domain_event_has_a_label() -> None:
    assert unlabelled(events) == set()
    assert unlabelled(invitations) == set()


def test_an_event_without_a_label_is_found() -> None:
    planted = types.ModuleType("planted")
    vars(planted).update(NoteTaken=NoteTaken, RoleGranted=events.RoleGranted)
    assert unlabelled(planted) == {"NoteTaken"}


def test_labels_are_words_and_each_is_used_once() -> None:
    labels = list(audit.EVENT_LABELS.values())
    assert len(set(labels)) == len(labels)
    assert all(label[0].isupper() and not label[1:].isupper() for label in labels)


def test_a_stored_type_is_shown_by_its_label_and_an_unknown_one_as_stored() -> None:
    assert audit.label_of("RoleGranted") == "Role granted"
    assert audit.label_of("UserLoggedIn") == "Signed in"
    assert audit.label_of("SomethingRetired") == "SomethingRetired"


@pytest.mark.parametrize(
    "typed", ["RoleGranted", "rolegranted", "ROLEGRANTED", "Role granted", " role  GRANTED "]
)
def test_an_event_type_is_named_by_type_or_label_in_any_case(typed: str) -> None:
    assert audit.event_type_named(typed) == "RoleGranted"


def test_a_name_that_is_no_event_names_none() -> None:
    assert audit.event_type_named("Granted") is None
    assert audit.event_type_named("") is None


@pytest.mark.parametrize(
    "event",
    [
        events.LoginFailed(occurred_at=NOW, user_id=ALICE),
        events.SignInThrottled(occurred_at=NOW, user_id=ALICE, retry_after=60),
        events.PasswordResetRequested(occurred_at=NOW, user_id=ALICE, email="a@example.com"),
    ],
)
def test_a_visitors_event_names_its_account_but_no_actor(event: events.Event) -> None:
    entry = AuditEntry.of(event)
    assert (entry.user_id, entry.actor_id, entry.acted_by) == (ALICE, None, None)


def test_an_older_visitor_entry_that_named_its_subject_as_actor_has_none() -> None:
    entry = AuditEntry(
        occurred_at=NOW,
        event_type="LoginFailed",
        user_id=ALICE,
        actor_id=ALICE,
        ip=None,
        details={},
    )
    assert entry.acted_by is None


def test_who_acted_is_kept_for_every_other_event() -> None:
    assert AuditEntry.of(granted()).acted_by == ALICE
    assert AuditEntry.of(granted(), actor_id=ADMIN).acted_by == ADMIN
