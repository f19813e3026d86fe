"""``gatehouse keys``: the keys that encrypt two-factor secrets at rest."""

from __future__ import annotations

import click

from web.cli_runtime import run_with_services, settings_or_exit

UNOPENED = (
    "A stored secret opens with none of ENCRYPTION_KEYS, so nothing was changed: put the "
    "key it was encrypted with back in the list (anywhere after the first) and run this again."
)


@click.group()
def keys() -> None:
    """Encryption keys of secrets at rest (ENCRYPTION_KEYS)."""


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the first of ENCRYPTION_KEYS.

    Put the new key first, keep the old ones after it, run this, then remove the old
    ones. All secrets change in one transaction: if any opens with no key, none does."""
    settings = settings_or_exit()
    try:
        count = run_with_services(settings, lambda services: services.rotate_secrets())
    except ValueError:
        raise click.ClickException(UNOPENED) from None
    noun = "secret" if count == 1 else "secrets"
    others = len(settings.encryption_key_list()) - 1
    retire = ""
    if others:
        retire = "; the other key" if others == 1 else f"; the other {others} keys"
        retire += " can now be removed"
    click.echo(f"Re-encrypted {count} {noun} with the first key{retire}.")
