"""Seeding: users go in bulk into a real database, and the app reads them back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from application.commands import ListMembers, SignIn
from application.results import MemberPage, SignedIn
from bench import seed
from infrastructure.db import migrations
from infrastructure.passwords import make_context
from infrastructure.settings import load_settings
from web.bootstrap import build_runtime


async def read_back(url: str, instance: Path) -> tuple[MemberPage, MemberPage, SignedIn]:
    settings = load_settings(
        GATEHOUSE_ENV="test", DATABASE_URL=url, INSTANCE_PATH=instance, SECRET_KEY="k" * 40
    )
    runtime = build_runtime(settings)
    try:
        services = runtime.services
        first = await services.list_members(ListMembers(page=1, per_page=20))
        last = await services.list_members(ListMembers(page=3, per_page=20))
        login = seed.sign_in_logins()[-1]
        signed_in = await services.sign_in(SignIn(login=login, password=seed.PASSWORD))
        return first, last, signed_in
    finally:
        await runtime.close()


def test_seeded_users_are_members_the_app_lists_and_signs_in(
    fresh_database_url: str, tmp_path: Path
) -> None:
    migrations.upgrade(fresh_database_url)
    hashed = seed.password_hash(make_context(fast=True))
    asyncio.run(seed.seed_users(fresh_database_url, first=0, count=30, hashed=hashed))
    asyncio.run(seed.seed_users(fresh_database_url, first=30, count=15, hashed=hashed))

    assert asyncio.run(seed.count_users(fresh_database_url)) == 45
    first, last, signed_in = asyncio.run(read_back(fresh_database_url, tmp_path))
    assert first.total == 45
    assert [m.username for m in first.items[:2]] == [seed.username(0), seed.username(1)]
    assert [m.username for m in last.items] == [seed.username(n) for n in range(40, 45)]
    assert signed_in.user.username == seed.sign_in_logins()[-1]


def test_a_fresh_sqlite_file_replaces_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    url = seed.fresh_sqlite(path)
    hashed = seed.password_hash(make_context(fast=True))
    asyncio.run(seed.seed_users(url, first=0, count=5, hashed=hashed))
    again = seed.fresh_sqlite(path)
    assert again == url
    assert asyncio.run(seed.count_users(url)) == 0


def test_the_sign_in_accounts_are_the_first_users_seeded() -> None:
    logins = seed.sign_in_logins()
    assert len(logins) == seed.SIGN_IN_ACCOUNTS
    assert logins[0] == seed.username(0) == "bench000000"
    assert seed.user_row(7, "hash")["username_key"] == "bench000007"
