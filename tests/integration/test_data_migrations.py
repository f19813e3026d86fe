"""Data revisions: stored addresses and keys by the new rules, leaving what they cannot
change (0004); failed sign-ins in the audit trail forget what was typed (0005); older
accounts count as verified (0011)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import audit_events, users

# (address as stored by the old rules, its old key)
STORED = {
    "ascii-spelling": ("Anna@xn--fa-hia.de", "anna@xn--fa-hia.de"),
    "plain": ("Bob@example.com", "bob@example.com"),
    "invalid-punycode": ("c@xn--zz.com", "c@xn--zz.com"),
    # One address in two spellings: two accounts before, one key after.
    "twin-unicode": ("dora@münchen.de", "dora@münchen.de"),
    "twin-ascii": ("dora@xn--mnchen-3ya.de", "dora@xn--mnchen-3ya.de"),
}


async def _insert(url: str) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in STORED}
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            for name, (email, key) in STORED.items():
                await connection.execute(
                    insert(users).values(
                        id=ids[name],
                        username=name[:25],
                        username_key=name[:25],
                        email=email,
                        email_key=key,
                        password_hash="x",
                        first_name="",
                        last_name="",
                        active=True,
                        created_at=datetime.now(UTC),
                    )
                )
    finally:
        await engine.dispose()
    return ids


async def _stored(url: str, ids: dict[str, uuid.UUID]) -> dict[str, tuple[str, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(users.c.id, users.c.email, users.c.email_key))
            ).all()
    finally:
        await engine.dispose()
    by_id = {row.id: (row.email, row.email_key) for row in rows}
    return {name: by_id[uid] for name, uid in ids.items()}


async def test_upgrade_recomputes_addresses_and_keeps_what_it_cannot_change(
    fresh_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0003")
    ids = await _insert(fresh_database_url)

    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0004")

    after = await _stored(fresh_database_url, ids)
    assert after["ascii-spelling"] == ("Anna@faß.de", "anna@faß.de")
    assert after["plain"] == STORED["plain"]
    assert after["invalid-punycode"] == STORED["invalid-punycode"]
    assert after["twin-unicode"] == STORED["twin-unicode"]
    assert after["twin-ascii"] == STORED["twin-ascii"]
    refused, clash = (r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert str(ids["invalid-punycode"]) in refused
    assert str(ids["twin-ascii"]) in clash and str(ids["twin-unicode"]) in clash


async def test_downgrade_writes_ascii_domains_and_the_old_keys(fresh_database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0003")
    ids = await _insert(fresh_database_url)
    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0004")

    await asyncio.to_thread(migrations.downgrade, fresh_database_url, "0003")

    after = await _stored(fresh_database_url, ids)
    assert after["ascii-spelling"] == ("Anna@xn--fa-hia.de", "anna@xn--fa-hia.de")
    assert after["plain"] == STORED["plain"]
    assert after["twin-ascii"] == STORED["twin-ascii"]


async def test_upgrade_removes_typed_logins_from_the_audit_trail(fresh_database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0004")
    rows = {
        "LoginFailed": {"login": "my password oops"},
        "SignInThrottled": {"login": "Ann", "retry_after": "60"},
        "RoleGranted": {"role": "admin"},
    }
    engine = make_engine(fresh_database_url)
    try:
        async with engine.begin() as connection:
            for event_type, details in rows.items():
                await connection.execute(
                    insert(audit_events).values(
                        id=uuid.uuid4(),
                        occurred_at=datetime.now(UTC),
                        event_type=event_type,
                        details=details,
                    )
                )
        await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0005")
        async with engine.connect() as connection:
            query = select(audit_events.c.event_type, audit_events.c.details)
            after = {row.event_type: row.details for row in await connection.execute(query)}
    finally:
        await engine.dispose()
    assert after == {
        "LoginFailed": {},
        "SignInThrottled": {"retry_after": "60"},
        "RoleGranted": {"role": "admin"},
    }


async def test_accounts_made_before_verification_existed_count_as_verified(
    fresh_database_url: str,
) -> None:
    await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0010")
    made = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    engine = make_engine(fresh_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(users).values(
                    id=uuid.uuid4(),
                    username="old",
                    username_key="old",
                    email="old@example.com",
                    email_key="old@example.com",
                    password_hash="x",
                    first_name="",
                    last_name="",
                    active=True,
                    created_at=made,
                )
            )
        await asyncio.to_thread(migrations.upgrade, fresh_database_url, "0011")
        async with engine.connect() as connection:
            verified = await connection.scalar(select(users.c.email_verified_at))
    finally:
        await engine.dispose()
    assert verified == made
