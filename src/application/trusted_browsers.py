"""Use cases of trusted browsers: those that may skip the two-factor code for a while."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from application.commands import Client
from application.results import TrustedBrowserView
from application.unit_of_work import UnitOfWork
from domain import errors
from domain.ports import Clock
from domain.trusted_browsers import TrustedBrowser, hash_trust_token, new_trust_token


async def vouching_browser(
    uow: UnitOfWork, token: str | None, user_id: UUID, *, now: datetime
) -> TrustedBrowser | None:
    """Inside ``uow``: the live trusted browser behind ``token``, if it vouches for
    ``user_id`` (a browser trusted by one account skips nobody else's code)."""
    if not token:
        return None
    found = await uow.trusted_browsers.get_by_token(hash_trust_token(token))
    if found is None or not found.vouches_for(user_id, now=now):
        return None
    return found


async def trust_browser(
    uow: UnitOfWork, user_id: UUID, client: Client, *, now: datetime, lifetime: timedelta
) -> tuple[str, TrustedBrowser]:
    """Inside ``uow``: trust the signing-in browser; its token (for the cookie) and
    record. The account's stale browsers are cleared on the way."""
    await uow.trusted_browsers.remove_stale(user_id, now=now)
    token = new_trust_token()
    browser = TrustedBrowser.trust(
        user_id, token, now=now, lifetime=lifetime, user_agent=client.user_agent, ip=client.ip
    )
    uow.trusted_browsers.add(browser)
    return token, browser


async def forget_browsers(uow: UnitOfWork, user_id: UUID, *, now: datetime, reason: str) -> int:
    """Inside ``uow``: every browser of the account must give the code again; how many."""
    found = await uow.trusted_browsers.list_for_user(user_id)
    for browser in found:
        browser.forget(now=now, reason=reason)
    return len(found)


async def list_trusted_browsers(
    user_id: UUID, current_token: str | None, *, uow: UnitOfWork, clock: Clock
) -> list[TrustedBrowserView]:
    """The account's browsers that still skip the code: the asking one first and
    marked, then the others, most recently trusted first."""
    now = clock.now()
    current = hash_trust_token(current_token) if current_token else None
    async with uow:
        found = await uow.trusted_browsers.list_for_user(user_id)
    live = [browser for browser in found if browser.is_live(now=now)]
    live.sort(key=lambda browser: browser.token_hash != current)  # stable: newest next
    return [
        TrustedBrowserView.of(browser, current=browser.token_hash == current) for browser in live
    ]


async def forget_trusted_browser(
    user_id: UUID, browser_id: UUID, *, uow: UnitOfWork, clock: Clock, client_ip: str | None
) -> None:
    """The account holder forgets one of their trusted browsers.

    Raises: TrustedBrowserNotFound (also for someone else's)
    """
    async with uow:
        uow.client_ip = client_ip
        browser = await uow.trusted_browsers.get(browser_id)
        if browser is None or browser.user_id != user_id or not browser.is_live(now=clock.now()):
            raise errors.TrustedBrowserNotFound()
        browser.forget(now=clock.now(), reason="forgotten by the user")
        await uow.commit()
