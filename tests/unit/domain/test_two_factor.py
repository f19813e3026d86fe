"""Two-factor state: set-up expiry, codes accepted once, recovery codes spent once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from domain import errors, events, totp, two_factor
from domain.two_factor import PendingTwoFactor, SignInChallenge, TwoFactor

NOW = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)  # 10 s into a 30 s step
USER = uuid.uuid4()
SECRET = two_factor.new_secret()


def code(at: datetime) -> str:
    return totp.code_at(SECRET, two_factor.step_of(at))


def enabled(hashes: list[str] | None = None) -> TwoFactor:
    pending = PendingTwoFactor.begin(USER, "encrypted", now=NOW)
    step = pending.confirm(SECRET, code(NOW), now=NOW)
    result = TwoFactor.enable(pending, step=step, code_hashes=hashes or ["h0", "h1"], now=NOW)
    result.events.clear()
    return result


def test_a_new_secret_is_160_bits_of_base32() -> None:
    assert len(totp.decode_secret(SECRET)) == 20
    assert two_factor.new_secret() != SECRET


def test_the_otpauth_uri_names_issuer_account_and_secret() -> None:
    uri = two_factor.otpauth_uri(SECRET, "ann.lee")
    parts = urlsplit(uri)
    assert uri.startswith("otpauth://totp/Gatehouse:ann.lee?")
    assert parse_qs(parts.query) == {"secret": [SECRET], "issuer": ["Gatehouse"]}


def test_recovery_codes_are_ten_distinct_and_normalise_for_typing() -> None:
    codes = two_factor.new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(len(two_factor.normalise_recovery_code(c)) == 10 for c in codes)
    assert two_factor.normalise_recovery_code(" ABCDE-fghjk ") == "abcdefghjk"


def test_setup_is_confirmed_by_a_right_code_within_ten_minutes() -> None:
    pending = PendingTwoFactor.begin(USER, "encrypted", now=NOW)
    later = NOW + timedelta(minutes=9, seconds=59)
    assert pending.confirm(SECRET, code(later), now=later) == two_factor.step_of(later)


def test_setup_expires_after_ten_minutes_even_with_a_right_code() -> None:
    pending = PendingTwoFactor.begin(USER, "encrypted", now=NOW)
    later = NOW + timedelta(minutes=10)
    with pytest.raises(errors.SetupExpired):
        pending.confirm(SECRET, code(later), now=later)


def test_setup_refuses_a_wrong_code() -> None:
    pending = PendingTwoFactor.begin(USER, "encrypted", now=NOW)
    with pytest.raises(errors.InvalidCode):
        pending.confirm(SECRET, code(NOW + timedelta(minutes=2)), now=NOW)


def test_enabling_records_the_event_and_the_step_used_to_confirm() -> None:
    pending = PendingTwoFactor.begin(USER, "encrypted", now=NOW)
    result = TwoFactor.enable(pending, step=7, code_hashes=["a"], now=NOW)
    assert result.events == [events.TwoFactorEnabled(occurred_at=NOW, user_id=USER)]
    assert (result.last_step, result.secret_encrypted, result.enabled) == (7, "encrypted", True)


def test_the_setup_code_cannot_be_replayed_to_sign_in() -> None:
    state = enabled()
    with pytest.raises(errors.InvalidCode):
        state.accept_totp(SECRET, code(NOW), now=NOW)


def test_a_code_is_accepted_once_and_a_later_one_after_it() -> None:
    state = enabled()
    later = NOW + timedelta(seconds=30)
    state.accept_totp(SECRET, code(later), now=later)
    assert state.last_step == two_factor.step_of(later)
    with pytest.raises(errors.InvalidCode):
        state.accept_totp(SECRET, code(later), now=later + timedelta(seconds=5))
    state.accept_totp(SECRET, code(later + timedelta(seconds=30)), now=later + timedelta(seconds=5))


def test_a_code_from_a_phone_30_seconds_slow_or_fast_is_accepted() -> None:
    for offset in (-30, 30):
        state = enabled()
        state.last_step = None
        state.accept_totp(SECRET, code(NOW + timedelta(seconds=offset)), now=NOW)


def test_a_code_a_minute_old_is_refused() -> None:
    state = enabled()
    state.last_step = None
    with pytest.raises(errors.InvalidCode):
        state.accept_totp(SECRET, code(NOW - timedelta(seconds=60)), now=NOW)


def test_a_recovery_code_works_once_and_counts_the_rest() -> None:
    state = enabled(["h0", "h1", "h2"])
    state.use_recovery_code("h1", now=NOW)
    assert state.events == [events.RecoveryCodeUsed(occurred_at=NOW, user_id=USER, remaining=2)]
    with pytest.raises(errors.InvalidCode):
        state.use_recovery_code("h1", now=NOW)
    with pytest.raises(errors.InvalidCode):
        state.use_recovery_code("unknown", now=NOW)
    assert state.recovery_codes_left == 2


def test_new_recovery_codes_replace_every_old_one() -> None:
    state = enabled(["h0", "h1"])
    state.replace_recovery_codes(["n0", "n1", "n2"], now=NOW)
    assert state.events == [events.RecoveryCodesRegenerated(occurred_at=NOW, user_id=USER)]
    with pytest.raises(errors.InvalidCode):
        state.use_recovery_code("h0", now=NOW)
    assert state.recovery_codes_left == 3


def test_turning_off_by_the_holder_and_by_an_admin_record_different_events() -> None:
    mine, reset = enabled(), enabled()
    mine.disable(now=NOW)
    reset.reset(now=NOW)
    assert mine.events == [events.TwoFactorDisabled(occurred_at=NOW, user_id=USER)]
    assert reset.events == [events.TwoFactorReset(occurred_at=NOW, user_id=USER)]
    assert not mine.enabled and not reset.enabled
    with pytest.raises(errors.TwoFactorNotEnabled):
        mine.disable(now=NOW)


def test_a_challenge_is_stored_hashed_and_lives_five_minutes() -> None:
    token = two_factor.new_challenge_token()
    challenge = SignInChallenge.issue(USER, token, remember=True, api_token=False, now=NOW)
    assert challenge.token_hash == two_factor.hash_challenge_token(token) != token
    assert challenge.is_open(now=NOW + timedelta(minutes=4, seconds=59))
    assert not challenge.is_open(now=NOW + timedelta(minutes=5))
    with pytest.raises(errors.InvalidChallenge):
        challenge.use(now=NOW + timedelta(minutes=5))


def test_a_challenge_is_used_once() -> None:
    challenge = SignInChallenge.issue(USER, "t", remember=False, api_token=False, now=NOW)
    challenge.use(now=NOW)
    assert challenge.used_at == NOW
    with pytest.raises(errors.InvalidChallenge):
        challenge.use(now=NOW)
