"""Secrets at rest: Fernet under a key list, the first encrypting, all decrypting."""

from __future__ import annotations

import pytest

from infrastructure.encryption import FernetSecretBox, is_key, new_key
from infrastructure.recovery_codes import HmacRecoveryCodeHasher

OLD, NEW = new_key(), new_key()


def test_a_secret_comes_back_and_is_not_readable_in_its_stored_form() -> None:
    box = FernetSecretBox([NEW])
    stored = box.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert box.encrypt("JBSWY3DPEHPK3PXP") != stored  # a fresh IV each time
    assert box.decrypt(stored) == "JBSWY3DPEHPK3PXP"


def test_after_a_new_key_is_put_first_old_secrets_still_open_and_rotate_to_it() -> None:
    stored = FernetSecretBox([OLD]).encrypt("secret")
    both = FernetSecretBox([NEW, OLD])
    assert both.decrypt(stored) == "secret"
    rotated = both.rotate(stored)
    assert FernetSecretBox([NEW]).decrypt(rotated) == "secret"
    with pytest.raises(ValueError, match="no configured key"):
        FernetSecretBox([NEW]).decrypt(stored)


def test_a_secret_under_an_unknown_key_or_altered_is_refused_not_garbled() -> None:
    stored = FernetSecretBox([OLD]).encrypt("secret")
    altered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with pytest.raises(ValueError, match="no configured key"):
        FernetSecretBox([OLD]).decrypt(altered)
    with pytest.raises(ValueError, match="no configured key"):
        FernetSecretBox([NEW]).rotate(stored)


def test_only_fernet_keys_are_keys() -> None:
    assert is_key(NEW)
    assert not is_key("short")
    assert not is_key("é" * 44)
    with pytest.raises(ValueError, match="at least one"):
        FernetSecretBox([])


def test_recovery_code_digests_ignore_case_and_dashes_and_depend_on_the_key() -> None:
    hasher = HmacRecoveryCodeHasher("k" * 40)
    assert hasher.hash("abcde-fghjk") == hasher.hash(" ABCDEFGHJK") != hasher.hash("abcde-fghjm")
    assert HmacRecoveryCodeHasher("j" * 40).hash("abcde-fghjk") != hasher.hash("abcde-fghjk")
    assert len(hasher.hash("abcde-fghjk")) == 64
