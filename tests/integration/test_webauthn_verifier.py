"""The WebAuthn adapter against real answers (a software authenticator's keys, CBOR and
signatures): a good registration and sign-in pass; a wrong origin, site, challenge,
signature, user handle, a count that goes backwards and malformed client data fail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from domain import errors
from domain.passkeys import Passkey
from domain.ports import PasskeyHolder
from infrastructure.passkeys import WebAuthnPasskeyVerifier
from tests.soft_authenticator import SoftAuthenticator, b64url

RP_ID, ORIGIN = "localhost", "http://localhost:8000"
CHALLENGE = b"c" * 32
NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def verifier() -> WebAuthnPasskeyVerifier:
    return WebAuthnPasskeyVerifier(rp_id=RP_ID, origin=ORIGIN)


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


HOLDER = PasskeyHolder(uuid.uuid4(), "alice", "Alice Liddell")


def registered(verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator) -> Passkey:
    options = verifier.registration_options(HOLDER, challenge=CHALLENGE, exclude=[])
    credential = verifier.verify_registration(device.create(options), challenge=CHALLENGE)
    return Passkey.register(HOLDER.user_id, credential, name="Laptop", now=NOW)


def sign_in_options(verifier: WebAuthnPasskeyVerifier) -> dict[str, Any]:
    return verifier.authentication_options(challenge=CHALLENGE, allow=[])


def test_registration_options_ask_for_a_discoverable_credential_of_this_site(
    verifier: WebAuthnPasskeyVerifier,
) -> None:
    options = verifier.registration_options(HOLDER, challenge=CHALLENGE, exclude=[b"old"])
    assert options["rp"] == {"id": RP_ID, "name": "Gatehouse"}
    assert options["challenge"] == b64url(CHALLENGE)
    assert options["user"]["id"] == b64url(HOLDER.user_id.bytes)
    assert options["user"]["name"] == "alice"
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "preferred"
    assert [each["id"] for each in options["excludeCredentials"]] == [b64url(b"old")]


def test_a_good_registration_and_sign_in_pass(
    verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator
) -> None:
    passkey = registered(verifier, device)
    assert passkey.credential_id == device.credential_id
    assert passkey.transports == ("internal",) and passkey.authenticator == "built into a device"
    answer = device.get(sign_in_options(verifier))
    assert verifier.challenge_of(answer) == CHALLENGE
    assert verifier.credential_id_of(answer) == device.credential_id
    assertion = verifier.verify_assertion(answer, challenge=CHALLENGE, passkey=passkey)
    assert assertion.sign_count == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"type": "webauthn.get"},
        {"challenge": b64url(b"other" * 8)},
    ],
    ids=["wrong origin", "wrong rp id", "wrong type", "other challenge"],
)
def test_a_registration_from_elsewhere_fails(
    verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator, tamper: dict[str, str]
) -> None:
    options = verifier.registration_options(HOLDER, challenge=CHALLENGE, exclude=[])
    with pytest.raises(errors.InvalidPasskey):
        verifier.verify_registration(device.create(options, **tamper), challenge=CHALLENGE)


@pytest.mark.parametrize(
    "tamper",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"challenge": b64url(b"other" * 8)},
        {"bad_signature": True},
        {"user_handle": uuid.uuid4().bytes},
    ],
    ids=["wrong origin", "wrong rp id", "other challenge", "bad signature", "someone else"],
)
def test_a_sign_in_from_elsewhere_or_forged_fails(
    verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator, tamper: dict[str, Any]
) -> None:
    passkey = registered(verifier, device)
    answer = device.get(sign_in_options(verifier), **tamper)
    with pytest.raises(errors.InvalidPasskey):
        verifier.verify_assertion(answer, challenge=CHALLENGE, passkey=passkey)


def test_a_count_that_goes_backwards_fails(
    verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator
) -> None:
    passkey = registered(verifier, device)
    passkey.sign_count = 5
    with pytest.raises(errors.InvalidPasskey):
        verifier.verify_assertion(
            device.get(sign_in_options(verifier)), challenge=CHALLENGE, passkey=passkey
        )


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"rawId": 5},
        {"rawId": "!!", "response": "x"},
        {"response": {"clientDataJSON": "not base64 !"}},
        {"response": {"clientDataJSON": b64url(b"{not json")}},
        {"response": {"clientDataJSON": b64url(b'{"type": "webauthn.get"}')}},
        {"response": {"clientDataJSON": b64url(b"[1, 2]")}},
    ],
)
def test_malformed_answers_are_invalid_passkeys_not_crashes(
    verifier: WebAuthnPasskeyVerifier, device: SoftAuthenticator, answer: dict[str, Any]
) -> None:
    passkey = registered(verifier, device)
    for check in (
        lambda: verifier.challenge_of(answer),
        lambda: verifier.credential_id_of(answer),
        lambda: verifier.verify_registration(answer, challenge=CHALLENGE),
        lambda: verifier.verify_assertion(answer, challenge=CHALLENGE, passkey=passkey),
    ):
        with pytest.raises(errors.InvalidPasskey):
            check()
