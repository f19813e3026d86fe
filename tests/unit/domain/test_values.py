"""Value objects validate themselves and decide identity by a casefolded key."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest

from domain import errors
from domain.values import EmailAddress, PasswordHash, Username, clean_name, login_key

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


def test_an_eszett_domain_is_kept_not_turned_into_another_domain() -> None:
    # IDNA 2003 mapped faß.de to fass.de: mail to someone else's domain.
    assert EmailAddress("user@faß.de").value == "user@faß.de"
    assert EmailAddress("user@faß.de") != EmailAddress("user@fass.de")


def test_an_address_spelled_in_unicode_and_in_ascii_is_one_address() -> None:
    unicode_spelling, ascii_spelling = (
        EmailAddress("User@faß.de"),
        EmailAddress("user@xn--fa-hia.de"),
    )
    assert unicode_spelling == ascii_spelling
    assert unicode_spelling.key == ascii_spelling.key == "user@faß.de"
    assert ascii_spelling.value == "user@faß.de"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a@xn--zz.com", id="invalid-punycode"),
        pytest.param("a@xn--.com", id="empty-punycode"),
        pytest.param("anna@example.test", id="special-use-domain"),
        pytest.param('"an na"@example.com', id="quoted-local-part"),
        pytest.param("anna@[10.0.0.1]", id="domain-literal"),
    ],
)
def test_email_rejects_what_the_rules_of_the_field_reject(raw: str) -> None:
    with pytest.raises(errors.InvalidEmail):
        EmailAddress(raw)


def _folding_longer(length: int) -> str:
    """An address of ``length`` characters whose local part (64 times ß) casefolds to twice
    its length."""
    domain_length = length - 64 - 1
    labels = ["b" * 63] * (domain_length // 64) + ["c" * (domain_length % 64 - 4)]
    address = "ß" * 64 + "@" + ".".join(label for label in labels if label) + ".com"
    assert len(address) == length
    return address


def test_an_address_whose_casefolded_key_would_be_over_254_characters_is_rejected() -> None:
    with pytest.raises(errors.InvalidEmail):
        EmailAddress(_folding_longer(254))


def test_value_and_key_fit_254_characters_whenever_an_address_is_accepted() -> None:
    email = EmailAddress(_folding_longer(150))
    assert len(email.value) <= 254 and len(email.key) <= 254
    assert email.key.startswith("ss" * 64 + "@")


def test_a_stored_address_loads_as_stored_without_the_rules_of_today() -> None:
    email = EmailAddress.stored("a@xn--zz.com", "a@xn--zz.com")
    assert (email.value, email.key) == ("a@xn--zz.com", "a@xn--zz.com")


@pytest.mark.parametrize(
    ("login", "key"),
    [
        ("  Alice ", "alice"),
        ("User@xn--fa-hia.de", "user@faß.de"),
        ("USER@FAß.DE", "user@faß.de"),
        ("not@an@address", "not@an@address"),
        ("ANNA@FAß", "anna@faß"),  # the start of an address, in a search
        ("STRASSE@x", "strasse@x"),
    ],
)
def test_a_login_is_looked_up_by_the_key_of_what_it_names(login: str, key: str) -> None:
    assert login_key(login) == key


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
