"""A forgotten password: asking for a link gives nothing away; the token works once, briefly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from application.commands import ChangePassword, RequestPasswordReset, ResetPassword
from application.results import UserDetail
from application.services import Services
from domain import errors, events
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    WRONG,
    SignUp,
    credentials,
)

REQUEST_LIMIT = 3


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


@pytest.fixture
def token_for(services: Services, state: FakeState, clock: FakeClock) -> Callable[[UUID], str]:
    """A reset token for the stored account, made now, as the mail would carry it."""

    def token_for(user_id: UUID) -> str:
        return services.tokens.make_token(state.users[user_id], now=clock.now())

    return token_for


def asking(email: str) -> RequestPasswordReset:
    return RequestPasswordReset(email=email, client=CLIENT)


def resetting(token: str, new_password: str = NEW_PASSWORD) -> ResetPassword:
    return ResetPassword(token=token, new_password=new_password, client=CLIENT)


async def refused_token(services: Services, token: str) -> None:
    """Both the check and the reset refuse ``token``."""
    with pytest.raises(errors.InvalidResetToken):
        await services.check_reset_token(token)
    with pytest.raises(errors.InvalidResetToken):
        await services.reset_password(resetting(token))


async def test_a_request_for_an_active_accounts_address_names_the_account(
    services: Services, bus: RecordingBus, clock: FakeClock, alice: UserDetail
) -> None:
    bus.published.clear()
    await services.request_password_reset(asking("  ALICE@Example.com "))
    assert bus.published == [
        events.PasswordResetRequested(
            occurred_at=clock.now(), email="ALICE@example.com", user_id=alice.id
        )
    ]


@pytest.mark.parametrize("account", ["unknown", "inactive"])
async def test_a_request_for_no_active_account_is_recorded_without_a_user(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    alice: UserDetail,
    account: str,
) -> None:
    email = "nobody@example.com" if account == "unknown" else "alice@example.com"
    state.users[alice.id].active = account != "inactive"
    bus.published.clear()
    await services.request_password_reset(asking(email))
    assert bus.published == [
        events.PasswordResetRequested(occurred_at=clock.now(), email=email, user_id=None)
    ]
    entry = state.audit[-1]
    assert (entry.event_type, entry.user_id, entry.ip) == (
        "PasswordResetRequested",
        None,
        CLIENT.ip,
    )


async def answer_and_commits(
    services: Services, state: FakeState, email: str
) -> tuple[object, int]:
    """What asking for ``email`` returns, and how many commits it made."""
    request: Callable[[RequestPasswordReset], Awaitable[object]] = services.request_password_reset
    commits = state.commits
    answer = await request(asking(email))
    return answer, state.commits - commits


@pytest.mark.parametrize("account", ["unknown", "inactive"])
async def test_no_active_account_costs_the_same_commits_and_answer_as_a_known_one(
    services: Services, state: FakeState, alice: UserDetail, account: str
) -> None:
    known = await answer_and_commits(services, state, "alice@example.com")
    state.users[alice.id].active = account != "inactive"
    email = "nobody@example.com" if account == "unknown" else "alice@example.com"
    assert await answer_and_commits(services, state, email) == known == (None, 1)


@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
async def test_the_fourth_request_for_one_address_is_refused(
    services: Services, bus: RecordingBus, alice: UserDetail, email: str
) -> None:
    for typed in [email, email.upper(), f"  {email} "]:
        await services.request_password_reset(asking(typed))
    bus.published.clear()
    with pytest.raises(errors.TooManyAttempts) as refused:
        await services.request_password_reset(asking(email))
    assert refused.value.retry_after == 3600
    assert not isinstance(refused.value, errors.AccountLocked)  # a new password would not help
    assert bus.published == []


async def test_requests_for_one_address_do_not_limit_another(
    services: Services, bus: RecordingBus, alice: UserDetail
) -> None:
    for _ in range(REQUEST_LIMIT):
        await services.request_password_reset(asking("nobody@example.com"))
    bus.published.clear()
    await services.request_password_reset(asking("alice@example.com"))
    assert [type(event) for event in bus.published] == [events.PasswordResetRequested]


@pytest.mark.parametrize("email", ["alice", "alice@", "@example.com", "a b@example.com"])
async def test_a_request_for_an_invalid_address_is_refused(
    services: Services, state: FakeState, bus: RecordingBus, email: str
) -> None:
    commits = state.commits
    with pytest.raises(errors.InvalidEmail):
        await services.request_password_reset(asking(email))
    assert state.commits == commits
    assert bus.published == []


async def test_reset_password_sets_the_new_password(
    services: Services, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    await services.reset_password(resetting(token_for(alice.id)))
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", PASSWORD))
    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.id == alice.id


async def test_reset_password_ends_every_session_of_the_account_and_no_one_elses(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    sign_up: SignUp,
    token_for: Callable[[UUID], str],
    alice: UserDetail,
) -> None:
    await sign_up("bob")
    alices = [await services.sign_in(credentials("alice")) for _ in range(2)]
    bobs = await services.sign_in(credentials("bob"))
    token = token_for(alice.id)
    bus.published.clear()
    clock.advance(minutes=5)

    await services.reset_password(resetting(token))

    for each in alices:
        assert await services.resolve_session(each.session_key) is None
        assert state.sessions[each.session_id].revoked_at == clock.now()
    assert await services.resolve_session(bobs.session_key) is not None
    assert set(bus.published) == {
        events.PasswordChanged(occurred_at=clock.now(), user_id=alice.id, via="reset"),
        *(
            events.SessionRevoked(
                occurred_at=clock.now(),
                user_id=alice.id,
                session_id=each.session_id,
                reason="password reset",
            )
            for each in alices
        ),
    }
    assert len(bus.published) == 3


async def test_a_token_works_only_once(
    services: Services, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    token = token_for(alice.id)
    await services.reset_password(resetting(token))
    with pytest.raises(errors.InvalidResetToken):
        await services.reset_password(resetting(token, "yet another fresh passphrase"))
    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.id == alice.id


async def test_a_token_dies_after_the_password_changes(
    services: Services, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    token = token_for(alice.id)
    await services.change_password(
        ChangePassword(
            user_id=alice.id, current_password=PASSWORD, new_password=NEW_PASSWORD, client=CLIENT
        )
    )
    await refused_token(services, token)
    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.id == alice.id


async def test_a_usable_token_names_the_account_it_is_for(
    services: Services, token_for: Callable[[UUID], str], alice: UserDetail, sign_up: SignUp
) -> None:
    bob = await sign_up("bob")
    assert await services.check_reset_token(token_for(alice.id)) == "alice"
    assert await services.check_reset_token(token_for(bob.id)) == "bob"


async def test_a_token_works_for_an_hour_and_no_longer(
    services: Services, clock: FakeClock, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    token = token_for(alice.id)
    clock.advance(minutes=59)
    await services.check_reset_token(token)
    clock.advance(minutes=1, seconds=1)
    await refused_token(services, token)


def _other_users_id(token: str, bob: UUID) -> str:
    return str(bob) + token[len(str(bob)) :]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda token, bob: token[:-1], id="last-character-cut"),
        pytest.param(lambda token, bob: token[: len(token) // 2], id="cut-in-half"),
        pytest.param(lambda token, bob: token[:20], id="cut-inside-the-user-id"),
        pytest.param(lambda token, bob: token.replace("$", "$x", 1), id="hash-part-altered"),
        pytest.param(lambda token, bob: token + "x", id="character-added"),
        pytest.param(_other_users_id, id="names-another-account"),
        pytest.param(lambda token, bob: "garbage", id="garbage"),
        pytest.param(lambda token, bob: "|||", id="empty-parts"),
    ],
)
async def test_a_spoilt_token_is_refused_and_changes_nothing(
    services: Services,
    state: FakeState,
    sign_up: SignUp,
    token_for: Callable[[UUID], str],
    alice: UserDetail,
    spoil: Callable[[str, UUID], str],
) -> None:
    bob = await sign_up("bob")
    token = token_for(alice.id)
    hashes = {user_id: user.password_hash for user_id, user in state.users.items()}
    await refused_token(services, spoil(token, bob.id))
    assert {user_id: user.password_hash for user_id, user in state.users.items()} == hashes
    await services.check_reset_token(token)


async def test_a_token_for_a_deleted_or_inactive_account_is_refused(
    services: Services,
    state: FakeState,
    sign_up: SignUp,
    token_for: Callable[[UUID], str],
    alice: UserDetail,
) -> None:
    bob = await sign_up("bob")
    alices, bobs = token_for(alice.id), token_for(bob.id)
    del state.users[alice.id]
    state.users[bob.id].active = False
    await refused_token(services, alices)
    await refused_token(services, bobs)


async def test_a_weak_new_password_is_refused_and_the_token_still_works(
    services: Services, state: FakeState, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    token = token_for(alice.id)
    commits = state.commits
    with pytest.raises(errors.WeakPassword) as refused:
        await services.reset_password(resetting(token, "alice@example.com"))
    assert refused.value.field == "new_password"
    assert state.commits == commits
    await services.reset_password(resetting(token))
    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.id == alice.id


async def test_checking_a_good_token_passes_and_leaves_it_usable(
    services: Services, state: FakeState, token_for: Callable[[UUID], str], alice: UserDetail
) -> None:
    token = token_for(alice.id)
    commits = state.commits
    await services.check_reset_token(token)
    await services.check_reset_token(token)
    assert state.commits == commits
    await services.reset_password(resetting(token))


async def test_a_reset_forgets_earlier_failed_sign_ins(
    services: Services, alice: UserDetail, token_for: Callable[[UUID], str]
) -> None:
    for n in range(5):
        with pytest.raises(errors.InvalidCredentials):
            await services.sign_in(credentials(("alice", alice.email)[n % 2], WRONG))
    for login in ("alice", alice.email):
        with pytest.raises(errors.TooManyAttempts):
            await services.sign_in(credentials(login, PASSWORD))

    await services.reset_password(resetting(token_for(alice.id)))

    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.id == alice.id
    assert (await services.sign_in(credentials(alice.email, NEW_PASSWORD))).user.id == alice.id


async def test_the_old_password_cannot_be_chosen_again(
    services: Services, alice: UserDetail, token_for: Callable[[UUID], str]
) -> None:
    token = token_for(alice.id)
    with pytest.raises(errors.SamePassword):
        await services.reset_password(resetting(token, PASSWORD))
    await services.check_reset_token(token)
