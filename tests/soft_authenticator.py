"""A software WebAuthn authenticator: real P-256 keys, real CBOR and signatures, answers
in the JSON a browser's PublicKeyCredential.toJSON() gives. For the tests of the real
verifier and of the pages and API without a browser (the browser tests use Chromium's
virtual authenticator)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One discoverable credential for ``rp_id``, used from ``origin``."""

    def __init__(self, *, rp_id: str, origin: str, counts: bool = True) -> None:
        self.rp_id, self.origin, self.counts = rp_id, origin, counts
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle: bytes | None = None
        self.count = 0

    def create(self, options: dict[str, Any], **tamper: Any) -> dict[str, Any]:
        """Answer ``navigator.credentials.create`` options (the ``publicKey`` part)."""
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], tamper)
        auth_data = self._auth_data(UP | UV | AT, tamper) + self._attested()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict[str, Any], **tamper: Any) -> dict[str, Any]:
        """Answer ``navigator.credentials.get`` options (the ``publicKey`` part)."""
        if self.counts:
            self.count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], tamper)
        auth_data = self._auth_data(UP | UV, tamper)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if tamper.get("bad_signature"):
            signature = self.key.sign(b"something else", ec.ECDSA(hashes.SHA256()))
        handle = tamper.get("user_handle", self.user_handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(handle) if handle is not None else None,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _client_data(self, kind: str, challenge: str, tamper: dict[str, Any]) -> bytes:
        data = {
            "type": tamper.get("type", kind),
            "challenge": tamper.get("challenge", challenge),
            "origin": tamper.get("origin", self.origin),
            "crossOrigin": False,
        }
        return json.dumps(data).encode()

    def _auth_data(self, flags: int, tamper: dict[str, Any]) -> bytes:
        rp_hash = hashlib.sha256(tamper.get("rp_id", self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.count)

    def _attested(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        credential = struct.pack(">H", len(self.credential_id)) + self.credential_id
        return bytes(16) + credential + cose
