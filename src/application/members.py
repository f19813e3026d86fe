"""Use cases that read accounts: the members list and one user."""

from __future__ import annotations

from uuid import UUID

from application.caching import ReadCache
from application.commands import ListMembers
from application.results import MemberPage, MemberSummary, UserDetail
from application.unit_of_work import UnitOfWork


async def list_members(query: ListMembers, *, uow: UnitOfWork, cache: ReadCache) -> MemberPage:
    """One page of active members, oldest first, counted in the same query; from the
    cache while no member joined, left or changed their name."""
    return await cache.members_page(query, lambda: _load_members(query, uow=uow))


async def _load_members(query: ListMembers, *, uow: UnitOfWork) -> MemberPage:
    offset = (query.page - 1) * query.per_page
    async with uow:
        found = await uow.users.list_members(offset=offset, limit=query.per_page)
    return MemberPage(
        items=tuple(MemberSummary.of(member) for member in found.members),
        page=query.page,
        per_page=query.per_page,
        total=found.total,
    )


async def get_user(user_id: UUID, *, uow: UnitOfWork) -> UserDetail | None:
    """The user with this id, or None when there is none."""
    async with uow:
        user = await uow.users.get(user_id)
    return None if user is None else UserDetail.of(user)
