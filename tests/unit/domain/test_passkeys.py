"""Passkeys and their challenges: names, the signature counter, removal, single use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain import errors, events
from domain.passkeys import (
    Assertion,
    Ceremony,
    NewCredential,
    Passkey,
    PasskeyChallenge,
    challenge_digest,
    new_challenge,
    passkey_name,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def a_passkey(sign_count: int = 0) -> Passkey:
    credential = NewCredential(credential_id=b"cred-1", public_key=b"key", sign_count=sign_count)
    return Passkey.register(uuid.uuid4(), credential, name="Laptop", now=NOW)


@pytest.mark.parametrize(
    ("typed", "kept"), [("  My   phone ", "My phone"), ("", "Passkey"), ("x" * 60, "x" * 60)]
)
def test_names_are_trimmed_and_a_blank_one_is_passkey(typed: str, kept: str) -> None:
    assert passkey_name(typed) == kept


def test_a_name_longer_than_sixty_is_refused() -> None:
    with pytest.raises(errors.InvalidPasskeyName) as raised:
        passkey_name("x" * 61)
    assert raised.value.field == "name"


def test_registering_records_the_event() -> None:
    passkey = a_passkey()
    assert passkey.events == [
        events.PasskeyAdded(occurred_at=NOW, user_id=passkey.user_id, passkey_id=passkey.id)
    ]


def test_a_growing_count_is_accepted_and_noted() -> None:
    passkey = a_passkey(sign_count=5)
    passkey.use(Assertion(b"cred-1", sign_count=6), now=NOW)
    assert (passkey.sign_count, passkey.last_used_at) == (6, NOW)
    assert isinstance(passkey.events[-1], events.PasskeyUsed)


@pytest.mark.parametrize("count", [5, 4, 0])
def test_a_count_that_does_not_grow_is_a_cloned_key(count: int) -> None:
    passkey = a_passkey(sign_count=5)
    with pytest.raises(errors.InvalidPasskey):
        passkey.use(Assertion(b"cred-1", sign_count=count), now=NOW)
    assert passkey.sign_count == 5 and passkey.last_used_at is None


def test_an_authenticator_without_a_counter_always_says_zero() -> None:
    passkey = a_passkey(sign_count=0)
    passkey.use(Assertion(b"cred-1", sign_count=0), now=NOW)
    passkey.use(Assertion(b"cred-1", sign_count=0), now=NOW + timedelta(minutes=1))
    assert passkey.last_used_at == NOW + timedelta(minutes=1)


def test_a_removed_passkey_signs_nobody_in() -> None:
    passkey = a_passkey()
    passkey.remove(now=NOW)
    passkey.remove(now=NOW)
    assert [type(e) for e in passkey.events].count(events.PasskeyRemoved) == 1
    with pytest.raises(errors.InvalidPasskey):
        passkey.use(Assertion(b"cred-1", sign_count=1), now=NOW)


def test_a_challenge_is_found_by_its_digest_and_spent_once() -> None:
    challenge = new_challenge()
    issued = PasskeyChallenge.issue(challenge, Ceremony.SIGN_IN, now=NOW)
    assert issued.digest == challenge_digest(challenge) and len(challenge) == 32
    issued.spend(Ceremony.SIGN_IN, now=NOW + timedelta(minutes=4), user_id=uuid.uuid4())
    with pytest.raises(errors.InvalidChallenge):
        issued.spend(Ceremony.SIGN_IN, now=NOW + timedelta(minutes=4))


def test_a_challenge_expires_after_five_minutes() -> None:
    issued = PasskeyChallenge.issue(new_challenge(), Ceremony.SIGN_IN, now=NOW)
    with pytest.raises(errors.InvalidChallenge):
        issued.spend(Ceremony.SIGN_IN, now=NOW + timedelta(minutes=5))
    assert issued.used_at is None


def test_a_challenge_serves_only_its_ceremony_and_its_account() -> None:
    owner = uuid.uuid4()
    issued = PasskeyChallenge.issue(new_challenge(), Ceremony.REGISTER, now=NOW, user_id=owner)
    with pytest.raises(errors.InvalidChallenge):
        issued.spend(Ceremony.SIGN_IN, now=NOW, user_id=owner)
    with pytest.raises(errors.InvalidChallenge):
        issued.spend(Ceremony.REGISTER, now=NOW, user_id=uuid.uuid4())
    issued.spend(Ceremony.REGISTER, now=NOW, user_id=owner)
    assert issued.used_at == NOW
