"""The composition root: the one place that picks adapters and wires them to use cases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from quart import Blueprint
from redis import asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from application.caching import ReadCache
from application.event_bus import EventBus
from application.handlers import subscribe_defaults
from application.invitations import InvitationMail
from application.mail import AccountMail
from application.outbox import Relay
from application.services import Services
from domain.ports import LoginThrottle, Mailer, RateCounters
from domain.sessions import SessionPolicy
from infrastructure.cache import MemoryCache, RedisCache
from infrastructure.clock import SystemClock
from infrastructure.db.engine import make_engine
from infrastructure.db.outbox import SqlAlchemyPendingInvalidations
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.encryption import FernetSecretBox
from infrastructure.login_digest import HmacLoginDigest
from infrastructure.mail import FolderMailer, JinjaMailTemplates, RetryingMailer, SmtpMailer
from infrastructure.near_cache import (
    InvalidationChannel,
    NearCache,
    NearCacheCounts,
    make_channel_redis,
)
from infrastructure.passkeys import WebAuthnPasskeyVerifier
from infrastructure.passwords import HashingPool, PasslibPasswordHasher, make_context
from infrastructure.rate_limits import MemoryCounters, RedisCounters
from infrastructure.recovery_codes import HmacRecoveryCodeHasher
from infrastructure.redis_guard import RedisDependency, RedisGuard, make_redis
from infrastructure.settings import Settings
from infrastructure.throttle import WindowLoginThrottle
from infrastructure.tokens import SignedAddressTokens, SignedResetTokens
from web.blueprints import invitations

ADDRESS_LINK_MAX_AGE = timedelta(days=3)  # how long a link proving an address works


def feature_blueprints() -> tuple[Blueprint, ...]:
    """The blueprints of the bounded contexts built on the accounts core, registered
    before the core's own (``gatehouse new feature`` adds to this list)."""
    return (invitations.blueprint,)


@dataclass(frozen=True)
class Runtime:
    """The wired services and the resources that must be closed when serving stops."""

    services: Services
    rate_counters: RateCounters
    engine: AsyncEngine
    relay: Relay
    redis: aioredis.Redis | None = None
    guard: RedisGuard | None = None
    hashing: HashingPool | None = None
    channel: InvalidationChannel | None = None
    near_cache: NearCache | None = None

    @property
    def near_counts(self) -> NearCacheCounts | None:
        return self.near_cache.counts if self.near_cache is not None else None

    async def start(self) -> None:
        """Start the background work of a serving process: the outbox relay, and the
        channel without which the process keeps no copies of Redis's keys."""
        self.relay.start()
        if self.channel is not None:
            self.channel.start()

    async def close(self) -> None:
        """Stop the relay, let background work (mail) finish, then close connections
        and threads."""
        await self.relay.stop()
        if self.channel is not None:
            await self.channel.stop()
        await self.services.bus.drain()
        await self.engine.dispose()
        if self.guard is not None:
            await self.guard.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self.hashing is not None:
            await asyncio.to_thread(self.hashing.close)


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle_timeout=settings.session_idle_timeout,
        lifetime=settings.session_lifetime,
        trust_lifetime=timedelta(days=settings.trusted_browser_days),
        verified_only=settings.email_verification == "required",
    )


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
    )
    redis = make_redis(settings.redis_url) if settings.redis_url else None
    guard = RedisGuard(redis) if redis is not None else None
    shared = RedisCache(guard) if guard is not None else None
    channel = (
        InvalidationChannel(make_channel_redis(settings.redis_url), shared.channel)
        if settings.redis_url and shared is not None
        else None
    )
    near_cache = (
        NearCache(shared, channel, max_entries=settings.cache_max_entries)
        if shared is not None and channel is not None
        else None
    )
    bus = EventBus()
    subscribe_defaults(bus)
    hasher = PasslibPasswordHasher(
        make_context(fast=settings.env == "test"), HashingPool(threads=settings.hash_threads)
    )
    clock = SystemClock()
    counters = rate_counters(guard)
    tokens = SignedResetTokens(settings.secret(), max_age=settings.password_reset_max_age)
    address_tokens = SignedAddressTokens(settings.secret(), max_age=ADDRESS_LINK_MAX_AGE)
    services = Services(
        uow_factory=lambda: SqlAlchemyUnitOfWork(engine, bus, clock),
        hasher=hasher,
        clock=clock,
        bus=bus,
        throttle=throttle(counters, settings.signin_failure_limit, settings.signin_failure_window),
        session_policy=session_policy(settings),
        tokens=tokens,
        reset_throttle=throttle(
            counters, settings.reset_address_limit, settings.reset_address_window
        ),
        login_digest=HmacLoginDigest(settings.secret()),
        secret_box=FernetSecretBox(settings.encryption_key_list()),
        recovery_codes=HmacRecoveryCodeHasher(settings.secret()),
        address_tokens=address_tokens,
        verification_on=settings.email_verification != "none",
        invite_only=settings.registration == "invite",
        invitation_lifetime=settings.invitation_max_age,
        passkey_verifier=WebAuthnPasskeyVerifier(
            rp_id=settings.effective_webauthn_rp_id, origin=settings.effective_webauthn_origin
        ),
        dependencies={"redis": RedisDependency(redis)} if redis is not None else {},
        cache=read_cache(near_cache, settings),
    )
    services.cache.subscribe(bus)
    sender, templates = mailer(settings), JinjaMailTemplates(settings.public_url)
    InvitationMail(
        mailer=sender, templates=templates, lifetime=settings.invitation_max_age
    ).subscribe(bus)
    AccountMail(
        uow_factory=services.uow_factory,
        mailer=sender,
        templates=templates,
        tokens=tokens,
        address_tokens=address_tokens,
        verification=settings.email_verification != "none",
        clock=clock,
    ).subscribe(bus)
    return Runtime(
        services=services,
        rate_counters=counters,
        engine=engine,
        relay=Relay(SqlAlchemyPendingInvalidations(engine), services.cache.deliver),
        redis=redis,
        guard=guard,
        hashing=hasher.pool,
        channel=channel,
        near_cache=near_cache,
    )


def read_cache(near_cache: NearCache | None, settings: Settings) -> ReadCache:
    """Shared through Redis when set, read through copies in this process that the
    invalidation channel keeps true (``near_cache``): every process hears of a change
    at once. Else in this process, where another process's changes (the command
    line's, say) cannot reach, so copies live at most CACHE_LOCAL_TTL. Session copies
    stay in the process either way, checked against the account copy, and live at most
    CACHE_LOCAL_TTL: the bound on a revocation whose every invalidation was lost."""
    local = MemoryCache(settings.cache_max_entries)
    if near_cache is None:
        ttl = min(settings.cache_ttl, settings.cache_local_ttl)
        return ReadCache(local, ttl=ttl, settle=settings.cache_settle)
    return ReadCache(
        near_cache,
        ttl=settings.cache_ttl,
        settle=settings.cache_settle,
        local=local,
        local_ttl=settings.cache_local_ttl,
    )


def rate_counters(guard: RedisGuard | None) -> RateCounters:
    """Every limit and lock counts here: in this process, or shared through Redis when
    set (falling back to this process's counts while Redis is down)."""
    if guard is None:
        return MemoryCounters()
    return RedisCounters(guard, MemoryCounters())


def throttle(counters: RateCounters, limit: int, window: timedelta) -> LoginThrottle:
    return WindowLoginThrottle(counters, limit=limit, window=window)


def mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_HOST is set (required in production), else files in the instance."""
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        inner: Mailer = SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout,
        )
    else:
        inner = FolderMailer(settings.mail_folder, settings.mail_from)
    return RetryingMailer(inner, attempts=settings.mail_attempts)
