"""Passkey use cases on fakes (a fake verifier and authenticator, a fake clock): adding,
signing in alone and as the second step, renaming, removing, and an administrator's
removal; challenges single-use and bound, counters that go backwards refused."""

from __future__ import annotations

import asyncio

import pytest

from application.commands import (
    AddPasskey,
    PasskeySecondFactor,
    PasskeySignIn,
    RemovePasskey,
    RenamePasskey,
)
from application.results import PasskeyView, SignedIn, TwoFactorRequired, UserDetail
from application.services import Services
from domain import errors, events
from domain.sessions import SecondFactor
from tests.fakes import FakeAuthenticator, FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import (
    CLIENT,
    PASSWORD,
    WRONG,
    SignUp,
    acting,
    credentials,
)
from tests.unit.application.two_factor_support import Account


async def add(
    services: Services, user: UserDetail, device: FakeAuthenticator, name: str = "Laptop"
) -> PasskeyView:
    options = await services.begin_passkey_registration(user.id)
    return await services.add_passkey(
        AddPasskey(user_id=user.id, name=name, answer=device.create(options), client=CLIENT)
    )


async def passkey_sign_in(services: Services, device: FakeAuthenticator) -> SignedIn:
    options = await services.begin_passkey_sign_in()
    return await services.sign_in_with_passkey(
        PasskeySignIn(answer=device.get(options), client=CLIENT)
    )


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


@pytest.fixture
def device() -> FakeAuthenticator:
    return FakeAuthenticator()


# Adding


async def test_an_added_passkey_is_listed_audited_and_excluded_next_time(
    services: Services, state: FakeState, bus: RecordingBus, alice: UserDetail
) -> None:
    device = FakeAuthenticator()
    added = await add(services, alice, device, name="  Work   laptop ")
    assert added.name == "Work laptop" and added.authenticator == "built into a device"
    assert await services.list_passkeys(alice.id) == [added]
    assert [e.ip for e in state.audit if e.event_type == "PasskeyAdded"] == [CLIENT.ip]
    assert any(isinstance(e, events.PasskeyAdded) for e in bus.published)
    options = await services.begin_passkey_registration(alice.id)
    assert options.public_key["excludeCredentials"] == [device.credential_id.hex()]


async def test_a_blank_name_is_passkey(services: Services, alice: UserDetail) -> None:
    assert (await add(services, alice, FakeAuthenticator(), name="")).name == "Passkey"


async def test_the_same_passkey_cannot_be_added_twice(
    services: Services, alice: UserDetail, device: FakeAuthenticator
) -> None:
    await add(services, alice, device)
    with pytest.raises(errors.InvalidPasskey):
        await add(services, alice, device)
    assert len(await services.list_passkeys(alice.id)) == 1


async def test_a_registration_challenge_serves_only_its_account_and_only_once(
    services: Services, alice: UserDetail, sign_up: SignUp
) -> None:
    bob = await sign_up("bob")
    options = await services.begin_passkey_registration(alice.id)
    answer = FakeAuthenticator().create(options)
    with pytest.raises(errors.InvalidChallenge):
        await services.add_passkey(AddPasskey(user_id=bob.id, answer=answer))
    await services.add_passkey(AddPasskey(user_id=alice.id, answer=answer))
    with pytest.raises(errors.InvalidChallenge):
        await services.add_passkey(AddPasskey(user_id=alice.id, answer=answer))
    assert await services.list_passkeys(bob.id) == []


async def test_a_challenge_expires_after_five_minutes(
    services: Services, alice: UserDetail, clock: FakeClock
) -> None:
    options = await services.begin_passkey_registration(alice.id)
    clock.advance(minutes=5)
    with pytest.raises(errors.InvalidChallenge):
        await services.add_passkey(
            AddPasskey(user_id=alice.id, answer=FakeAuthenticator().create(options))
        )


async def test_a_failed_answer_still_uses_the_challenge_up(
    services: Services, alice: UserDetail, device: FakeAuthenticator
) -> None:
    options = await services.begin_passkey_registration(alice.id)
    good = device.create(options)
    with pytest.raises(errors.InvalidPasskey):
        await services.add_passkey(AddPasskey(user_id=alice.id, answer={**good, "type": "get"}))
    with pytest.raises(errors.InvalidChallenge):
        await services.add_passkey(AddPasskey(user_id=alice.id, answer=good))


@pytest.mark.parametrize(
    "answer", [{}, {"challenge": "zz"}, {"challenge": 7, "rawId": "00"}, {"type": "create"}]
)
async def test_a_malformed_answer_is_refused_and_adds_nothing(
    services: Services, alice: UserDetail, answer: dict[str, object]
) -> None:
    await services.begin_passkey_registration(alice.id)
    with pytest.raises((errors.InvalidPasskey, errors.InvalidChallenge)):
        await services.add_passkey(AddPasskey(user_id=alice.id, answer=answer))
    assert await services.list_passkeys(alice.id) == []


# Signing in with a passkey alone


async def test_a_passkey_signs_in_without_a_name_or_password(
    services: Services,
    state: FakeState,
    alice: UserDetail,
    device: FakeAuthenticator,
    clock: FakeClock,
) -> None:
    await add(services, alice, device)
    signed_in = await passkey_sign_in(services, device)
    assert signed_in.user.id == alice.id
    assert state.sessions[signed_in.session_id].second_factor == SecondFactor.PASSKEY
    assert state.users[alice.id].last_login_at == clock.now()
    (used,) = await services.list_passkeys(alice.id)
    assert used.last_used_at == clock.now()
    kinds = [e.event_type for e in state.audit]
    assert "PasskeyUsed" in kinds and "UserLoggedIn" in kinds


async def test_with_two_factor_on_a_passkey_is_enough(
    services: Services, account: Account, device: FakeAuthenticator
) -> None:
    assert isinstance(await services.sign_in(credentials("alice")), TwoFactorRequired)
    await add(services, account.user, device)
    assert (await passkey_sign_in(services, device)).user.id == account.user.id


async def test_an_unknown_passkey_signs_nobody_in(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    with pytest.raises(errors.InvalidPasskey):
        await passkey_sign_in(services, FakeAuthenticator())
    assert state.sessions == {}


async def test_a_sign_in_challenge_is_used_once(
    services: Services, alice: UserDetail, device: FakeAuthenticator
) -> None:
    await add(services, alice, device)
    options = await services.begin_passkey_sign_in()
    answer = device.get(options)
    await services.sign_in_with_passkey(PasskeySignIn(answer=answer))
    with pytest.raises(errors.InvalidChallenge):
        await services.sign_in_with_passkey(PasskeySignIn(answer=answer))


async def test_a_registration_challenge_does_not_sign_in(
    services: Services, alice: UserDetail, device: FakeAuthenticator
) -> None:
    await add(services, alice, device)
    options = await services.begin_passkey_registration(alice.id)
    with pytest.raises(errors.InvalidChallenge):
        await services.sign_in_with_passkey(PasskeySignIn(answer=device.get(options)))


async def test_a_counter_that_goes_backwards_is_a_copied_key(
    services: Services, state: FakeState, alice: UserDetail, device: FakeAuthenticator
) -> None:
    await add(services, alice, device)
    await passkey_sign_in(services, device)
    await passkey_sign_in(services, device)
    device.count = 1  # a clone that kept an old count
    with pytest.raises(errors.InvalidPasskey):
        await passkey_sign_in(services, device)
    assert len(state.sessions) == 2
    failed = [e for e in state.audit if e.event_type == "LoginFailed"]
    assert [e.user_id for e in failed] == [alice.id]


async def test_an_authenticator_without_a_counter_keeps_working(
    services: Services, alice: UserDetail
) -> None:
    device = FakeAuthenticator(counts=False)
    await add(services, alice, device)
    await passkey_sign_in(services, device)
    await passkey_sign_in(services, device)


async def test_a_deactivated_account_cannot_sign_in_with_its_passkey(
    services: Services, alice: UserDetail, device: FakeAuthenticator, make_admin: SignUp
) -> None:
    await add(services, alice, device)
    await services.deactivate_user(alice.id, acting(await make_admin("boss")))
    with pytest.raises(errors.InvalidPasskey):
        await passkey_sign_in(services, device)


async def test_the_same_answer_sent_twice_at_once_opens_one_session(
    services: Services, state: FakeState, alice: UserDetail, device: FakeAuthenticator
) -> None:
    await add(services, alice, device)
    options = await services.begin_passkey_sign_in()
    answer = device.get(options)
    outcomes = await asyncio.gather(
        *(services.sign_in_with_passkey(PasskeySignIn(answer=answer)) for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, SignedIn) for outcome in outcomes) == 1
    assert len(state.sessions) == 1


# The second step of a password sign-in


async def second_step(
    services: Services, device: FakeAuthenticator, *, trust: bool = False
) -> SignedIn:
    token = await _challenge(services)
    options = await services.begin_passkey_second_factor(token)
    return await services.complete_sign_in_with_passkey(
        PasskeySecondFactor(
            challenge=token, answer=device.get(options), client=CLIENT, trust_browser=trust
        )
    )


async def _challenge(services: Services) -> str:
    result = await services.sign_in(credentials("alice"))
    assert isinstance(result, TwoFactorRequired)
    return result.challenge


async def test_a_passkey_gives_the_second_factor_in_place_of_a_code(
    services: Services, state: FakeState, account: Account, device: FakeAuthenticator
) -> None:
    await add(services, account.user, device)
    signed_in = await second_step(services, device, trust=True)
    assert signed_in.user.id == account.user.id and signed_in.trusted_browser is not None
    assert state.sessions[signed_in.session_id].second_factor == SecondFactor.PASSKEY


async def test_the_second_step_offers_only_the_accounts_passkeys(
    services: Services, account: Account, device: FakeAuthenticator
) -> None:
    await add(services, account.user, device)
    options = await services.begin_passkey_second_factor(await _challenge(services))
    assert options.public_key["allowCredentials"] == [device.credential_id.hex()]


async def test_without_a_passkey_the_second_step_says_so(
    services: Services, account: Account
) -> None:
    with pytest.raises(errors.InvalidPasskey, match="no passkey"):
        await services.begin_passkey_second_factor(await _challenge(services))


async def test_someone_elses_passkey_is_no_second_factor(
    services: Services, account: Account, sign_up: SignUp, device: FakeAuthenticator
) -> None:
    await add(services, account.user, device)
    bobs = FakeAuthenticator()
    await add(services, await sign_up("bob"), bobs)
    token = await _challenge(services)
    options = await services.begin_passkey_second_factor(token)
    with pytest.raises(errors.InvalidPasskey):
        await services.complete_sign_in_with_passkey(
            PasskeySecondFactor(challenge=token, answer=bobs.get(options))
        )


async def test_a_passkey_challenge_finishes_only_its_own_sign_in(
    services: Services, account: Account, device: FakeAuthenticator
) -> None:
    await add(services, account.user, device)
    first, second = await _challenge(services), await _challenge(services)
    options = await services.begin_passkey_second_factor(first)
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in_with_passkey(
            PasskeySecondFactor(challenge=second, answer=device.get(options))
        )


async def test_an_expired_sign_in_cannot_be_finished_with_a_passkey(
    services: Services, account: Account, device: FakeAuthenticator, clock: FakeClock
) -> None:
    await add(services, account.user, device)
    token = await _challenge(services)
    options = await services.begin_passkey_second_factor(token)
    clock.advance(minutes=5)
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in_with_passkey(
            PasskeySecondFactor(challenge=token, answer=device.get(options))
        )


# Names, removal, administrators


async def test_a_passkey_is_renamed_by_its_holder_only(
    services: Services, alice: UserDetail, sign_up: SignUp
) -> None:
    added = await add(services, alice, FakeAuthenticator())
    renamed = await services.rename_passkey(
        RenamePasskey(user_id=alice.id, passkey_id=added.id, name="Phone")
    )
    assert renamed.name == "Phone"
    bob = await sign_up("bob")
    with pytest.raises(errors.PasskeyNotFound):
        await services.rename_passkey(RenamePasskey(user_id=bob.id, passkey_id=added.id, name="x"))


async def test_removing_needs_the_password_and_the_passkey_then_signs_nobody_in(
    services: Services, state: FakeState, alice: UserDetail, device: FakeAuthenticator
) -> None:
    added = await add(services, alice, device)
    with pytest.raises(errors.InvalidCredentials):
        await services.remove_passkey(
            RemovePasskey(user_id=alice.id, passkey_id=added.id, password=WRONG)
        )
    assert len(await services.list_passkeys(alice.id)) == 1
    await services.remove_passkey(
        RemovePasskey(user_id=alice.id, passkey_id=added.id, password=PASSWORD, client=CLIENT)
    )
    assert await services.list_passkeys(alice.id) == []
    assert [e.ip for e in state.audit if e.event_type == "PasskeyRemoved"] == [CLIENT.ip]
    with pytest.raises(errors.InvalidPasskey):
        await passkey_sign_in(services, device)
    with pytest.raises(errors.PasskeyNotFound):
        await services.remove_passkey(
            RemovePasskey(user_id=alice.id, passkey_id=added.id, password=PASSWORD)
        )


async def test_an_administrator_lists_and_removes_someones_passkey(
    services: Services, state: FakeState, alice: UserDetail, make_admin: SignUp, sign_up: SignUp
) -> None:
    boss = await make_admin("boss")
    added = await add(services, alice, FakeAuthenticator())
    assert await services.admin_list_passkeys(alice.id, acting(boss)) == [added]
    bob = await sign_up("bob")
    with pytest.raises(errors.PermissionDenied):
        await services.admin_remove_passkey(alice.id, added.id, acting(bob))
    with pytest.raises(errors.PasskeyNotFound):
        await services.admin_remove_passkey(bob.id, added.id, acting(boss))
    await services.admin_remove_passkey(alice.id, added.id, acting(boss))
    assert await services.list_passkeys(alice.id) == []
    removed = [e for e in state.audit if e.event_type == "PasskeyRemoved"]
    assert [(e.user_id, e.actor_id) for e in removed] == [(alice.id, boss.id)]


async def test_a_passkey_can_be_removed_by_answering_with_another_one(
    services: Services, alice: UserDetail
) -> None:
    lost, kept = FakeAuthenticator(), FakeAuthenticator()
    gone = await add(services, alice, lost, name="Lost phone")
    await add(services, alice, kept, name="Laptop")
    options = await services.begin_passkey_confirmation(alice.id)
    assert len(options.public_key["allowCredentials"]) == 2
    await services.remove_passkey(
        RemovePasskey(user_id=alice.id, passkey_id=gone.id, answer=kept.get(options))
    )
    assert [p.name for p in await services.list_passkeys(alice.id)] == ["Laptop"]


async def test_a_confirmation_needs_this_accounts_passkey_and_challenge(
    services: Services, alice: UserDetail, sign_up: SignUp
) -> None:
    mine = FakeAuthenticator()
    added = await add(services, alice, mine)
    bobs = FakeAuthenticator()
    bob = await sign_up("bob")
    await add(services, bob, bobs)
    options = await services.begin_passkey_confirmation(bob.id)
    with pytest.raises(errors.InvalidChallenge):  # bob's challenge
        await services.remove_passkey(
            RemovePasskey(user_id=alice.id, passkey_id=added.id, answer=bobs.get(options))
        )
    options = await services.begin_passkey_confirmation(alice.id)
    with pytest.raises(errors.InvalidPasskey):  # the right challenge, bob's passkey
        await services.remove_passkey(
            RemovePasskey(user_id=alice.id, passkey_id=added.id, answer=bobs.get(options))
        )
    sign_in = await services.begin_passkey_sign_in()
    with pytest.raises(errors.InvalidChallenge):  # a sign-in's challenge confirms nothing
        await services.remove_passkey(
            RemovePasskey(user_id=alice.id, passkey_id=added.id, answer=mine.get(sign_in))
        )
    assert len(await services.list_passkeys(alice.id)) == 1


async def test_without_passkeys_there_is_nothing_to_confirm_with(
    services: Services, alice: UserDetail
) -> None:
    with pytest.raises(errors.InvalidPasskey):
        await services.begin_passkey_confirmation(alice.id)
