"""Trusted browsers: whom they vouch for, for how long, and forgetting them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain import events
from domain.trusted_browsers import TrustedBrowser, hash_trust_token, new_trust_token

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAYS_30 = timedelta(days=30)


def trusted(user_id: uuid.UUID) -> TrustedBrowser:
    return TrustedBrowser.trust(user_id, new_trust_token(), now=NOW, lifetime=DAYS_30)


def test_it_vouches_for_its_own_account_until_it_expires() -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    browser = trusted(owner)
    assert browser.vouches_for(owner, now=NOW + DAYS_30 - timedelta(seconds=1))
    assert not browser.vouches_for(owner, now=NOW + DAYS_30)
    assert not browser.vouches_for(other, now=NOW)


def test_only_the_tokens_digest_is_kept_and_the_user_agent_is_bounded() -> None:
    token = new_trust_token()
    browser = TrustedBrowser.trust(
        uuid.uuid4(), token, now=NOW, lifetime=DAYS_30, user_agent="x" * 900
    )
    assert browser.token_hash == hash_trust_token(token) != token
    assert len(browser.user_agent) == 512


def test_forgetting_it_once_records_one_event() -> None:
    browser = trusted(uuid.uuid4())
    browser.events.clear()
    browser.forget(now=NOW, reason="forgotten by the user")
    browser.forget(now=NOW + timedelta(minutes=1), reason="password changed")
    assert browser.revoked_at == NOW
    assert not browser.vouches_for(browser.user_id, now=NOW)
    assert [type(e) for e in browser.events] == [events.TrustedBrowserForgotten]


def test_trusting_it_is_an_event() -> None:
    browser = trusted(uuid.uuid4())
    assert browser.events == [
        events.BrowserTrusted(occurred_at=NOW, user_id=browser.user_id, browser_id=browser.id)
    ]
