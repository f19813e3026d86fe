"""Cached reads through the services: what is served from the cache, and every change
that must make the next read see the truth."""

from __future__ import annotations

import pytest

from application.caching import ReadCache
from application.commands import ListMembers, RoleChange, UpdateProfile
from application.results import SignedIn, UserDetail
from application.services import Services
from domain import events
from domain.sessions import hash_session_key
from tests.fakes import SESSION_POLICY, FakeCache, FakeClock, FakeState
from tests.unit.application.helpers import SignUp, acting, credentials, registration


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


SETTLE = 5  # seconds after a change in which an account's copy is not cached again


@pytest.fixture
async def signed(services: Services, clock: FakeClock, alice: UserDetail) -> SignedIn:
    signed = await services.sign_in(credentials("alice"))
    clock.advance(seconds=SETTLE)
    assert await services.resolve_session(signed.session_key) is not None  # now cached
    return signed


def forget_database(state: FakeState) -> None:
    """Empty the fake database behind the services' back: only the cache can answer."""
    state.users.clear()
    state.sessions.clear()


async def test_a_resolved_session_is_served_from_the_cache_next_time(
    services: Services, state: FakeState, signed: SignedIn
) -> None:
    forget_database(state)
    current = await services.resolve_session(signed.session_key)
    assert current is not None
    assert (current.user.username, current.session_id) == ("alice", signed.session_id)


async def test_the_cache_is_not_asked_for_a_key_it_could_never_hold(services: Services) -> None:
    assert await services.resolve_session("") is None
    assert await services.resolve_session("k" * 129) is None


async def test_a_session_goes_back_to_the_database_when_its_idle_clock_is_due(
    services: Services, state: FakeState, clock: FakeClock, signed: SignedIn
) -> None:
    clock.advance(seconds=SESSION_POLICY.touch_every.total_seconds())
    forget_database(state)
    assert await services.resolve_session(signed.session_key) is None


async def test_the_idle_clock_still_moves_while_the_session_is_cached(
    services: Services, state: FakeState, clock: FakeClock, signed: SignedIn
) -> None:
    for _ in range(4):
        clock.advance(minutes=50)
        assert await services.resolve_session(signed.session_key) is not None
    assert state.sessions[signed.session_id].last_seen_at == clock.now()


async def test_signing_out_ends_the_cached_session_at_once(
    services: Services, signed: SignedIn
) -> None:
    await services.sign_out(signed.session_key, credentials().client)
    assert await services.resolve_session(signed.session_key) is None


async def test_revoking_a_session_ends_its_cached_copy(
    services: Services, alice: UserDetail, signed: SignedIn
) -> None:
    await services.revoke_session(alice.id, signed.session_id, credentials().client)
    assert await services.resolve_session(signed.session_key) is None


async def test_revoking_other_sessions_ends_their_cached_copies_and_keeps_this_one(
    services: Services, alice: UserDetail, signed: SignedIn
) -> None:
    other = await services.sign_in(credentials("alice"))
    assert await services.resolve_session(other.session_key) is not None
    await services.revoke_other_sessions(alice.id, other.session_id, credentials().client)
    assert await services.resolve_session(signed.session_key) is None
    assert await services.resolve_session(other.session_key) is not None


async def test_a_profile_change_shows_on_the_next_request(
    services: Services, alice: UserDetail, signed: SignedIn
) -> None:
    await services.update_profile(
        UpdateProfile(user_id=alice.id, first_name="Alice", email=alice.email)
    )
    current = await services.resolve_session(signed.session_key)
    assert current is not None and current.user.first_name == "Alice"


async def test_a_granted_role_shows_on_the_next_request(
    services: Services, make_admin: SignUp, alice: UserDetail, signed: SignedIn
) -> None:
    root = await make_admin("root")
    await services.grant_role(RoleChange(user_id=alice.id, role="admin"), acting(root))
    current = await services.resolve_session(signed.session_key)
    assert current is not None and current.user.roles == ("admin",)


async def test_a_deactivated_account_is_signed_out_on_the_next_request(
    services: Services, make_admin: SignUp, alice: UserDetail, signed: SignedIn
) -> None:
    root = await make_admin("root")
    await services.deactivate_user(alice.id, acting(root))
    assert await services.resolve_session(signed.session_key) is None


async def test_a_read_that_raced_a_change_cannot_put_the_old_account_back(
    services: Services, state: FakeState, clock: FakeClock, alice: UserDetail
) -> None:
    """A request read the account, the account changed (its copy became a tombstone),
    then the request tries to cache what it read: nothing is kept."""
    signed = await services.sign_in(credentials("alice"))
    stale = state.sessions[signed.session_id]
    before = UserDetail.of(state.users[alice.id])
    await services.update_profile(
        UpdateProfile(user_id=alice.id, last_name="Liddell", email=alice.email)
    )
    await services.cache.keep_session(
        hash_session_key(signed.session_key), stale, before, now=clock.now(), policy=SESSION_POLICY
    )
    current = await services.resolve_session(signed.session_key)
    assert current is not None and current.user.last_name == "Liddell"


async def test_the_account_is_not_cached_again_for_a_moment_after_a_change(
    services: Services, state: FakeState, clock: FakeClock, signed: SignedIn
) -> None:
    await services.sign_in(credentials("alice"))  # a change: the last sign-in time
    assert await services.resolve_session(signed.session_key) is not None
    forget_database(state)
    assert await services.resolve_session(signed.session_key) is None


async def test_a_session_copy_made_with_an_older_account_copy_is_not_trusted(
    services: Services, state: FakeState, clock: FakeClock, signed: SignedIn
) -> None:
    other = await services.sign_in(credentials("alice"))  # invalidates alice's copy
    clock.advance(seconds=SETTLE)
    assert await services.resolve_session(other.session_key) is not None  # a new copy
    forget_database(state)
    assert await services.resolve_session(other.session_key) is not None
    assert await services.resolve_session(signed.session_key) is None  # made with the old


async def members_on(services: Services, page: int = 1) -> list[str]:
    found = await services.list_members(ListMembers(page=page, per_page=2))
    return [member.username for member in found.items]


async def test_a_members_page_is_served_from_the_cache(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    await sign_up("alice")
    assert await members_on(services) == ["alice"]
    state.users.clear()
    assert await members_on(services) == ["alice"]


async def test_a_new_member_shows_on_the_next_members_page(
    services: Services, clock: FakeClock, sign_up: SignUp
) -> None:
    await sign_up("alice")
    assert await members_on(services) == ["alice"]
    clock.advance(seconds=1)
    await services.register(registration("bob"))
    assert await members_on(services) == ["alice", "bob"]


async def test_a_changed_name_and_a_deactivation_show_on_the_next_members_page(
    services: Services, clock: FakeClock, make_admin: SignUp, sign_up: SignUp
) -> None:
    root = await make_admin("root")
    clock.advance(seconds=1)
    alice = await sign_up("alice")
    first = await services.list_members(ListMembers(page=1, per_page=5))
    assert [m.full_name for m in first.items] == ["root", "alice"]
    await services.update_profile(
        UpdateProfile(user_id=alice.id, first_name="Al", email=alice.email)
    )
    again = await services.list_members(ListMembers(page=1, per_page=5))
    assert [m.full_name for m in again.items] == ["root", "Al"]
    await services.deactivate_user(alice.id, acting(root))
    assert await members_on(services) == ["root"]


async def test_members_pages_expire_with_the_cache_time(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    await sign_up("alice")
    assert await members_on(services) == ["alice"]
    state.users.clear()
    clock.advance(seconds=301)
    assert await members_on(services) == []


async def test_with_the_cache_off_every_read_goes_to_the_database(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    off = ReadCache(FakeCache(clock), ttl=0)
    signed_up = await sign_up("alice")
    signed = await services.sign_in(credentials("alice"))
    session = state.sessions[signed.session_id]
    await off.keep_session(
        session.key_hash, session, signed_up, now=clock.now(), policy=SESSION_POLICY
    )
    assert await off.session(session.key_hash, now=clock.now(), policy=SESSION_POLICY) is None
    page = await ReadCache.off().members_page(
        ListMembers(), lambda: services.list_members(ListMembers())
    )
    assert [m.username for m in page.items] == ["alice"]


async def test_an_unreadable_cached_copy_is_a_miss(
    services: Services, clock: FakeClock, signed: SignedIn
) -> None:
    cache = FakeCache(clock)
    reads = ReadCache(cache, ttl=300)
    key_hash = hash_session_key(signed.session_key)
    await cache.set("session:" + key_hash, "{not json", ttl=60)
    assert await reads.session(key_hash, now=clock.now(), policy=SESSION_POLICY) is None


async def test_a_session_copy_in_one_process_ends_when_another_signs_it_out(
    services: Services, state: FakeState, clock: FakeClock, alice: UserDetail
) -> None:
    """Session copies stay in their process; the shared account copy decides."""
    shared = FakeCache(clock)
    here = ReadCache(shared, ttl=300, settle=SETTLE, local=FakeCache(clock))
    there = ReadCache(shared, ttl=300, settle=SETTLE, local=FakeCache(clock))
    signed = await services.sign_in(credentials("alice"))
    clock.advance(seconds=SETTLE)
    session, key_hash = state.sessions[signed.session_id], hash_session_key(signed.session_key)
    user = UserDetail.of(state.users[alice.id])
    for process in (here, there):
        await process.keep_session(key_hash, session, user, now=clock.now(), policy=SESSION_POLICY)
        assert await process.session(key_hash, now=clock.now(), policy=SESSION_POLICY)
    assert not any(key.startswith("session:") for key in shared.entries)

    await there.invalidate(
        events.UserLoggedOut(occurred_at=clock.now(), user_id=alice.id, session_id=session.id)
    )
    assert await here.session(key_hash, now=clock.now(), policy=SESSION_POLICY) is None


async def test_the_cache_counts_its_hits_misses_and_invalidations(
    services: Services, signed: SignedIn
) -> None:
    """The counts /metrics reports: a session read from the cache is a hit, one the
    cache cannot serve (after a sign-out's invalidation) a miss; members pages alike."""
    counts = services.cache.counts
    hits, misses = counts.hits["session"], counts.misses["session"]
    await services.resolve_session(signed.session_key)
    assert (counts.hits["session"], counts.misses["session"]) == (hits + 1, misses)
    invalidated = counts.invalidations["account"]
    await services.sign_out(signed.session_key, credentials().client)
    assert counts.invalidations["account"] > invalidated
    await services.resolve_session(signed.session_key)
    assert counts.misses["session"] == misses + 1
    await members_on(services)
    await members_on(services)
    assert (counts.misses["members"], counts.hits["members"]) == (1, 1)
