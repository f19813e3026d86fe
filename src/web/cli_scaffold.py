"""``gatehouse new feature NAME``: the files of a new bounded context, in the right places
and already wired (the composition root's feature blueprints, the architecture test's
contexts, a table and a migration after the newest), so ``make test`` passes at once.

It writes into the project folder it is run in; docs/extending.md says what to fill in.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from string import Template

import click

NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
NAME_MAX = 30
# First path segments the app serves already (a feature's pages live at /<name>/).
RESERVED = frozenset(
    {"about", "api", "docs", "healthz", "logout", "metrics", "readyz", "register", "static"}
)
# Where a module of the name would clash with one the project has.
MODULE_DIRS = (
    "src/domain",
    "src/application",
    "src/infrastructure",
    "src/infrastructure/db",
    "src/web",
    "src/web/blueprints",
    "src/web/blueprints/api",
)


@dataclass(frozen=True)
class Feature:
    name: str

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def path(self) -> str:
        return self.name.replace("_", "-")

    def files(self, revision: str) -> dict[str, str]:
        """Each file to write, relative to the project folder, by template."""
        n = self.name
        return {
            f"src/domain/{n}.py": "domain.py",
            f"src/application/{n}.py": "application.py",
            f"src/infrastructure/db/{n}.py": "infrastructure.py",
            f"src/web/blueprints/{n}.py": "blueprint.py",
            f"src/web/templates/{n}/index.html": "page.html",
            f"migrations/versions/{revision}_{n}.py": "migration.py",
            f"tests/unit/domain/test_{n}.py": "test_domain.py",
            f"tests/unit/application/test_{n}.py": "test_application.py",
            f"tests/integration/test_{n}_repository.py": "test_repository.py",
            f"tests/web/test_{n}.py": "test_web.py",
        }


@click.group()
def new() -> None:
    """Scaffolds for extending Gatehouse (see docs/extending.md)."""


@new.command("feature")
@click.argument("name")
def feature(name: str) -> None:
    """Write the modules, tests and migration of a new bounded context NAME (lower case,
    words joined by '_'), wired into web/bootstrap.py and the import contracts.

    Run it in the project's folder."""
    root = Path.cwd()
    written = scaffold(root, name)
    click.echo(f"Wrote the {name!r} context:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(
        f"Its page is at /{Feature(name).path}/. Next: `make test`, then docs/extending.md "
        "from step 1."
    )


def scaffold(root: Path, name: str) -> list[str]:
    """Write the context's files under ``root`` and wire it in; the files written and
    changed, relative to ``root``.

    Raises: click.ClickException (not a project folder, a bad or taken name)
    """
    _check_project(root)
    _check_name(root, name)
    feature = Feature(name)
    revision, down_revision = _revisions(root)
    values = {
        "name": name,
        "Camel": feature.camel,
        "title": feature.title,
        "path": feature.path,
        "revision": revision,
        "down_revision": down_revision,
        "date": datetime.now(UTC).date().isoformat(),
    }
    written = []
    for relative, template in feature.files(revision).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(template, values), "utf-8")
        written.append(relative)
    changed = [
        _add_table(root, values),
        _add_blueprint(root, name),
        _add_context(root, name),
    ]
    _format(root, [*written, *changed])
    return [*written, *changed]


def _check_project(root: Path) -> None:
    if not (root / "src/web/bootstrap.py").is_file() or not (root / "migrations/versions").is_dir():
        raise click.ClickException(
            "Run this in the project's folder (the one with src/ and migrations/)."
        )


def _check_name(root: Path, name: str) -> None:
    if not NAME.fullmatch(name) or len(name) > NAME_MAX or keyword.iskeyword(name):
        raise click.ClickException(
            f"{name!r} is no feature name: use lower-case letters and digits, words joined "
            f"by '_', at most {NAME_MAX} characters, starting with a letter (loyalty_points)."
        )
    taken = [
        f"{folder}/{name}"
        for folder in MODULE_DIRS
        if (root / folder / f"{name}.py").exists() or (root / folder / name).is_dir()
    ]
    tables = (root / "src/infrastructure/db/tables.py").read_text("utf-8")
    if taken or name in RESERVED or re.search(rf"^{name} = ", tables, re.MULTILINE):
        where = f" ({taken[0]}.py exists)" if taken else ""
        raise click.ClickException(f"The name {name!r} is taken{where}: choose another.")


def _revisions(root: Path) -> tuple[str, str]:
    """The next revision's number and the newest's, from the migration files' names."""
    numbers = [
        int(found.group(1))
        for path in (root / "migrations/versions").glob("*.py")
        if (found := re.match(r"(\d{4})_", path.name))
    ]
    newest = max(numbers, default=0)
    return f"{newest + 1:04d}", f"{newest:04d}"


def _render(template: str, values: dict[str, str]) -> str:
    text = resources.files("web.scaffold").joinpath(f"{template}.tmpl").read_text("utf-8")
    return Template(text).substitute(values)


def _add_table(root: Path, values: dict[str, str]) -> str:
    relative = "src/infrastructure/db/tables.py"
    path = root / relative
    path.write_text(path.read_text("utf-8") + _render("table.py", values), "utf-8")
    return relative


def _add_blueprint(root: Path, name: str) -> str:
    """Import the blueprint module in web/bootstrap.py and list it in
    ``feature_blueprints``."""
    relative = "src/web/bootstrap.py"
    path = root / relative
    text = path.read_text("utf-8")
    imported = re.search(r"^from web\.blueprints import (\([^)]*\)|[^\n]+)$", text, re.MULTILINE)
    listed = re.search(r"(def feature_blueprints\(\).*?\n    return )\(([^)]*)\)", text, re.DOTALL)
    if imported is None or listed is None:
        raise click.ClickException(f"Cannot find feature_blueprints() in {relative}.")
    modules = sorted({*re.findall(r"\w+", imported.group(1)), name})
    blueprints = [*re.findall(r"(\w+)\.blueprint", listed.group(2)), name]
    tuple_text = _tuple(f"{each}.blueprint" for each in blueprints)
    text = text[: listed.start(2) - 1] + tuple_text + text[listed.end(2) + 1 :]
    text = text.replace(imported.group(0), f"from web.blueprints import {', '.join(modules)}")
    path.write_text(text, "utf-8")
    return relative


def _add_context(root: Path, name: str) -> str:
    """Name the context in the architecture test, which then checks its modules."""
    relative = "tests/test_architecture.py"
    path = root / relative
    text = path.read_text("utf-8")
    found = re.search(r"^CONTEXTS = \(([^)]*)\)", text, re.MULTILINE)
    if found is None:
        raise click.ClickException(f"Cannot find CONTEXTS in {relative}.")
    names = [*re.findall(r'"(\w+)"', found.group(1)), name]
    listed = "CONTEXTS = " + _tuple(f'"{each}"' for each in names)
    path.write_text(text[: found.start()] + listed + text[found.end() :], "utf-8")
    return relative


def _tuple(items: Iterable[str]) -> str:
    """A tuple's source, with no trailing comma to hold it open over several lines."""
    listed = list(items)
    return f"({listed[0]},)" if len(listed) == 1 else f"({', '.join(listed)})"


def _format(root: Path, relative: list[str]) -> None:
    """Let ruff wrap what the edits made long, where it is installed (a dev install)."""
    python = [path for path in relative if path.endswith(".py")]
    subprocess.run(  # noqa: S603 (our own interpreter, our own file list)
        [sys.executable, "-m", "ruff", "format", "--quiet", *python],
        cwd=root,
        check=False,
        capture_output=True,
    )
