"""What is read on nearly every request, kept in the cache port, and the event handler
that keeps those copies true.

Two things are cached: who is behind a session key (read on every signed-in request)
and the pages of the members list. Committed events invalidate them before the
request that caused them returns, so the change shows on the next request of any
process that shares the cache; the same invalidations, written to the outbox with the
change, are delivered again by the relay until the cache acknowledged them
(application/outbox.py), so one lost write cannot leave a stale copy behind.

- An account's copy is replaced by a short-lived tombstone on every event that names
  the account (sign-in and sign-out, profile, password, roles, activation). Copies are
  only ever *added* (set if absent), so a request that read the account just before
  the change cannot put the old copy back while the tombstone lives.
- A session's copy stays in the process that made it and names the stamp of the
  shared account copy it was made with; when that copy is gone or replaced, the
  session is read from the database again. It lasts at most ``local_ttl`` (a few
  seconds), and no longer than the session's idle clock may go untouched: however an
  invalidation is lost, a revoked session stops working within ``local_ttl``.
- A member page names the generation it was read in; registration, profile changes
  and (de)activation start a new generation, so older pages are never served again.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from application.commands import ListMembers
from application.event_bus import EventBus
from application.outbox import Invalidation, invalidation_for
from application.results import CurrentSession, MemberPage, UserDetail
from domain import events
from domain.ports import Cache
from domain.sessions import Session, SessionPolicy

SESSION = "session:"
USER = "user:"
MEMBERS = "members:"
GENERATION = MEMBERS + "generation"
TOMBSTONE = "-"
GENERATION_TTL = 24 * 3600.0
LOCAL_TTL = 5.0
M = TypeVar("M", bound=BaseModel)


class UserCopy(BaseModel):
    stamp: str
    user: UserDetail


class SessionCopy(BaseModel):
    session_id: UUID
    user_id: UUID
    user_stamp: str
    last_seen_at: datetime
    expires_at: datetime


class MemberPageCopy(BaseModel):
    generation: str
    page: MemberPage


class CacheCounts:
    """What the cache did, by kind of copy (``session``, ``members``): plain counts the
    application owns, read by whatever exports metrics (it never imports one here)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self.invalidations: Counter[str] = Counter()

    def looked_up(self, kind: str, *, hit: bool) -> None:
        (self.hits if hit else self.misses)[kind] += 1


class ReadCache:
    """``cache`` is shared by every process; ``local`` (this process's, or the same
    cache) holds session copies, which are only ever trusted together with the shared
    account copy they name: one shared read per signed-in request.

    ``ttl``: how long a copy lives at most; ``local_ttl``: how long a session copy
    does (the longest a lost invalidation can go unnoticed); ``settle``: how long an
    invalidated account cannot be cached again (longer than any request's database
    read)."""

    def __init__(
        self,
        cache: Cache | None,
        *,
        ttl: float,
        settle: float = 5.0,
        local: Cache | None = None,
        local_ttl: float = LOCAL_TTL,
    ) -> None:
        on = ttl > 0
        self._cache = cache if cache is not None and on else _NoCache()
        self._local = local if local is not None and on else self._cache
        self._ttl = ttl
        self._local_ttl = min(ttl, local_ttl)
        self._settle = settle
        self.counts = CacheCounts()

    @classmethod
    def off(cls) -> ReadCache:
        """Every read goes to the database."""
        return cls(None, ttl=0)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(events.Event, self.invalidate)

    async def invalidate(self, event: events.Event) -> None:
        """Handler: forget what ``event`` changed, at once (the relay makes sure)."""
        if (invalidation := invalidation_for(event)) is None:
            return
        if invalidation.user_id is not None:
            self.counts.invalidations["account"] += 1
            await self._cache.set(USER + str(invalidation.user_id), TOMBSTONE, ttl=self._settle)
        if invalidation.members:
            self.counts.invalidations["members"] += 1
            await self._cache.set(GENERATION, secrets.token_hex(8), ttl=GENERATION_TTL)

    async def deliver(self, invalidations: Sequence[Invalidation]) -> None:
        """The relay's delivery: every named account's copy and, if asked, the members
        pages forgotten in one write each.

        Raises: ServiceUnavailable (the cache did not acknowledge the writes)"""
        accounts = {USER + str(each.user_id) for each in invalidations if each.user_id}
        if accounts:
            await self._cache.write(dict.fromkeys(accounts, TOMBSTONE), ttl=self._settle)
        if any(each.members for each in invalidations):
            await self._cache.write({GENERATION: secrets.token_hex(8)}, ttl=GENERATION_TTL)

    async def session(
        self, key_hash: str, *, now: datetime, policy: SessionPolicy
    ) -> CurrentSession | None:
        """The cached session behind ``key_hash`` when it needs no database work: still
        live, its idle clock not due a write, its account's copy the one it was made with."""
        found = await self._cached_session(key_hash, now=now, policy=policy)
        self.counts.looked_up("session", hit=found is not None)
        return found

    async def _cached_session(
        self, key_hash: str, *, now: datetime, policy: SessionPolicy
    ) -> CurrentSession | None:
        copy = _parse(SessionCopy, await self._local.get(SESSION + key_hash))
        if copy is None or now >= copy.expires_at or now - copy.last_seen_at >= policy.touch_every:
            return None
        account = _parse(UserCopy, await self._cache.get(USER + str(copy.user_id)))
        if account is None or account.stamp != copy.user_stamp or not account.user.active:
            return None
        return CurrentSession(user=account.user, session_id=copy.session_id)

    async def keep_session(
        self,
        key_hash: str,
        session: Session,
        user: UserDetail,
        *,
        now: datetime,
        policy: SessionPolicy,
    ) -> None:
        """Cache a session just read from the database, unless its account was changed
        a moment ago (then the account copy is a tombstone and nothing is kept)."""
        user_key = USER + str(user.id)
        await self._cache.add(
            user_key,
            UserCopy(stamp=secrets.token_hex(8), user=user).model_dump_json(),
            ttl=self._ttl,
        )
        account = _parse(UserCopy, await self._cache.get(user_key))
        if account is None or account.user != user:
            return
        fresh_for = (policy.touch_every - (now - session.last_seen_at)).total_seconds()
        copy = SessionCopy(
            session_id=session.id,
            user_id=user.id,
            user_stamp=account.stamp,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
        )
        await self._local.set(
            SESSION + key_hash, copy.model_dump_json(), ttl=min(self._local_ttl, fresh_for)
        )

    async def members_page(
        self, query: ListMembers, load: Callable[[], Awaitable[MemberPage]]
    ) -> MemberPage:
        """One read for the page and the generation it must belong to."""
        key = f"{MEMBERS}{query.page}:{query.per_page}"
        generation, raw = await self._cache.get_many(GENERATION, key)
        if generation is None:
            await self._cache.add(GENERATION, secrets.token_hex(8), ttl=GENERATION_TTL)
            generation = await self._cache.get(GENERATION)
        copy = _parse(MemberPageCopy, raw)
        hit = copy is not None and copy.generation == generation
        self.counts.looked_up("members", hit=hit)
        if copy is not None and hit:
            return copy.page
        page = await load()
        if generation is not None:
            fresh = MemberPageCopy(generation=generation, page=page)
            await self._cache.set(key, fresh.model_dump_json(), ttl=self._ttl)
        return page


def _parse(model: type[M], raw: str | None) -> M | None:
    """The cached copy, or None for a miss, a tombstone or anything unreadable."""
    if raw is None or raw == TOMBSTONE:
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None


class _NoCache(Cache):
    async def get(self, key: str) -> str | None:
        return None

    async def get_many(self, *keys: str) -> list[str | None]:
        return [None] * len(keys)

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        return None

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        return False
