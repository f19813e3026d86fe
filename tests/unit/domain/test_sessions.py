"""A session stands for a random key by its hash, ends when idle, old or revoked, and
records how it ended."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain import events
from domain.sessions import (
    USER_AGENT_MAX,
    Session,
    SessionPolicy,
    hash_session_key,
    new_session_key,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle_timeout=timedelta(hours=2), lifetime=timedelta(days=30))
KEY = "a-key-of-the-cookie"
USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def start(*, key: str = KEY, user_agent: str = "Firefox", persistent: bool = False) -> Session:
    return Session.start(
        USER_ID,
        key,
        now=NOW,
        policy=POLICY,
        persistent=persistent,
        user_agent=user_agent,
        ip="203.0.113.7",
    )


def test_start_stores_the_sha256_hash_of_the_key_and_never_the_key() -> None:
    session = start()
    assert session.key_hash == hashlib.sha256(KEY.encode()).hexdigest()
    assert session.key_hash == hash_session_key(KEY)
    assert KEY not in repr(session)
    assert all(KEY not in str(value) for value in vars(session).values())


def test_start_opens_a_session_that_expires_one_lifetime_from_now() -> None:
    session = start(persistent=True)
    assert (session.created_at, session.last_seen_at) == (NOW, NOW)
    assert session.expires_at == NOW + timedelta(days=30)
    assert (session.user_id, session.persistent, session.ip) == (USER_ID, True, "203.0.113.7")
    assert session.revoked_at is None
    assert session.events == []


def test_start_truncates_a_long_user_agent_to_512_characters() -> None:
    session = start(user_agent="x" * 2000)
    assert USER_AGENT_MAX == 512
    assert session.user_agent == "x" * 512


def test_start_keeps_a_short_user_agent_as_it_is() -> None:
    assert start(user_agent="Mozilla/5.0").user_agent == "Mozilla/5.0"


def test_different_keys_have_different_hashes() -> None:
    assert hash_session_key("one") != hash_session_key("two")


def test_a_fresh_session_is_active_until_just_before_the_idle_timeout() -> None:
    session = start()
    assert session.is_active(now=NOW, policy=POLICY)
    assert session.is_active(now=NOW + timedelta(hours=2, seconds=-1), policy=POLICY)


@pytest.mark.parametrize("idle", [timedelta(hours=2), timedelta(hours=3)])
def test_a_session_is_not_active_once_idle_for_the_idle_timeout(idle: timedelta) -> None:
    assert not start().is_active(now=NOW + idle, policy=POLICY)


def test_a_session_ends_after_its_lifetime_even_if_used_recently() -> None:
    session = start()
    session.last_seen_at = NOW + timedelta(days=30, minutes=-1)
    assert session.is_active(now=NOW + timedelta(days=30, seconds=-1), policy=POLICY)
    assert not session.is_active(now=NOW + timedelta(days=30), policy=POLICY)


def test_a_revoked_session_is_not_active() -> None:
    session = start()
    session.revoke(now=NOW + timedelta(minutes=1), reason="test")
    assert not session.is_active(now=NOW + timedelta(minutes=2), policy=POLICY)


def test_a_signed_out_session_is_not_active() -> None:
    session = start()
    session.sign_out(now=NOW + timedelta(minutes=1))
    assert not session.is_active(now=NOW + timedelta(minutes=2), policy=POLICY)


def test_touch_within_touch_every_changes_nothing_and_says_so() -> None:
    session = start()
    assert POLICY.touch_every == timedelta(minutes=1)
    assert session.touch(now=NOW + timedelta(seconds=59), policy=POLICY) is False
    assert session.last_seen_at == NOW


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(minutes=90)])
def test_touch_once_touch_every_passed_moves_last_seen_and_says_so(later: timedelta) -> None:
    session = start()
    assert session.touch(now=NOW + later, policy=POLICY) is True
    assert session.last_seen_at == NOW + later


def test_touch_keeps_a_used_session_alive_past_the_first_idle_timeout() -> None:
    session = start()
    session.touch(now=NOW + timedelta(hours=1), policy=POLICY)
    assert session.is_active(now=NOW + timedelta(hours=2, minutes=30), policy=POLICY)


def test_sign_out_records_one_user_logged_out_and_a_second_call_records_nothing() -> None:
    session = start()
    first, second = NOW + timedelta(minutes=5), NOW + timedelta(minutes=6)
    session.sign_out(now=first)
    session.sign_out(now=second)
    assert session.revoked_at == first
    assert session.events == [
        events.UserLoggedOut(occurred_at=first, user_id=USER_ID, session_id=session.id)
    ]


def test_revoke_records_one_session_revoked_with_the_reason() -> None:
    session = start()
    when = NOW + timedelta(minutes=5)
    session.revoke(now=when, reason="password changed")
    session.revoke(now=when + timedelta(minutes=1), reason="again")
    assert session.revoked_at == when
    assert session.events == [
        events.SessionRevoked(
            occurred_at=when, user_id=USER_ID, session_id=session.id, reason="password changed"
        )
    ]


def test_revoking_a_signed_out_session_records_nothing_more() -> None:
    session = start()
    session.sign_out(now=NOW)
    session.revoke(now=NOW + timedelta(minutes=1), reason="late")
    assert [type(event) for event in session.events] == [events.UserLoggedOut]


def test_new_session_keys_are_different_and_long_enough() -> None:
    keys = {new_session_key() for _ in range(100)}
    assert len(keys) == 100
    # 32 random bytes in URL-safe base64: 43 characters, 256 bits.
    assert all(len(key) >= 43 for key in keys)
    assert all(key.replace("-", "").replace("_", "").isalnum() for key in keys)


def test_every_session_gets_its_own_id() -> None:
    assert start().id != start().id
