"""The TOTP verifier follows RFC 4226 and RFC 6238, with their published test vectors."""

from __future__ import annotations

import base64

import pytest

from domain import totp

RFC_KEY = b"12345678901234567890"
RFC_SECRET = base64.b32encode(RFC_KEY).decode()


@pytest.mark.parametrize(
    ("counter", "code"),
    list(enumerate(
        ["755224", "287082", "359152", "969429", "338314",
         "254676", "287922", "162583", "399871", "520489"]
    )),
)  # fmt: skip
def test_hotp_gives_the_rfc_4226_codes(counter: int, code: str) -> None:
    assert totp.hotp(RFC_KEY, counter) == code


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_gives_the_rfc_6238_sha1_codes(unix_time: int, code: str) -> None:
    assert totp.hotp(RFC_KEY, totp.time_step(unix_time), digits=8) == code


def test_the_rfc_6238_sha256_and_sha512_vectors_hold_too() -> None:
    step = totp.time_step(59)
    assert totp.hotp(b"12345678901234567890123456789012", step, digits=8, digest="sha256") == (
        "46119246"
    )
    key_512 = b"1234567890" * 6 + b"1234"
    assert totp.hotp(key_512, step, digits=8, digest="sha512") == "90693936"


def test_six_digit_code_is_the_last_six_of_the_eight_digit_one() -> None:
    assert totp.code_at(RFC_SECRET, totp.time_step(1111111109)) == "081804"


def test_a_secret_is_read_in_any_case_with_spaces_and_no_padding() -> None:
    spaced = " ".join(RFC_SECRET.lower()[i : i + 4] for i in range(0, len(RFC_SECRET), 4))
    assert totp.decode_secret(spaced) == RFC_KEY
    assert totp.decode_secret("MZXW6") == b"foo"


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_the_step_before_now_or_after_matches(offset: int) -> None:
    code = totp.code_at(RFC_SECRET, 1000 + offset)
    assert totp.matching_step(RFC_SECRET, code, step=1000) == 1000 + offset


@pytest.mark.parametrize("offset", [-2, 2, 10])
def test_a_code_two_steps_away_does_not_match(offset: int) -> None:
    code = totp.code_at(RFC_SECRET, 1000 + offset)
    assert totp.matching_step(RFC_SECRET, code, step=1000) is None


def test_a_step_at_or_before_the_last_accepted_never_matches() -> None:
    code = totp.code_at(RFC_SECRET, 1000)
    assert totp.matching_step(RFC_SECRET, code, step=1000, after=1000) is None
    assert totp.matching_step(RFC_SECRET, code, step=1001, after=1000) is None
    assert totp.matching_step(RFC_SECRET, code, step=1000, after=999) == 1000


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", " 12345"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_step(RFC_SECRET, code, step=1000) is None
