"""The in-process event bus and the default security-log handlers."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest

from application.event_bus import EventBus
from application.handlers import SECURITY_EVENTS, subscribe_defaults
from domain import events

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
USER_ID = uuid.uuid4()


def logged_in() -> events.UserLoggedIn:
    return events.UserLoggedIn(occurred_at=NOW, user_id=USER_ID, username="alice")


def password_changed() -> events.PasswordChanged:
    return events.PasswordChanged(occurred_at=NOW, user_id=USER_ID)


class Recorder:
    """A handler that remembers the events it was given."""

    def __init__(self) -> None:
        self.seen: list[events.Event] = []

    async def __call__(self, event: events.Event) -> None:
        self.seen.append(event)


async def broken(event: events.Event) -> None:
    raise RuntimeError("handler broke")


async def test_a_failing_handler_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, after = EventBus(), Recorder()
    bus.subscribe(events.UserLoggedIn, broken)
    bus.subscribe(events.UserLoggedIn, after)
    bus.subscribe(events.PasswordChanged, after)
    with caplog.at_level(logging.ERROR, logger="application.event_bus"):
        await bus.publish([logged_in(), password_changed()])
    assert after.seen == [logged_in(), password_changed()]
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "handler broke" in str(record.exc_info[1])


async def test_a_handler_subscribed_to_a_base_class_gets_its_subclasses() -> None:
    bus, everything = EventBus(), Recorder()
    bus.subscribe(events.Event, everything)
    await bus.publish([logged_in(), password_changed()])
    assert everything.seen == [logged_in(), password_changed()]


async def test_a_handler_gets_only_the_event_types_it_subscribed_to() -> None:
    bus, logins = EventBus(), Recorder()
    bus.subscribe(events.UserLoggedIn, logins)
    await bus.publish([password_changed(), logged_in()])
    assert logins.seen == [logged_in()]


async def test_the_default_handlers_log_every_security_event_without_its_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    subscribe_defaults(bus)
    failed = events.LoginFailed(occurred_at=NOW, login="nobody")
    with caplog.at_level(logging.INFO, logger="gatehouse.security"):
        await bus.publish([failed, logged_in()])
    assert [record.getMessage() for record in caplog.records] == [
        "LoginFailed login=nobody",
        f"UserLoggedIn user_id={USER_ID} username=alice",
    ]
    assert events.LoginFailed in SECURITY_EVENTS
