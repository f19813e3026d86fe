"""Every mistake made with the ``gatehouse`` command is one line and exit status 1: a
mistyped option, an unknown revision, a database that cannot be used."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from infrastructure.db import migrations
from tests.e2e.conftest import free_port
from web.cli import main

GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))


def run(*args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, prog_name="gatehouse")


def one_line(result: Result) -> str:
    """The one line a mistake printed (on stderr), after checking there was one."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["users", "list", "--bogus"],
            "No such option '--bogus'. See 'gatehouse users list --help'.",
        ),
        (
            ["users", "create", "ada"],
            "Missing argument 'EMAIL'. See 'gatehouse users create --help'.",
        ),
        (["nosuch"], "No such command 'nosuch'. See 'gatehouse --help'."),
        (
            ["roles", "grnat"],
            "No such command 'grnat'. Did you mean 'grant'? See 'gatehouse roles --help'.",
        ),
        (
            ["serve", "--port", "http"],
            "Invalid value for '--port': 'http' is not a valid integer range. "
            "See 'gatehouse serve --help'.",
        ),
        (
            ["db", "upgrade", "head", "extra"],
            "Got unexpected extra argument (extra). See 'gatehouse db upgrade --help'.",
        ),
    ],
    ids=["unknown option", "missing argument", "unknown command", "typo", "bad value", "extra"],
)
def test_a_mistyped_command_is_one_line_naming_its_help(
    cli_env: dict[str, str], args: list[str], said: str
) -> None:
    assert one_line(run(*args)) == f"Error: {said}"


def test_a_bare_group_still_shows_its_help() -> None:
    result = run("users")
    assert "Commands:" in result.output
    assert "create" in result.output


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_unknown_revision_is_one_line_naming_the_revisions_there_are(
    cli_env: dict[str, str], command: str
) -> None:
    url = cli_env["DATABASE_URL"]
    known = migrations.revisions(url)
    before = migrations.current_revision(url)

    said = one_line(run("db", command, "nosuch"))

    assert said == (
        f"Error: There is no revision 'nosuch': use head, base, {known[0]} to {known[-1]}, "
        "or a step such as -1."
    )
    assert migrations.current_revision(url) == before


def test_a_revision_range_is_one_line(cli_env: dict[str, str]) -> None:
    assert one_line(run("db", "upgrade", "base:head")).startswith(
        "Error: Range revision not allowed: use head, base, "
    )


UNREACHABLE = [
    ["users", "list"],
    ["users", "create", "ada", "ada@example.com"],
    ["users", "activate", "ada"],
    ["users", "deactivate", "ada"],
    ["roles", "list"],
    ["roles", "create", "editor"],
    ["roles", "grant", "ada", "admin"],
    ["roles", "revoke", "ada", "admin"],
    ["db", "upgrade"],
    ["db", "downgrade"],
]


@pytest.mark.parametrize("args", UNREACHABLE, ids=" ".join)
def test_a_database_nobody_answers_at_is_one_line_without_its_password(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+asyncpg://gatehouse:hunter2@127.0.0.1:{port}/db"
    )

    said = one_line(run(*args, stdin="a long and quiet river\n" * 2))

    assert said == (
        f"Error: Cannot use the database at postgresql+asyncpg://gatehouse:***@127.0.0.1:{port}/db:"
        " nothing answers there (connection refused)."
    )


@pytest.mark.parametrize("args", [["users", "list"], ["roles", "list"], ["users", "activate", "x"]])
def test_a_database_without_tables_says_to_upgrade_it(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    fresh_database_url: str,
    args: list[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)

    assert one_line(run(*args)) == (
        f"Error: Cannot use the database at {fresh_database_url}: it has no tables yet "
        "(run `gatehouse db upgrade` first)."
    )


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_is_named(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    monkeypatch.setenv("DATABASE_URL", missing)

    said = one_line(run("users", "list"))

    reason = 'database "no_such_database" does not exist'
    assert said == f"Error: Cannot use the database at {missing}: {reason}."


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The runner catches what a real process would print; this one is a real process."""
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
    }
    for args in (["db", "upgrade", "nosuch"], ["users", "list", "--bogus"]):
        done = subprocess.run(
            [GATEHOUSE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 1, done.stderr
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith("Error: ")
        assert "Traceback" not in done.stderr


def test_serving_on_a_port_in_use_is_one_line_before_anything_starts(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = one_line(run("serve", "--port", str(port), "--config", str(tmp_path / "none.toml")))
    assert said == f"Error: Cannot listen on 127.0.0.1:{port}: Address already in use."


def test_building_the_static_files_where_nothing_can_be_written_is_one_line(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    said = one_line(run("assets", "--into", str(blocked / "static")))
    assert said == f"Error: Cannot write into {blocked / 'static'}: Not a directory."
