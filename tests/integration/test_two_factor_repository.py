"""The two-factor repository over Core tables, through the real unit of work, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application import two_factor as two_factor_use_cases
from domain import errors, events
from domain.two_factor import (
    PendingTwoFactor,
    SignInChallenge,
    TwoFactor,
    hash_challenge_token,
    new_challenge_token,
)
from domain.users import User
from infrastructure.db.tables import audit_events, recovery_codes
from infrastructure.encryption import FernetSecretBox, new_key
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=UTC)
HASHES = [f"{i:064x}" for i in range(10)]


async def a_member(new_uow: UowFactory) -> User:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    return user


async def enabled_for(new_uow: UowFactory, user: User, *, step: int = 100) -> None:
    pending = PendingTwoFactor.begin(user.id, "gAAAA-encrypted", now=NOW)
    async with new_uow() as uow:
        uow.two_factor.add(TwoFactor.enable(pending, step=step, code_hashes=HASHES, now=NOW))
        await uow.commit()


async def test_a_second_factor_is_stored_with_its_codes_and_audited(
    new_uow: UowFactory, clean_engine: AsyncEngine, published: list[events.Event]
) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)

    async with new_uow() as uow:
        found = await uow.two_factor.get(user.id)
        assert await uow.two_factor.enabled_among([user.id, a_user().id]) == {user.id}
    assert found is not None
    assert (found.secret_encrypted, found.enabled_at, found.last_step) == (
        "gAAAA-encrypted",
        NOW,
        100,
    )
    assert sorted(code.code_hash for code in found.recovery_codes) == HASHES
    assert found.recovery_codes_left == 10
    assert events.TwoFactorEnabled(occurred_at=NOW, user_id=user.id) in published
    async with clean_engine.connect() as connection:
        types = (await connection.execute(select(audit_events.c.event_type))).scalars()
        assert "TwoFactorEnabled" in list(types)


async def test_an_account_without_two_factor_has_none(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    async with new_uow() as uow:
        assert await uow.two_factor.get(user.id) is None
        assert await uow.two_factor.enabled_among([]) == set()


async def test_an_accepted_step_and_a_spent_code_are_written(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)
    async with new_uow() as uow:
        state = await uow.two_factor.get(user.id)
        assert state is not None
        state.last_step = 101
        state.use_recovery_code(HASHES[3], now=NOW)
        await uow.commit()

    async with new_uow() as uow:
        again = await uow.two_factor.get(user.id)
    assert again is not None
    assert again.last_step == 101
    assert again.recovery_codes_left == 9
    assert [c.used_at for c in again.recovery_codes if c.code_hash == HASHES[3]] == [NOW]


async def test_of_two_racing_uses_of_one_step_only_one_is_written(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)
    first, second = new_uow(), new_uow()
    async with first:
        mine = await first.two_factor.get(user.id)
        async with second:
            theirs = await second.two_factor.get(user.id)
            assert mine is not None and theirs is not None
            theirs.last_step = 101
            await second.commit()
        mine.last_step = 101
        with pytest.raises(errors.InvalidCode):
            await first.commit()


async def test_of_two_racing_uses_of_one_recovery_code_only_one_is_written(
    new_uow: UowFactory,
) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)

    async def spend() -> None:
        async with new_uow() as uow:
            state = await uow.two_factor.get(user.id)
            assert state is not None
            state.use_recovery_code(HASHES[0], now=NOW)
            await asyncio.sleep(0)
            await uow.commit()

    outcomes = await asyncio.gather(spend(), spend(), return_exceptions=True)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert [type(o) for o in outcomes if o is not None] == [errors.InvalidCode]


async def test_new_recovery_codes_replace_the_old_ones(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)
    fresh = [f"{i:064x}" for i in range(100, 110)]
    async with new_uow() as uow:
        state = await uow.two_factor.get(user.id)
        assert state is not None
        state.replace_recovery_codes(fresh, now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        again = await uow.two_factor.get(user.id)
    assert again is not None
    assert sorted(code.code_hash for code in again.recovery_codes) == fresh


async def test_turning_it_off_forgets_the_secret_and_the_codes(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)
    async with new_uow() as uow:
        state = await uow.two_factor.get(user.id)
        assert state is not None
        state.disable(now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.two_factor.get(user.id) is None
    async with clean_engine.connect() as connection:
        left = await connection.execute(
            select(func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == user.id)
        )
        assert left.scalar_one() == 0
    await enabled_for(new_uow, user)  # and it can be turned on again


async def test_a_pending_setup_is_one_per_account_and_can_be_removed(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    async with new_uow() as uow:
        await uow.two_factor.put_pending(PendingTwoFactor.begin(user.id, "first", now=NOW))
        await uow.two_factor.put_pending(PendingTwoFactor.begin(user.id, "second", now=NOW))
        await uow.commit()
    async with new_uow() as uow:
        found = await uow.two_factor.get_pending(user.id)
        assert found is not None
        assert (found.secret_encrypted, found.expires_at) == ("second", NOW + timedelta(minutes=10))
        await uow.two_factor.remove_pending(user.id)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.two_factor.get_pending(user.id) is None


async def test_a_pending_setup_is_not_kept_without_a_commit(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    async with new_uow() as uow:
        await uow.two_factor.put_pending(PendingTwoFactor.begin(user.id, "s", now=NOW))
    async with new_uow() as uow:
        assert await uow.two_factor.get_pending(user.id) is None


async def test_a_challenge_is_found_by_its_token_hash_and_spent_once(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    token = new_challenge_token()
    async with new_uow() as uow:
        uow.two_factor.add_challenge(
            SignInChallenge.issue(user.id, token, remember=True, api_token=True, now=NOW)
        )
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.two_factor.get_challenge(token) is None  # only the hash is stored
        found = await uow.two_factor.get_challenge(hash_challenge_token(token))
        assert found is not None
        assert (found.user_id, found.remember, found.api_token) == (user.id, True, True)
        assert found.expires_at == NOW + timedelta(minutes=5)
        found.use(now=NOW)
        await uow.commit()

    async with new_uow() as uow:
        spent = await uow.two_factor.get_challenge(hash_challenge_token(token))
        assert spent is not None and spent.used_at == NOW


async def test_of_two_racing_uses_of_one_challenge_only_one_is_written(
    new_uow: UowFactory,
) -> None:
    user = await a_member(new_uow)
    token_hash = hash_challenge_token("t")
    async with new_uow() as uow:
        uow.two_factor.add_challenge(
            SignInChallenge.issue(user.id, "t", remember=False, api_token=False, now=NOW)
        )
        await uow.commit()
    first, second = new_uow(), new_uow()
    async with first:
        mine = await first.two_factor.get_challenge(token_hash)
        async with second:
            theirs = await second.two_factor.get_challenge(token_hash)
            assert mine is not None and theirs is not None
            theirs.use(now=NOW)
            await second.commit()
        mine.use(now=NOW)
        with pytest.raises(errors.InvalidChallenge):
            await first.commit()


async def test_two_setups_confirmed_at_once_leave_one_second_factor(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    first, second = new_uow(), new_uow()
    pending = PendingTwoFactor.begin(user.id, "s", now=NOW)
    async with first:
        first.two_factor.add(TwoFactor.enable(pending, step=1, code_hashes=HASHES, now=NOW))
        async with second:
            second.two_factor.add(TwoFactor.enable(pending, step=1, code_hashes=HASHES, now=NOW))
            await second.commit()
        with pytest.raises(errors.TwoFactorAlreadyEnabled):
            await first.commit()


async def test_every_secret_is_re_encrypted_with_the_first_key(new_uow: UowFactory) -> None:
    old, new = new_key(), new_key()
    before = FernetSecretBox([old])
    enabled, pending = await a_member(new_uow), await a_member(new_uow)
    async with new_uow() as uow:
        first = PendingTwoFactor.begin(enabled.id, before.encrypt("ENABLEDSECRET"), now=NOW)
        uow.two_factor.add(TwoFactor.enable(first, step=1, code_hashes=HASHES, now=NOW))
        await uow.two_factor.put_pending(
            PendingTwoFactor.begin(pending.id, before.encrypt("PENDINGSECRET"), now=NOW)
        )
        await uow.commit()

    assert (
        await two_factor_use_cases.rotate_secrets(uow=new_uow(), box=FernetSecretBox([new, old]))
        == 2
    )

    after = FernetSecretBox([new])
    async with new_uow() as uow:
        state = await uow.two_factor.get(enabled.id)
        setup = await uow.two_factor.get_pending(pending.id)
    assert state is not None and setup is not None
    assert after.decrypt(state.secret_encrypted) == "ENABLEDSECRET"
    assert after.decrypt(setup.secret_encrypted) == "PENDINGSECRET"


async def test_rotation_changes_nothing_when_a_secret_opens_with_no_key(
    new_uow: UowFactory,
) -> None:
    user = await a_member(new_uow)
    await enabled_for(new_uow, user)  # "gAAAA-encrypted" opens with no key at all
    with pytest.raises(ValueError, match="no configured key"):
        await two_factor_use_cases.rotate_secrets(uow=new_uow(), box=FernetSecretBox([new_key()]))
    async with new_uow() as uow:
        state = await uow.two_factor.get(user.id)
    assert state is not None and state.secret_encrypted == "gAAAA-encrypted"


async def test_only_the_accounts_expired_challenges_are_removed(new_uow: UowFactory) -> None:
    user, other = await a_member(new_uow), await a_member(new_uow)
    async with new_uow() as uow:
        for owner, token, at in [
            (user, "old", NOW),
            (user, "new", NOW + timedelta(minutes=4)),
            (other, "theirs", NOW),
        ]:
            uow.two_factor.add_challenge(
                SignInChallenge.issue(owner.id, token, remember=False, api_token=False, now=at)
            )
        await uow.commit()
    async with new_uow() as uow:
        await uow.two_factor.remove_expired_challenges(user.id, now=NOW + timedelta(minutes=6))
        await uow.commit()
    async with new_uow() as uow:
        left = {
            token: await uow.two_factor.get_challenge(hash_challenge_token(token)) is not None
            for token in ("old", "new", "theirs")
        }
    assert left == {"old": False, "new": True, "theirs": True}
