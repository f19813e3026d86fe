"""Keyset paging of the audit trail (``before``), newest first, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain.audit import AuditEntry
from tests.integration.conftest import UowFactory

T0 = datetime(2026, 11, 26, 8, 0, 0, 250000, tzinfo=UTC)
# Minutes after T0; most instants are shared by several entries, so pages end inside ties.
MINUTES = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4]


def entry(minutes: int, event_type: str = "LoginFailed", user_id: UUID | None = None) -> AuditEntry:
    return AuditEntry(
        occurred_at=T0 + timedelta(minutes=minutes),
        event_type=event_type,
        user_id=user_id,
        actor_id=user_id,
        ip=None,
        details={"minutes": str(minutes)},
        id=uuid4(),
    )


async def store(new_uow: UowFactory, entries: list[AuditEntry]) -> None:
    async with new_uow() as uow:
        for one in entries:
            uow.audit.add(one)
        await uow.commit()


async def walk(
    new_uow: UowFactory,
    *,
    limit: int,
    user_id: UUID | None = None,
    event_type: str | None = None,
) -> list[list[UUID]]:
    """Every page, each asked for with the (time, id) of the last entry before it."""
    pages: list[list[UUID]] = []
    before: tuple[datetime, UUID] | None = None
    while True:
        async with new_uow() as uow:
            page = await uow.audit.list(
                user_id=user_id, event_type=event_type, before=before, limit=limit
            )
        if not page:
            return pages
        assert len(page) <= limit
        pages.append([one.id for one in page])
        before = (page[-1].occurred_at, page[-1].id)


def newest_first(entries: list[AuditEntry]) -> list[UUID]:
    return [one.id for one in sorted(entries, key=lambda e: (e.occurred_at, e.id), reverse=True)]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 12, 13])
async def test_paging_walks_every_entry_once_newest_first_with_ties_broken_by_id(
    new_uow: UowFactory, limit: int
) -> None:
    entries = [entry(minutes) for minutes in MINUTES]
    await store(new_uow, entries)

    pages = await walk(new_uow, limit=limit)

    assert [one for page in pages for one in page] == newest_first(entries)
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)


async def test_paging_within_a_filter_walks_only_its_entries(new_uow: UowFactory) -> None:
    ann = uuid4()
    hers = [entry(minutes, "PasswordChanged", ann) for minutes in MINUTES[::2]]
    others = [entry(minutes, "PasswordChanged", uuid4()) for minutes in MINUTES]
    others += [entry(minutes, "LoginFailed", ann) for minutes in MINUTES]
    await store(new_uow, [*hers, *others])

    pages = await walk(new_uow, limit=2, user_id=ann, event_type="PasswordChanged")

    assert [one for page in pages for one in page] == newest_first(hers)


async def test_a_cursor_in_another_time_zone_means_the_same_instant(
    new_uow: UowFactory,
) -> None:
    entries = [entry(minutes) for minutes in MINUTES]
    await store(new_uow, entries)
    ordered = newest_first(entries)
    last = next(one for one in entries if one.id == ordered[4])
    berlin = last.occurred_at.astimezone(timezone(timedelta(hours=1)))

    async with new_uow() as uow:
        in_utc = await uow.audit.list(before=(last.occurred_at, last.id), limit=50)
        in_berlin = await uow.audit.list(before=(berlin, last.id), limit=50)

    assert [one.id for one in in_berlin] == [one.id for one in in_utc] == ordered[5:]


async def test_a_cursor_older_than_every_entry_gives_an_empty_page(
    new_uow: UowFactory,
) -> None:
    await store(new_uow, [entry(minutes) for minutes in MINUTES])

    async with new_uow() as uow:
        page = await uow.audit.list(before=(T0, UUID(int=0)), limit=50)

    assert page == []
