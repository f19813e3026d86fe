"""Stored addresses and their keys by the rules of email-validator (IDNA 2008).

The key becomes the local part casefolded, ``@``, the domain in its Unicode form, so an
address spelled in Unicode and in ASCII (``xn--``) is one account; the address keeps
the domain's Unicode form.

What cannot be recomputed is left as it was and reported as a warning, never failed
on: an address the new rules refuse (invalid punycode, a special-use domain) keeps its
row, and when two rows would now share a key (two accounts for what is one address)
both keep their old keys, for an operator to merge or change. An address the old
rules rewrote (``faß.de`` stored as ``fass.de``) cannot be told from one typed that
way and stays as stored.

Downgrade writes the domain in its ASCII form (which the old rules keep as typed) and
the old key, the whole address casefolded, with the same care for collisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import email_validator
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMAIL_MAX = 254
log = logging.getLogger("alembic.runtime.migration")
users = sa.table(
    "users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()), sa.column("email_key")
)
Rule = Callable[[str], "tuple[str, str] | None"]


def _checked(address: str) -> Any:
    try:
        return email_validator.validate_email(
            unicodedata.normalize("NFC", address), check_deliverability=False, strict=True
        )
    except ValueError:
        return None


def new_rule(address: str) -> tuple[str, str] | None:
    """The address and its key by the rules of this revision (a frozen copy of
    ``domain.values``), or None when they refuse it."""
    checked = _checked(address)
    if checked is None:
        return None
    value, key = checked.normalized, f"{checked.local_part.casefold()}@{checked.domain}"
    return (value, key) if len(value) <= EMAIL_MAX and len(key) <= EMAIL_MAX else None


def old_rule(address: str) -> tuple[str, str] | None:
    """The address with an ASCII domain and the whole of it casefolded as the key."""
    checked = _checked(address)
    if checked is None:
        return None
    value = f"{checked.local_part}@{checked.ascii_domain}"
    return (value, value.casefold()) if len(value) <= EMAIL_MAX else None


def upgrade() -> None:
    _rewrite(new_rule)


def downgrade() -> None:
    _rewrite(old_rule)


def _rewrite(rule: Rule) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.email_key)).all()
    stored = {row.id: (row.email, row.email_key) for row in rows}
    planned = _plan(stored, rule)
    changed = {uid: new for uid, new in planned.items() if new != stored[uid]}
    # Through a placeholder key first: two rows may swap keys within the transaction.
    for uid in changed:
        connection.execute(
            users.update().where(users.c.id == uid).values(email_key=f"~migrating~{uid}")
        )
    for uid, (value, key) in changed.items():
        connection.execute(
            users.update().where(users.c.id == uid).values(email=value, email_key=key)
        )
    log.info("Recomputed %d stored e-mail addresses of %d.", len(changed), len(rows))


def _plan(stored: dict[Any, tuple[str, str]], rule: Rule) -> dict[Any, tuple[str, str]]:
    """Each row's (address, key) after the migration; what cannot change stays."""
    planned: dict[Any, tuple[str, str]] = {}
    for uid, (address, key) in stored.items():
        computed = rule(address)
        if computed is None:
            log.warning("User %s: the address %r is left as stored (refused).", uid, address)
        planned[uid] = computed or (address, key)
    while clashes := _clashing(planned, stored):
        for uid, others in clashes.items():
            log.warning(
                "User %s: the address %r is left as stored: it now means the same address as "
                "that of %s; merge the accounts or change one address.",
                uid,
                stored[uid][0],
                ", ".join(str(other) for other in others),
            )
            planned[uid] = stored[uid]
    return planned


def _clashing(
    planned: dict[Any, tuple[str, str]], stored: dict[Any, tuple[str, str]]
) -> dict[Any, list[Any]]:
    """Rows to change whose new key other rows would also have, with those rows. The
    stored keys are unique, so each round puts at least one row back, and the loop ends."""
    holders: dict[str, list[Any]] = defaultdict(list)
    for uid, (_, key) in planned.items():
        holders[key].append(uid)
    return {
        uid: [other for other in holders[key] if other != uid]
        for uid, (_, key) in planned.items()
        if len(holders[key]) > 1 and planned[uid] != stored[uid]
    }
