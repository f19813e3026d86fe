"""Verified-address use cases on fakes: a link verifies once, within three days, while
the account's address is still the one it was made for; a new address's link makes it
current unless it was taken meanwhile; links are asked for again a few times only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.results import SignedIn
from application.services import Services
from domain import errors
from domain.values import EmailAddress
from tests.fakes import FakeClock, FakeLoginThrottle, FakeState
from tests.unit.application.helpers import CLIENT, WRONG, SignUp, acting, credentials


def link(services: Services, state: FakeState, user_id: object, address: str) -> str:
    user = state.users[user_id]  # type: ignore[index]
    return services.address_tokens.make_token(user, EmailAddress(address), now=services.clock.now())


async def test_a_link_verifies_the_address_once(
    services: Services, state: FakeState, sign_up: SignUp, clock: FakeClock
) -> None:
    alice = await sign_up("alice")
    assert not alice.email_verified
    token = link(services, state, alice.id, "alice@example.com")
    assert await services.address_of(token) == "alice@example.com"
    verified = await services.verify_address(token, CLIENT)
    assert verified.email_verified and state.users[alice.id].email_verified_at == clock.now()
    assert [e.ip for e in state.audit if e.event_type == "EmailVerified"] == [CLIENT.ip]
    with pytest.raises(errors.InvalidAddressLink):
        await services.verify_address(token, CLIENT)


async def test_a_link_expires_after_three_days(
    services: Services, state: FakeState, sign_up: SignUp, clock: FakeClock
) -> None:
    alice = await sign_up("alice")
    token = link(services, state, alice.id, "alice@example.com")
    clock.advance(days=3, seconds=1)
    with pytest.raises(errors.InvalidAddressLink):
        await services.address_of(token)
    assert not state.users[alice.id].email_verified


async def test_a_new_addresss_link_makes_it_current_unless_taken_meanwhile(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    token = link(services, state, alice.id, "ally@example.org")
    changed = await services.verify_address(token, CLIENT)
    assert (changed.email, changed.email_verified) == ("ally@example.org", True)
    late = link(services, state, alice.id, "bob@example.com")
    await sign_up("bob")
    with pytest.raises(errors.EmailTaken):
        await services.verify_address(late, CLIENT)
    assert str(state.users[alice.id].email) == "ally@example.org"


@pytest.mark.parametrize("token", ["", "nonsense", "x|y|z|w|v"])
async def test_a_made_up_link_is_refused(services: Services, token: str) -> None:
    with pytest.raises(errors.InvalidAddressLink):
        await services.verify_address(token, CLIENT)


async def test_a_link_of_a_deactivated_account_is_refused(
    services: Services, state: FakeState, sign_up: SignUp, make_admin: SignUp
) -> None:
    alice = await sign_up("alice")
    token = link(services, state, alice.id, "alice@example.com")
    await services.deactivate_user(alice.id, acting(await make_admin("boss")))
    with pytest.raises(errors.InvalidAddressLink):
        await services.verify_address(token, CLIENT)


async def test_asking_again_records_the_request_and_is_limited(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    assert isinstance(services.reset_throttle, FakeLoginThrottle)
    for _ in range(3):
        assert await services.request_verification(alice.id, CLIENT) == "alice@example.com"
    with pytest.raises(errors.TooManyAttempts):
        await services.request_verification(alice.id, CLIENT)
    sent = [e for e in state.audit if e.event_type == "EmailVerificationRequested"]
    assert len(sent) == 3


async def test_a_verified_address_needs_no_new_link(services: Services, make_admin: SignUp) -> None:
    boss = await make_admin("boss")
    with pytest.raises(errors.EmailAlreadyVerified):
        await services.request_verification(boss.id, CLIENT)


async def test_with_verification_required_only_a_verified_address_signs_in(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    strict = replace(services, session_policy=replace(services.session_policy, verified_only=True))
    alice = await sign_up("alice")
    with pytest.raises(errors.InvalidCredentials):  # a wrong password says only that
        await strict.sign_in(credentials("alice", WRONG))
    with pytest.raises(errors.EmailNotVerified) as refused:
        await strict.sign_in(credentials("alice"))
    assert refused.value.user_id == alice.id and state.sessions == {}
    await strict.verify_address(link(strict, state, alice.id, "alice@example.com"), CLIENT)
    assert isinstance(await strict.sign_in(credentials("alice")), SignedIn)


async def test_with_verification_on_a_second_factor_or_passkey_needs_a_verified_address(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    strict = replace(services, verification_on=True)
    alice = await sign_up("alice")
    with pytest.raises(errors.EmailNotVerified):
        await strict.begin_two_factor_setup(alice.id)
    with pytest.raises(errors.EmailNotVerified):
        await strict.begin_passkey_registration(alice.id)
    await strict.verify_address(link(strict, state, alice.id, "alice@example.com"), CLIENT)
    assert (await strict.begin_two_factor_setup(alice.id)).secret
    assert (await strict.begin_passkey_registration(alice.id)).public_key["challenge"]
