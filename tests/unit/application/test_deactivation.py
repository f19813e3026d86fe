"""Deactivating an account ends every one of its sessions."""

from __future__ import annotations

from application.commands import Client, SignIn
from application.services import Services
from domain import events
from tests.fakes import FakeClock, FakeState
from tests.unit.application.helpers import PASSWORD, SignUp


async def test_a_deactivated_account_keeps_no_live_session(
    services: Services, state: FakeState, sign_up: SignUp, clock: FakeClock
) -> None:
    user = await sign_up("dora")
    other = await sign_up("eve")
    for _ in range(2):
        await services.sign_in(SignIn(login="dora", password=PASSWORD, client=Client()))
    kept = await services.sign_in(SignIn(login="eve", password=PASSWORD, client=Client()))
    services.bus.subscribe(events.UserDeactivated, services.end_all_sessions)

    await services.bus.publish([events.UserDeactivated(occurred_at=clock.now(), user_id=user.id)])

    doras = [s for s in state.sessions.values() if s.user_id == user.id]
    assert len(doras) == 2
    assert all(s.revoked_at is not None for s in doras)
    assert state.sessions[kept.session_id].revoked_at is None
    assert other.id != user.id
    reasons = {e.details.get("reason") for e in state.audit if e.event_type == "SessionRevoked"}
    assert reasons == {"account deactivated"}
