"""``gatehouse users`` and ``gatehouse roles``: accounts and roles, changed through the
use cases as the system actor ``cli``."""

from __future__ import annotations

import sys

import click

from application.commands import CreateUser, DefineRole, NewAccount, RoleChange, SearchUsers
from application.results import UserDetail
from application.services import Services
from domain import password_policy
from domain.roles import ADMIN
from web.cli_runtime import SYSTEM, parsed, run_with_services, settings_or_exit


@click.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Grant the admin role.")
def create_user(username: str, email: str, admin: bool) -> None:
    """Create an active account; the password is asked for twice, never passed.

    The username and address are checked first, the password as soon as it is typed."""
    settings = settings_or_exit()
    account = parsed(NewAccount, username=username, email=email)
    run_with_services(settings, lambda s: s.check_new_account(account, SYSTEM))
    password = new_password(username, email)
    roles = frozenset({ADMIN} if admin else set())
    cmd = parsed(CreateUser, username=username, email=email, password=password, roles=roles)
    user = run_with_services(settings, lambda s: s.create_user(cmd, SYSTEM))
    held = ", ".join(user.roles) or "no roles"
    click.echo(f"Created {user.username} <{user.email}> ({held}).")


PASSWORD_TRIES = 3


def new_password(username: str, email: str) -> str:
    """A password typed twice, checked against the policy before it is asked for again.
    At a terminal a weak or mistyped one is asked for anew (three tries); from a pipe
    or a script, which gives both lines on standard input, the command stops with the
    reason."""
    for attempt in range(1, PASSWORD_TRIES + 1):
        password = secret_line("Password")
        problem = password_policy.password_problem(password, username=username, email=email)
        if problem is None:
            if secret_line("Repeat the password") == password:
                return password
            problem = "The two passwords differ."
        if attempt == PASSWORD_TRIES or not interactive():
            raise click.ClickException(problem)
        click.echo(f"{problem} Try again.", err=True)
    raise AssertionError("unreachable")


def secret_line(prompt: str) -> str:
    """Asked for without echo at a terminal; read as a plain line from a pipe, where
    nothing echoes (and getpass would only warn that it cannot hide it)."""
    if interactive():
        answer: str = click.prompt(prompt, hide_input=True)
        return answer
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("Give the password twice on standard input, a line each.")
    return line.rstrip("\r\n")


def interactive() -> bool:
    """Whether a person types the answers (not a pipe or a script)."""
    return sys.stdin.isatty()


@users.command("list")
@click.option("--search", default="", help="Only usernames or e-mails starting with this.")
def list_users(search: str) -> None:
    """List accounts, active or not, by username."""

    async def every_page(services: Services) -> list[UserDetail]:
        found: list[UserDetail] = []
        after: str | None = None
        while True:
            page = await services.search_users(
                SearchUsers(query=search, after=after, limit=100), SYSTEM
            )
            found.extend(page.items)
            if page.after is None:
                return found
            after = page.after

    listed = run_with_services(settings_or_exit(), every_page)
    for user in listed:
        state = "active" if user.active else "inactive"
        roles = ",".join(user.roles) or "-"
        click.echo(f"{user.username:<25} {user.email:<40} {state:<8} {roles}")
    if not listed:
        click.echo("No users.")


@users.command("activate")
@click.argument("login")
def activate(login: str) -> None:
    """Let LOGIN (a username or e-mail) sign in again."""
    user, changed = run_with_services(settings_or_exit(), lambda s: _activate(s, login))
    click.echo(f"Activated {user.username}." if changed else f"{user.username} is already active.")


@users.command("deactivate")
@click.argument("login")
def deactivate(login: str) -> None:
    """Stop LOGIN (a username or e-mail) from signing in and end its sessions."""
    user, changed = run_with_services(settings_or_exit(), lambda s: _deactivate(s, login))
    if changed:
        click.echo(f"Deactivated {user.username}; their sessions have ended.")
    else:
        click.echo(f"{user.username} is already inactive.")


@users.command("delete")
@click.argument("login")
@click.option("--yes", is_flag=True, help="Do not ask first (for scripts).")
def delete(login: str, yes: bool) -> None:
    """Delete LOGIN (a username or e-mail): end its sessions, erase its personal data
    and free its names; the audit trail keeps its id. Asks first unless --yes."""
    settings = settings_or_exit()
    user = run_with_services(settings, lambda s: s.find_user(login, SYSTEM))
    if not yes:
        if not interactive():
            raise click.ClickException("Add --yes to delete an account from a script.")
        click.confirm(f"Delete {user.username} <{user.email}> for good?", abort=True)
    run_with_services(settings, lambda s: s.delete_user(user.id, SYSTEM))
    click.echo(f"Deleted {user.username}; their sessions have ended and their data is erased.")


async def _activate(services: Services, login: str) -> tuple[UserDetail, bool]:
    """The account after the change, and whether there was one to make."""
    user = await services.find_user(login, SYSTEM)
    if user.active:
        return user, False
    return await services.activate_user(user.id, SYSTEM), True


async def _deactivate(services: Services, login: str) -> tuple[UserDetail, bool]:
    user = await services.find_user(login, SYSTEM)
    if not user.active:
        return user, False
    return await services.deactivate_user(user.id, SYSTEM), True


@click.group()
def roles() -> None:
    """Roles and who holds them."""


@roles.command("list")
def list_roles() -> None:
    """Every role with its number of members."""
    found = run_with_services(settings_or_exit(), lambda s: s.list_roles(SYSTEM))
    for role in found:
        click.echo(f"{role.name:<25} {role.members:>6}  {role.description}")


@roles.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the role is for.")
def create_role(name: str, description: str) -> None:
    """Create the role NAME."""
    cmd = parsed(DefineRole, name=name, description=description)
    role = run_with_services(settings_or_exit(), lambda s: s.create_role(cmd, SYSTEM))
    click.echo(f"Created role {role.name}.")


@roles.command("grant")
@click.argument("login")
@click.argument("role")
def grant(login: str, role: str) -> None:
    """Give ROLE to LOGIN (a username or e-mail)."""

    async def use(services: Services) -> UserDetail:
        user = await services.find_user(login, SYSTEM)
        return await services.grant_role(parsed(RoleChange, user_id=user.id, role=role), SYSTEM)

    user = run_with_services(settings_or_exit(), use)
    click.echo(f"{user.username} now holds: {', '.join(user.roles)}.")


@roles.command("revoke")
@click.argument("login")
@click.argument("role")
def revoke(login: str, role: str) -> None:
    """Take ROLE from LOGIN (a username or e-mail)."""

    async def use(services: Services) -> UserDetail:
        user = await services.find_user(login, SYSTEM)
        return await services.revoke_role(parsed(RoleChange, user_id=user.id, role=role), SYSTEM)

    user = run_with_services(settings_or_exit(), use)
    click.echo(f"{user.username} now holds: {', '.join(user.roles) or 'no roles'}.")
