"""The in-process event bus and the default security-log handlers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest

from application.event_bus import EventBus
from application.handlers import SECURITY_EVENTS, subscribe_defaults
from domain import events
from domain.audit import EVENT_LABELS

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
    failed = events.LoginFailed(occurred_at=NOW, login_digest="nobody")
    with caplog.at_level(logging.INFO, logger="gatehouse.security"):
        await bus.publish([failed, logged_in()])
    assert [record.getMessage() for record in caplog.records] == [
        "LoginFailed login_digest=nobody",
        f"UserLoggedIn user_id={USER_ID} username=alice",
    ]
    assert events.LoginFailed in SECURITY_EVENTS


def test_every_audited_event_but_the_role_catalogue_and_names_is_a_security_event() -> None:
    not_logged = set(EVENT_LABELS) - set(SECURITY_EVENTS)
    assert not_logged == {
        events.ProfileUpdated,
        events.RoleCreated,
        events.RoleDescribed,
        events.RoleDeleted,
    }


class Gated:
    """A background handler that starts at once and finishes only once let through."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started: list[events.Event] = []
        self.finished: list[events.Event] = []

    async def __call__(self, event: events.Event) -> None:
        self.started.append(event)
        await self.gate.wait()
        self.finished.append(event)


async def test_publish_does_not_wait_for_a_background_handler_and_drain_does() -> None:
    bus, slow = EventBus(), Gated()
    bus.subscribe(events.UserLoggedIn, slow, background=True)

    # A timeout rather than a hang if publish ever waits for the handler.
    await asyncio.wait_for(bus.publish([logged_in()]), timeout=1)
    assert slow.finished == []
    await asyncio.sleep(0)
    assert (slow.started, slow.finished) == ([logged_in()], [])

    slow.gate.set()
    await bus.drain()
    assert slow.finished == [logged_in()]


async def test_a_foreground_handler_has_run_when_publish_returns() -> None:
    bus, now = EventBus(), Recorder()
    bus.subscribe(events.UserLoggedIn, now)
    await bus.publish([logged_in()])
    assert now.seen == [logged_in()]


async def test_a_failing_background_handler_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, background, foreground = EventBus(), Recorder(), Recorder()
    bus.subscribe(events.UserLoggedIn, broken, background=True)
    bus.subscribe(events.UserLoggedIn, background, background=True)
    bus.subscribe(events.UserLoggedIn, foreground)
    with caplog.at_level(logging.ERROR, logger="application.event_bus"):
        await bus.publish([logged_in()])
        await bus.drain()
    assert background.seen == [logged_in()]
    assert foreground.seen == [logged_in()]
    (record,) = caplog.records
    assert record.exc_info is not None
    assert "handler broke" in str(record.exc_info[1])


async def test_drain_also_waits_for_background_work_that_background_handlers_start() -> None:
    bus, last = EventBus(), Recorder()

    async def publish_more(event: events.Event) -> None:
        await bus.publish([password_changed()])

    async def slowly_record(event: events.Event) -> None:
        for _ in range(3):
            await asyncio.sleep(0)
        await last(event)

    bus.subscribe(events.UserLoggedIn, publish_more, background=True)
    bus.subscribe(events.PasswordChanged, slowly_record, background=True)
    await bus.publish([logged_in()])
    await bus.drain()
    assert last.seen == [password_changed()]
