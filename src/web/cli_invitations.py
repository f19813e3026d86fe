"""``gatehouse invitations``: invite an address, list, resend and revoke invitations,
through the use cases as the system actor ``cli``."""

from __future__ import annotations

from uuid import UUID

import click

from application.invitations import InvitationView, Invite, ListInvitations
from application.services import Services
from web.cli_runtime import SYSTEM, parsed, run_with_services, settings_or_exit


@click.group()
def invitations() -> None:
    """Invitations (REGISTRATION=invite lets only invited addresses register)."""


@invitations.command("create")
@click.argument("email")
@click.option(
    "--role", "roles", multiple=True, metavar="ROLE", help="Grant ROLE on registration; repeatable."
)
def create(email: str, roles: tuple[str, ...]) -> None:
    """Invite EMAIL: it is mailed a link to register with, which works once."""
    cmd = parsed(Invite, email=email, roles=frozenset(roles))
    made = run_with_services(settings_or_exit(), lambda s: s.invite(cmd, SYSTEM))
    granted = ", ".join(made.roles) or "no roles"
    click.echo(
        f"Invited {made.email} ({granted}); the link is mailed and works until "
        f"{_when(made)}. Id: {made.id}"
    )


@invitations.command("list")
def list_invitations() -> None:
    """List every invitation, the newest first, with its id and state."""

    async def every_page(services: Services) -> list[InvitationView]:
        found: list[InvitationView] = []
        page = 1
        while True:
            listed = await services.list_invitations(
                ListInvitations(page=page, per_page=100), SYSTEM
            )
            found.extend(listed.items)
            if not listed.has_next:
                return found
            page += 1

    listed = run_with_services(settings_or_exit(), every_page)
    for each in listed:
        roles = ",".join(each.roles) or "-"
        click.echo(f"{each.id}  {each.email:<40} {each.status:<8} {roles}")
    if not listed:
        click.echo("No invitations.")


@invitations.command("resend")
@click.argument("invitation_id", metavar="ID", type=click.UUID)
def resend(invitation_id: UUID) -> None:
    """Mail invitation ID a new link (the old one stops working)."""
    sent = run_with_services(
        settings_or_exit(), lambda s: s.resend_invitation(invitation_id, SYSTEM)
    )
    click.echo(f"Sent {sent.email} a new link; it works until {_when(sent)}.")


@invitations.command("revoke")
@click.argument("invitation_id", metavar="ID", type=click.UUID)
def revoke(invitation_id: UUID) -> None:
    """Withdraw invitation ID: its link stops working at once."""
    revoked = run_with_services(
        settings_or_exit(), lambda s: s.revoke_invitation(invitation_id, SYSTEM)
    )
    click.echo(f"Revoked the invitation of {revoked.email}.")


def _when(invitation: InvitationView) -> str:
    return invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
