"""The keyed digest that stands for a sign-in name naming no account."""

from __future__ import annotations

import hashlib

from infrastructure.login_digest import HmacLoginDigest

SECRET = "k" * 40


def test_the_same_name_has_the_same_digest_whatever_its_case_or_spacing() -> None:
    digest = HmacLoginDigest(SECRET)
    assert digest.digest("Ghost") == digest.digest("  ghost ") == digest.digest("GHOST")
    assert digest.digest("ghost") != digest.digest("ghost2")


def test_one_address_in_its_two_spellings_has_one_digest() -> None:
    digest = HmacLoginDigest(SECRET)
    assert digest.digest("Anna@faß.de") == digest.digest("anna@xn--fa-hia.de")


def test_the_digest_depends_on_the_secret_key_and_is_no_plain_hash() -> None:
    name = "my password in the wrong box"
    first, second = HmacLoginDigest(SECRET).digest(name), HmacLoginDigest("j" * 40).digest(name)
    assert first != second
    assert first not in hashlib.sha256(name.encode()).hexdigest()
    assert len(first) == 32 and name not in first
