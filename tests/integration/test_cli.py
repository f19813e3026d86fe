"""The ``gatehouse`` command, run through click's runner against a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select

from infrastructure.db import migrations
from infrastructure.db.migrations import PROJECT_ROOT
from infrastructure.db.tables import audit_events
from tests.conftest import unique_name
from web import assets
from web.cli import hypercorn_config, main

PASSWORD = "a long and quiet river"


def create(name: str, *extra: str, password: str = PASSWORD, repeat: str | None = None) -> object:
    answers = f"{password}\n{repeat if repeat is not None else password}\n"
    return CliRunner().invoke(
        main, ["users", "create", name, f"{name}@example.com", *extra], input=answers
    )


def test_users_create_asks_twice_and_grants_admin_with_the_flag(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    result = create(name, "--admin")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"Created {name}" in result.output  # type: ignore[attr-defined]
    listed = CliRunner().invoke(main, ["users", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith(name))
    assert "admin" in line
    assert "active" in line


def test_the_password_is_never_echoed(cli_env: dict[str, str]) -> None:
    result = create(unique_name("op"))
    assert PASSWORD not in result.output  # type: ignore[attr-defined]


def test_users_create_refuses_mismatched_passwords(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    result = create(name, repeat="something different entirely")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.splitlines() == ["Error: The two passwords differ."]  # type: ignore[attr-defined]
    assert name not in CliRunner().invoke(main, ["users", "list"]).output


def test_a_weak_password_is_a_clear_error_and_a_non_zero_exit(cli_env: dict[str, str]) -> None:
    result = create(unique_name("op"), password="password123")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.splitlines() == ["Error: This password is too common."]  # type: ignore[attr-defined]


def test_a_taken_username_is_a_clear_error(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    create(name)
    result = create(name.upper())
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.splitlines() == ["Error: That username is already taken."]  # type: ignore[attr-defined]


def test_users_list_on_an_empty_database_says_so(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 0
    assert "No users." in result.output


def test_bad_settings_stop_the_command_with_one_line(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_ENV", "production")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: Invalid setting: SECRET_KEY must be set when GATEHOUSE_ENV=production"
    ]


def test_db_downgrade_then_upgrade_round_trips(cli_env: dict[str, str]) -> None:
    newest = migrations.revisions(cli_env["DATABASE_URL"])[-1]
    down = CliRunner().invoke(main, ["db", "downgrade", "base"])
    up = CliRunner().invoke(main, ["db", "upgrade"])
    again = CliRunner().invoke(main, ["db", "upgrade"])

    assert (down.exit_code, up.exit_code, again.exit_code) == (0, 0, 0)
    assert down.stdout == f"Downgraded the database from {newest} (the newest) to base.\n"
    assert up.stdout == f"Upgraded the database from base to {newest} (the newest).\n"
    assert again.stdout == f"The database stays at {newest} (the newest).\n"
    assert CliRunner().invoke(main, ["users", "list"]).exit_code == 0


def test_db_downgrade_takes_a_step_back_as_a_negative_number(cli_env: dict[str, str]) -> None:
    url = cli_env["DATABASE_URL"]
    *_, two_back, _, newest = migrations.revisions(url)

    result = CliRunner().invoke(main, ["db", "downgrade", "-2"])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Downgraded the database from {newest} (the newest) to {two_back}.\n"
    assert migrations.current_revision(url) == two_back


def test_the_password_cannot_be_given_on_the_command_line(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "create", "someone", "someone@example.com", "--password", PASSWORD],
        prog_name="gatehouse",
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: No such option '--password'. See 'gatehouse users create --help'."
    ]


def test_an_over_long_username_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = create("u" * 40)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.splitlines() == [  # type: ignore[attr-defined]
        "Error: Usernames are 3 to 25 letters, digits, '.', '_' or '-'."
    ]


# Accounts and roles, changed by the command line as the system actor.


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def audit_trail(env: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every audit entry in the CLI's database as (event type, details), oldest first."""
    engine = create_engine(env["DATABASE_URL"].replace("+aiosqlite", ""))
    query = select(audit_events.c.event_type, audit_events.c.details).order_by(
        audit_events.c.occurred_at
    )
    try:
        with engine.connect() as connection:
            return [(row.event_type, dict(row.details)) for row in connection.execute(query)]
    finally:
        engine.dispose()


def listed_line(name: str) -> str:
    listed = run("users", "list")
    assert listed.exit_code == 0, listed.output
    return next(line for line in listed.output.splitlines() if line.startswith(name))


def role_line(name: str) -> list[str]:
    listed = run("roles", "list")
    assert listed.exit_code == 0, listed.output
    return next(line for line in listed.output.splitlines() if line.startswith(name)).split()


@pytest.mark.parametrize(
    ("off", "on"),
    [
        (str.upper, lambda name: f"{name}@example.com".upper()),
        (lambda name: f"{name}@EXAMPLE.com".swapcase(), str.swapcase),
    ],
    ids=["off-by-username-on-by-email", "off-by-email-on-by-username"],
)
def test_users_deactivate_and_activate_find_the_account_by_either_login_in_any_case(
    cli_env: dict[str, str], off: Callable[[str], str], on: Callable[[str], str]
) -> None:
    name = unique_name("op")
    create(name)

    deactivated = run("users", "deactivate", off(name))
    assert deactivated.exit_code == 0, deactivated.output
    assert deactivated.output == f"Deactivated {name}; their sessions have ended.\n"
    assert listed_line(name).split()[2] == "inactive"

    activated = run("users", "activate", on(name))
    assert activated.exit_code == 0, activated.output
    assert activated.output == f"Activated {name}.\n"
    assert listed_line(name).split()[2] == "active"

    assert audit_trail(cli_env)[-2:] == [
        ("UserDeactivated", {"by": "cli"}),
        ("UserActivated", {"by": "cli"}),
    ]


def test_roles_create_list_grant_and_revoke_with_an_audit_entry_for_each_change(
    cli_env: dict[str, str],
) -> None:
    name = unique_name("op")
    create(name)

    created = run("roles", "create", "Editor", "--description", "Edits pages.")
    assert created.exit_code == 0, created.output
    assert created.output == "Created role editor.\n"
    assert role_line("editor") == ["editor", "0", "Edits", "pages."]
    assert role_line("admin")[:2] == ["admin", "0"]

    granted = run("roles", "grant", name.upper(), "EDITOR")
    assert granted.exit_code == 0, granted.output
    assert granted.output == f"{name} now holds: editor.\n"
    assert role_line("editor")[:2] == ["editor", "1"]
    assert listed_line(name).split()[-1] == "editor"

    revoked = run("roles", "revoke", f"{name}@example.com", "editor")
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output == f"{name} now holds: no roles.\n"
    assert role_line("editor")[:2] == ["editor", "0"]

    assert audit_trail(cli_env)[-3:] == [
        ("RoleCreated", {"role": "editor", "description": "Edits pages.", "by": "cli"}),
        ("RoleGranted", {"role": "editor", "by": "cli"}),
        ("RoleRevoked", {"role": "editor", "by": "cli"}),
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["users", "activate", "{login}"],
        ["users", "deactivate", "{login}"],
        ["roles", "grant", "{login}", "admin"],
        ["roles", "revoke", "{login}", "admin"],
    ],
    ids=" ".join,
)
def test_an_unknown_user_is_one_line_and_exit_code_1(
    cli_env: dict[str, str], command: list[str]
) -> None:
    ghost = unique_name("ghost")
    result = run(*(part.format(login=ghost) for part in command))

    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: There is no user '{ghost}'."]


def test_granting_an_unknown_role_is_one_line_and_exit_code_1(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    create(name)
    before = audit_trail(cli_env)

    result = run("roles", "grant", name, "nosuchrole")

    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: There is no role named 'nosuchrole'."]
    assert audit_trail(cli_env) == before


def test_granting_a_role_twice_says_the_user_already_holds_it(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    create(name)
    assert run("roles", "create", "editor").exit_code == 0
    assert run("roles", "grant", name, "editor").exit_code == 0
    before = audit_trail(cli_env)

    result = run("roles", "grant", name, "editor")

    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {name} already holds 'editor'."]
    assert audit_trail(cli_env) == before


def test_creating_a_role_twice_is_one_line_and_exit_code_1(cli_env: dict[str, str]) -> None:
    assert run("roles", "create", "editor").exit_code == 0

    result = run("roles", "create", "EDITOR")

    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: A role with that name already exists."]


LAST_ADMIN = "Error: This is the last active administrator; make another one first."


@pytest.mark.parametrize("command", [["users", "deactivate"], ["roles", "revoke"]], ids=" ".join)
def test_the_last_active_admin_cannot_be_deactivated_or_lose_the_role(
    cli_env: dict[str, str], command: list[str]
) -> None:
    admin = unique_name("root")
    create(admin, "--admin")
    args = [*command, admin] + (["admin"] if command[0] == "roles" else [])
    before = audit_trail(cli_env)

    refused = run(*args)

    assert refused.exit_code == 1
    assert refused.output.splitlines() == [LAST_ADMIN]
    assert listed_line(admin).split()[2:] == ["active", "admin"]
    assert audit_trail(cli_env) == before

    create(unique_name("root"), "--admin")
    assert run(*args).exit_code == 0


def test_users_create_is_recorded_as_done_by_the_command_line(cli_env: dict[str, str]) -> None:
    name = unique_name("op")
    assert create(name, "--admin").exit_code == 0  # type: ignore[attr-defined]
    recorded = [(kind, details.get("by")) for kind, details in audit_trail(cli_env)]
    assert recorded == [("UserRegistered", "cli"), ("RoleGranted", "cli")]


def test_serve_reads_hypercorn_toml_and_lets_options_override(tmp_path: Path) -> None:
    toml = tmp_path / "hypercorn.toml"
    toml.write_text('bind = ["0.0.0.0:9000"]\nworkers = 3\ngraceful_timeout = 7\n')
    from_file = hypercorn_config(str(toml), host=None, port=None, workers=None)
    assert from_file.bind == ["0.0.0.0:9000"]
    assert from_file.workers == 3
    assert from_file.graceful_timeout == 7
    assert from_file.application_path == "web.asgi:app"
    overridden = hypercorn_config(str(toml), host="127.0.0.1", port=8100, workers=1)
    assert overridden.bind == ["127.0.0.1:8100"]
    assert overridden.workers == 1
    missing = hypercorn_config(str(tmp_path / "none.toml"), host=None, port=8200, workers=None)
    assert missing.bind == ["127.0.0.1:8200"]
    assert missing.graceful_timeout == 20


def test_the_projects_hypercorn_toml_is_one_worker_with_a_graceful_timeout() -> None:
    config = hypercorn_config(
        str(PROJECT_ROOT / "hypercorn.toml"), host=None, port=None, workers=None
    )
    assert config.workers == 1
    assert config.graceful_timeout >= 10


def test_assets_builds_hashed_and_compressed_files_into_the_configured_folder(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "static"
    monkeypatch.setenv("STATIC_ROOT", str(target))
    first = run("assets")
    again = run("assets")  # an earlier build is replaced, not hashed once more
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    # one line each: not a line for every file copied, hashed and compressed
    sources = [path for path in assets.SOURCE.rglob("*") if path.is_file()]
    assert first.output == again.output == f"Built {len(sources)} static files into {target}.\n"
    hashed = assets.manifest(target)["css/style.css"]
    assert sorted(path.name for path in (target / "css").iterdir()) == sorted(
        [
            name + suffix
            for name in ("style.css", hashed.split("/")[-1])
            for suffix in ("", ".gz", ".br")
        ]
    )


def test_assets_refuses_to_empty_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = run("assets", "--into", str(tmp_path))
    assert result.exit_code == 1
    assert "refusing to empty it" in result.output
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_serve_without_built_static_files_names_the_command_to_run(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path / "not-built"))
    result = run("serve", "--config", str(tmp_path / "none.toml"))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: The static files are not built in {tmp_path / 'not-built'}: run "
        "`gatehouse assets` (make run and make test do it for you)"
    ]
