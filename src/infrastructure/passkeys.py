"""The WebAuthn relying party, by the maintained ``webauthn`` library: passkey options
for the browser and the checks of its answers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from domain import errors
from domain.passkeys import Assertion, NewCredential, Passkey
from domain.ports import PasskeyHolder, PasskeyVerifier

RP_NAME = "Gatehouse"
BASE64URL = re.compile(r"[A-Za-z0-9_-]{1,4096}")
TIMEOUT_MS = 300_000  # the challenge lives five minutes; the dialog no longer
# What a bad answer can raise inside the library besides its own errors: it parses
# JSON, base64url and CBOR from whatever the client sent.
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError)


class WebAuthnPasskeyVerifier(PasskeyVerifier):
    """Passkeys of the site ``rp_id``, used from ``origin`` only."""

    def __init__(self, *, rp_id: str, origin: str) -> None:
        self._rp_id, self._origin = rp_id, origin

    def registration_options(
        self, holder: PasskeyHolder, *, challenge: bytes, exclude: list[bytes]
    ) -> dict[str, object]:
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=RP_NAME,
            user_id=holder.user_id.bytes,
            user_name=holder.name,
            user_display_name=holder.display_name,
            challenge=challenge,
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=each) for each in exclude],
        )
        return _as_json(options_to_json(options))

    def authentication_options(self, *, challenge: bytes, allow: list[bytes]) -> dict[str, object]:
        options = generate_authentication_options(
            rp_id=self._rp_id,
            challenge=challenge,
            timeout=TIMEOUT_MS,
            allow_credentials=[PublicKeyCredentialDescriptor(id=each) for each in allow],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return _as_json(options_to_json(options))

    def challenge_of(self, answer: Mapping[str, object]) -> bytes:
        try:
            client_data = base64url_to_bytes(_text(_response(answer)["clientDataJSON"]))
            return parse_client_data_json(client_data).challenge
        except MALFORMED:
            raise errors.InvalidPasskey() from None

    def credential_id_of(self, answer: Mapping[str, object]) -> bytes:
        try:
            return base64url_to_bytes(_text(answer["rawId"]))
        except MALFORMED:
            raise errors.InvalidPasskey() from None

    def verify_registration(
        self, answer: Mapping[str, object], *, challenge: bytes
    ) -> NewCredential:
        try:
            verified = verify_registration_response(
                credential=dict(answer),
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
            )
            transports = _transports(_response(answer).get("transports"))
        except MALFORMED:
            raise errors.InvalidPasskey() from None
        return NewCredential(
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
            authenticator=_kind(verified.credential_device_type.value, transports),
        )

    def verify_assertion(
        self, answer: Mapping[str, object], *, challenge: bytes, passkey: Passkey
    ) -> Assertion:
        try:
            handle = _response(answer).get("userHandle")
            if handle and base64url_to_bytes(_text(handle)) != passkey.user_id.bytes:
                raise errors.InvalidPasskey()
            verified = verify_authentication_response(
                credential=dict(answer),
                expected_challenge=challenge,
                expected_rp_id=self._rp_id,
                expected_origin=self._origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
            )
        except MALFORMED:
            raise errors.InvalidPasskey() from None
        return Assertion(credential_id=verified.credential_id, sign_count=verified.new_sign_count)


def _as_json(text: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(text)
    return found


def _response(answer: Mapping[str, object]) -> Mapping[str, Any]:
    response = answer["response"]
    if not isinstance(response, Mapping):
        raise TypeError("response is not an object")
    return response


def _text(value: object) -> str:
    """A base64url field: non-empty, of that alphabet only (the decoder skips others)."""
    if not isinstance(value, str) or not BASE64URL.fullmatch(value):
        raise TypeError("not base64url text")
    return value


def _transports(value: object) -> tuple[str, ...]:
    """The transports the browser named, those WebAuthn knows, at most a handful."""
    known = {transport.value for transport in AuthenticatorTransport}
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(t for t in value if isinstance(t, str) and t in known))[:6]


def _kind(device_type: str, transports: tuple[str, ...]) -> str:
    """Words for the authenticator, where it says: synced across the holder's devices,
    built into one, a phone nearby, or a security key."""
    if device_type == "multi_device":
        return "synced passkey"
    if "internal" in transports:
        return "built into a device"
    if "hybrid" in transports:
        return "phone"
    return "security key" if transports else ""
