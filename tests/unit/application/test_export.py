"""Export on fakes: one document of the account's data, its trail included, recorded
itself, a few an hour."""

from __future__ import annotations

import pytest

from application.services import Services
from domain import errors
from tests.fakes import FakeState
from tests.unit.application.helpers import CLIENT, SignUp, credentials


async def test_the_export_holds_the_account_its_sessions_and_its_trail(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    await services.sign_in(credentials("alice"))
    document = await services.export_account(alice.id, CLIENT)
    assert document.account.id == alice.id and document.two_factor.enabled is False
    assert len(document.sessions) == 1 and document.passkeys == ()
    assert {"UserRegistered", "UserLoggedIn"} <= {e.event_type for e in document.audit_events}
    assert [e.ip for e in state.audit if e.event_type == "AccountExported"] == [CLIENT.ip]


async def test_a_few_exports_an_hour(services: Services, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    for _ in range(3):
        await services.export_account(alice.id, CLIENT)
    with pytest.raises(errors.TooManyAttempts):
        await services.export_account(alice.id, CLIENT)
