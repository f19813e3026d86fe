"""Passkeys (WebAuthn credentials): signing in without a password, or giving the second
factor, with a key pair the account holder's device keeps. The server keeps the public
key and the authenticator's signature counter; each ceremony signs a server-side,
single-use, five-minute challenge."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain import errors, events

CHALLENGE_BYTES = 32
CHALLENGE_LIFETIME = timedelta(minutes=5)
NAME_MAX = 60
DEFAULT_NAME = "Passkey"


class Ceremony(StrEnum):
    """What a challenge is for: adding a passkey, a sign-in that names nobody (the
    passkey says whose it is), the second step of a password sign-in, or a signed-in
    holder proving it is them (in place of the password, to remove a passkey)."""

    REGISTER = "register"
    SIGN_IN = "sign_in"
    SECOND_FACTOR = "second_factor"
    CONFIRM = "confirm"


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def challenge_digest(challenge: bytes) -> str:
    """How a stored challenge is found again from the one the client signed."""
    return hashlib.sha256(challenge).hexdigest()


def passkey_name(text: str) -> str:
    """A name as the holder gave it, trimmed; a blank one is "Passkey".

    Raises: InvalidPasskeyName (too long)
    """
    name = " ".join(text.split())
    if len(name) > NAME_MAX:
        raise errors.InvalidPasskeyName(field="name")
    return name or DEFAULT_NAME


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A credential the verifier found valid at registration."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...] = ()
    authenticator: str = ""  # what kind of authenticator, where it says (a platform, a key)


@dataclass(frozen=True, slots=True)
class Assertion:
    """A sign-in the verifier found signed by the stored public key."""

    credential_id: bytes
    sign_count: int


@dataclass(eq=False)
class Passkey:
    user_id: UUID
    credential_id: bytes
    public_key: bytes
    sign_count: int
    name: str
    created_at: datetime
    transports: tuple[str, ...] = ()
    authenticator: str = ""
    last_used_at: datetime | None = None
    removed: bool = False
    id: UUID = field(default_factory=uuid.uuid4)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def register(
        cls, user_id: UUID, credential: NewCredential, *, name: str, now: datetime
    ) -> Passkey:
        passkey = cls(
            user_id=user_id,
            credential_id=credential.credential_id,
            public_key=credential.public_key,
            sign_count=credential.sign_count,
            name=passkey_name(name),
            created_at=now,
            transports=credential.transports,
            authenticator=credential.authenticator,
        )
        passkey.events.append(
            events.PasskeyAdded(occurred_at=now, user_id=user_id, passkey_id=passkey.id)
        )
        return passkey

    def use(self, assertion: Assertion, *, now: datetime) -> None:
        """Note a sign-in. An authenticator that keeps a counter raises it every time:
        a count that does not grow means a copy of the key is in use.

        Raises: InvalidPasskey (removed, or the count went backwards)
        """
        if self.removed:
            raise errors.InvalidPasskey()
        counted = assertion.sign_count != 0 or self.sign_count != 0
        if counted and assertion.sign_count <= self.sign_count:
            raise errors.InvalidPasskey()
        self.sign_count = assertion.sign_count
        self.last_used_at = now
        self.events.append(
            events.PasskeyUsed(occurred_at=now, user_id=self.user_id, passkey_id=self.id)
        )

    def rename(self, name: str) -> None:
        """Raises: InvalidPasskeyName"""
        self.name = passkey_name(name)

    def remove(self, *, now: datetime) -> None:
        if not self.removed:
            self.removed = True
            self.events.append(
                events.PasskeyRemoved(occurred_at=now, user_id=self.user_id, passkey_id=self.id)
            )


@dataclass(eq=False)
class PasskeyChallenge:
    """A challenge handed to the browser for one ceremony: kept on the server, found
    again by its digest, used at most once, within five minutes. A registration's
    names its account; a second factor's names the password step's challenge too."""

    digest: str
    ceremony: Ceremony
    expires_at: datetime
    user_id: UUID | None = None
    sign_in_challenge: str | None = None  # the token hash of the two-factor challenge
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        challenge: bytes,
        ceremony: Ceremony,
        *,
        now: datetime,
        user_id: UUID | None = None,
        sign_in_challenge: str | None = None,
    ) -> PasskeyChallenge:
        return cls(
            digest=challenge_digest(challenge),
            ceremony=ceremony,
            expires_at=now + CHALLENGE_LIFETIME,
            user_id=user_id,
            sign_in_challenge=sign_in_challenge,
        )

    def spend(self, ceremony: Ceremony, *, now: datetime, user_id: UUID | None = None) -> None:
        """Use the challenge for ``ceremony`` (of ``user_id``, where it names one).

        Raises: InvalidChallenge (used, expired, for another ceremony or account)
        """
        wrong_account = self.user_id is not None and self.user_id != user_id
        if self.used_at is not None or now >= self.expires_at or wrong_account:
            raise errors.InvalidChallenge()
        if self.ceremony != ceremony:
            raise errors.InvalidChallenge()
        self.used_at = now
