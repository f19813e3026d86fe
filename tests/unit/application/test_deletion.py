"""Deleting an account on fakes: the password (and a code with two-factor on) first;
sessions end, the account goes, its names are free again, and the trail keeps its id
without a name or an address; never the last active administrator."""

from __future__ import annotations

import pytest

from application.commands import DeleteAccount
from application.services import Services
from domain import errors, events
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import CLIENT, PASSWORD, WRONG, SignUp, acting, credentials
from tests.unit.application.two_factor_support import Account, code_now


async def test_deleting_needs_the_password_then_erases_the_account_and_frees_its_names(
    services: Services, state: FakeState, bus: RecordingBus, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    signed_in = await services.sign_in(credentials("alice"))
    with pytest.raises(errors.InvalidCredentials):
        await services.delete_own_account(DeleteAccount(user_id=alice.id, password=WRONG))
    assert alice.id in state.users
    await services.delete_own_account(
        DeleteAccount(user_id=alice.id, password=PASSWORD, client=CLIENT)
    )
    assert alice.id not in state.users
    assert signed_in.session_id not in state.sessions  # type: ignore[union-attr]
    revoked = [e for e in bus.published if isinstance(e, events.SessionRevoked)]
    assert [e.reason for e in revoked] == ["account deleted"]
    deleted = [e for e in bus.published if isinstance(e, events.AccountDeleted)]
    assert [(e.email, e.by) for e in deleted] == [("alice@example.com", "themselves")]
    for entry in state.audit:
        assert "alice" not in str(entry.details).lower(), entry
    assert [e.ip for e in state.audit if e.event_type == "AccountDeleted"] == [CLIENT.ip]
    assert (await sign_up("alice")).username == "alice"  # the names are free again


async def test_with_two_factor_on_a_code_is_needed_too(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    user_id = account.user.id
    with pytest.raises(errors.InvalidCode, match="two-factor is on"):
        await services.delete_own_account(DeleteAccount(user_id=user_id, password=PASSWORD))
    with pytest.raises(errors.InvalidCode):
        await services.delete_own_account(
            DeleteAccount(user_id=user_id, password=PASSWORD, code="000000")
        )
    assert user_id in state.users
    await services.delete_own_account(
        DeleteAccount(user_id=user_id, password=PASSWORD, code=code_now(account.secret, clock))
    )
    assert user_id not in state.users and user_id not in state.two_factor


async def test_the_last_active_administrator_cannot_delete_themselves(
    services: Services, state: FakeState, make_admin: SignUp
) -> None:
    boss = await make_admin("boss")
    with pytest.raises(errors.LastAdmin):
        await services.delete_own_account(DeleteAccount(user_id=boss.id, password=PASSWORD))
    assert boss.id in state.users
    await make_admin("deputy")
    await services.delete_own_account(DeleteAccount(user_id=boss.id, password=PASSWORD))
    assert boss.id not in state.users


async def test_an_administrator_deletes_an_account_but_not_their_own(
    services: Services, state: FakeState, sign_up: SignUp, make_admin: SignUp
) -> None:
    boss, alice = await make_admin("boss"), await sign_up("alice")
    with pytest.raises(errors.PermissionDenied):
        await services.delete_user(boss.id, acting(alice))
    with pytest.raises(errors.CannotDeleteSelf):
        await services.delete_user(boss.id, acting(boss))
    await services.delete_user(alice.id, acting(boss))
    assert alice.id not in state.users
    (entry,) = [e for e in state.audit if e.event_type == "AccountDeleted"]
    assert (entry.user_id, entry.actor_id, entry.details) == (
        alice.id,
        boss.id,
        {"by": "an administrator"},
    )
