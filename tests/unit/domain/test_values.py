"""Value objects validate themselves and decide identity by a casefolded key."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest

from domain import errors
from domain.values import EmailAddress, PasswordHash, Username, clean_name

# -- Username ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "a" * 25, "Alice.Smith", "bob_99", "x-y.z", "007"])
def test_username_accepts_3_to_25_letters_digits_dots_underscores_and_dashes(raw: str) -> None:
    assert Username(raw).value == raw


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("ab", id="too-short"),
        pytest.param("a" * 26, id="too-long"),
        pytest.param("", id="empty"),
        pytest.param("al ice", id="inner-space"),
        pytest.param(" alice", id="leading-space"),
        pytest.param("alice\n", id="trailing-newline"),
        pytest.param("álice", id="accented-letter"),
        pytest.param("аlice", id="cyrillic-lookalike"),
        pytest.param("ａlice", id="fullwidth-letter"),
        pytest.param("ali\x00ce", id="nul"),
        pytest.param("ali\x1bce", id="escape"),
        pytest.param("ali\tce", id="tab"),
        pytest.param("alice@home", id="at-sign"),
        pytest.param("ali/ce", id="slash"),
    ],
)
def test_username_rejects_bad_length_spaces_unicode_and_control_characters(raw: str) -> None:
    with pytest.raises(errors.InvalidUsername) as caught:
        Username(raw)
    assert caught.value.field == "username"


@pytest.mark.parametrize("raw", [None, 12345, b"alice", ["alice"]])
def test_username_rejects_values_that_are_not_strings(raw: object) -> None:
    with pytest.raises(errors.InvalidUsername):
        Username(raw)  # type: ignore[arg-type]


def test_usernames_differing_only_in_letter_case_share_a_key() -> None:
    assert Username("Alice").key == Username("alice").key == Username("ALICE").key == "alice"


def test_username_keeps_the_letter_case_it_was_typed_in() -> None:
    assert str(Username("Alice")) == "Alice"


# -- EmailAddress -----------------------------------------------------------------------


def test_email_is_trimmed_and_its_domain_lowercased_but_the_local_part_keeps_its_case() -> None:
    assert EmailAddress("  Anna.Smith@Example.COM \t").value == "Anna.Smith@example.com"


def test_emails_differing_only_in_letter_case_are_equal_and_hash_alike() -> None:
    first, second = EmailAddress("Anna@Example.com"), EmailAddress("anna@EXAMPLE.COM")
    assert first == second
    assert len({first, second}) == 1
    assert first.key == second.key == "anna@example.com"


def test_different_emails_are_not_equal() -> None:
    assert EmailAddress("anna@example.com") != EmailAddress("hanna@example.com")
    assert EmailAddress("anna@example.com") != "anna@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("anna.example.com", id="no-at"),
        pytest.param("an@na@example.com", id="two-ats"),
        pytest.param("anna@@example.com", id="double-at"),
        pytest.param("@example.com", id="empty-local-part"),
        pytest.param("anna@", id="empty-domain"),
        pytest.param(".anna@example.com", id="leading-dot"),
        pytest.param("anna.@example.com", id="trailing-dot"),
        pytest.param("an..na@example.com", id="double-dot"),
        pytest.param("anna@example..com", id="double-dot-in-domain"),
        pytest.param("an na@example.com", id="inner-space"),
        pytest.param("an\x00na@example.com", id="nul-in-local-part"),
        pytest.param("anna@exam\x00ple.com", id="nul-in-domain"),
        pytest.param("an\x07na@example.com", id="bell"),
        pytest.param("an\nna@example.com", id="newline"),
        pytest.param("anna@localhost", id="domain-without-dot"),
        pytest.param("anna@-example.com", id="label-with-leading-dash"),
        pytest.param("anna@example-.com", id="label-with-trailing-dash"),
        pytest.param("anna@example.123", id="numeric-tld"),
        pytest.param("anna@10.0.0.1", id="ip-address"),
        pytest.param("anna@exa_mple.com", id="underscore-in-domain"),
        pytest.param("<anna>@example.com", id="angle-brackets"),
    ],
)
def test_email_rejects_malformed_addresses(raw: str) -> None:
    with pytest.raises(errors.InvalidEmail) as caught:
        EmailAddress(raw)
    assert caught.value.field == "email"


@pytest.mark.parametrize("raw", [None, 42, b"anna@example.com"])
def test_email_rejects_values_that_are_not_strings(raw: object) -> None:
    with pytest.raises(errors.InvalidEmail):
        EmailAddress(raw)  # type: ignore[arg-type]


def _address_of_length(length: int) -> str:
    """``a...@b...c...d...com``: a 64-character local part and valid 63-character labels."""
    domain = ".".join(["b" * 63, "c" * 63, "d" * (length - 64 - 1 - 63 - 63 - 4 - 2)]) + ".com"
    address = f"{'a' * 64}@{domain}"
    assert len(address) == length
    return address


def test_email_of_254_characters_is_accepted() -> None:
    assert len(EmailAddress(_address_of_length(254)).value) == 254


def test_email_over_254_characters_is_rejected() -> None:
    with pytest.raises(errors.InvalidEmail):
        EmailAddress(_address_of_length(255))


def test_email_local_part_of_64_characters_is_accepted_and_65_rejected() -> None:
    assert EmailAddress("a" * 64 + "@example.com")
    with pytest.raises(errors.InvalidEmail):
        EmailAddress("a" * 65 + "@example.com")


def test_email_accepts_an_internationalised_domain() -> None:
    assert EmailAddress("anna@bücher.de").value == "anna@bücher.de"


def test_internationalised_domains_compare_regardless_of_case_and_unicode_form() -> None:
    decomposed = "anna@bu\u0308cher.de"  # "u" followed by a combining diaeresis
    assert EmailAddress("anna@BÜCHER.de") == EmailAddress("anna@bücher.de")
    assert EmailAddress(decomposed) == EmailAddress("anna@bücher.de")


def test_email_cannot_be_changed_after_creation() -> None:
    email = EmailAddress("anna@example.com")
    with pytest.raises(AttributeError):
        email.value = "eve@example.com"
    assert email.value == "anna@example.com"


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda email: pickle.loads(pickle.dumps(email))],  # noqa: S301
    ids=["copy", "deepcopy", "pickle"],
)
def test_email_survives_copying_and_pickling(duplicate: Callable[[EmailAddress], object]) -> None:
    email = EmailAddress("Anna@bücher.de")
    copied = duplicate(email)
    assert isinstance(copied, EmailAddress)
    assert (copied.value, copied.key) == ("Anna@bücher.de", "anna@bücher.de")


# -- names ------------------------------------------------------------------------------


def test_clean_name_trims_surrounding_spaces() -> None:
    assert clean_name("  Anna Maria \t", field_name="first_name") == "Anna Maria"


def test_clean_name_accepts_30_characters_and_letters_from_any_script() -> None:
    assert clean_name("x" * 30, field_name="first_name") == "x" * 30
    assert clean_name("Zoë Ørsted-Łukasz", field_name="last_name") == "Zoë Ørsted-Łukasz"


def test_clean_name_rejects_more_than_30_characters_naming_the_field() -> None:
    with pytest.raises(errors.InvalidName) as caught:
        clean_name("x" * 31, field_name="last_name")
    assert caught.value.field == "last_name"


@pytest.mark.parametrize("raw", ["An\x00na", "An\nna", "An\x1bna", "An\x7fna"])
def test_clean_name_rejects_control_characters(raw: str) -> None:
    with pytest.raises(errors.InvalidName):
        clean_name(raw, field_name="first_name")


# -- PasswordHash -----------------------------------------------------------------------


def test_password_hash_never_shows_its_value_when_printed() -> None:
    password_hash = PasswordHash("$argon2id$v=19$secret-bits")
    assert "secret-bits" not in repr(password_hash)
    assert "secret-bits" not in str(password_hash)
    assert "secret-bits" not in f"{password_hash}"
    assert password_hash.value == "$argon2id$v=19$secret-bits"


def test_usernames_that_differ_only_in_case_are_equal() -> None:
    assert Username("Alice") == Username("alice")
    assert len({Username("Alice"), Username("ALICE")}) == 1


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff"])
def test_invisible_format_characters_are_not_allowed_in_names(char: str) -> None:
    with pytest.raises(errors.InvalidName):
        clean_name(f"Ann{char}a", field_name="first_name")
