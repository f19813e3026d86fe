"""``gatehouse new feature NAME`` in a copy of the project: the new context's modules,
tests and migration are written and wired, and lint, types, the layer contract and
the context's own tests pass on the result at once; a bad or taken name changes nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GATEHOUSE = str(BIN / "gatehouse")
COPIED = ("src", "tests", "migrations", "bench", "pyproject.toml", "alembic.ini")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's sources, which the copy's own code is imported from."""
    copy = tmp_path_factory.mktemp("scaffold") / "project"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=SKIPPED)
        else:
            shutil.copy2(source, copy / name)
    return copy


def in_copy(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "GATEHOUSE_ENV": "test"}
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def tree_digest(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((project / "src").rglob("*")) + sorted((project / "tests").rglob("*.py")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def scaffolded(project: Path) -> subprocess.CompletedProcess[str]:
    return in_copy(project, GATEHOUSE, "new", "feature", "loyalty_points")


def test_the_scaffold_writes_each_layers_module_its_tests_and_a_migration(
    project: Path, scaffolded: subprocess.CompletedProcess[str]
) -> None:
    assert scaffolded.returncode == 0, scaffolded.stderr
    for relative in (
        "src/domain/loyalty_points.py",
        "src/application/loyalty_points.py",
        "src/infrastructure/db/loyalty_points.py",
        "src/web/blueprints/loyalty_points.py",
        "src/web/templates/loyalty_points/index.html",
        "migrations/versions/0013_loyalty_points.py",
        "tests/unit/domain/test_loyalty_points.py",
        "tests/unit/application/test_loyalty_points.py",
        "tests/integration/test_loyalty_points_repository.py",
        "tests/web/test_loyalty_points.py",
    ):
        assert (project / relative).is_file(), relative
        assert f"  {relative}" in scaffolded.stdout
    migration = (project / "migrations/versions/0013_loyalty_points.py").read_text()
    assert 'down_revision: str | None = "0012"' in migration and "def downgrade()" in migration
    bootstrap = (project / "src/web/bootstrap.py").read_text()
    assert "loyalty_points.blueprint" in bootstrap
    contract = (project / "tests/test_architecture.py").read_text()
    assert 'CONTEXTS = ("invitations", "loyalty_points")' in contract


def test_lint_and_types_pass_on_the_result(
    project: Path, scaffolded: subprocess.CompletedProcess[str]
) -> None:
    for command in (
        ("ruff", "check", "src", "tests", "migrations"),
        ("ruff", "format", "--check", "src", "tests", "migrations"),
        ("mypy", "src"),
    ):
        done = in_copy(project, str(BIN / command[0]), *command[1:])
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


def test_the_layer_tests_and_the_new_contexts_tests_pass_on_the_result(
    project: Path, scaffolded: subprocess.CompletedProcess[str]
) -> None:
    done = in_copy(
        project,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_architecture.py",
        "tests/unit/domain/test_loyalty_points.py",
        "tests/unit/application/test_loyalty_points.py",
        "tests/integration/test_loyalty_points_repository.py",
        "tests/integration/test_migrations.py",
        "tests/web/test_loyalty_points.py",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
    # The context's checks ran for the new one too (they are parametrised by CONTEXTS).
    listed = in_copy(
        project,
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "tests/test_architecture.py",
    )
    assert "test_a_context_imports_no_other_context[loyalty_points]" in listed.stdout


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("loyalty_points", "Error: The name 'loyalty_points' is taken"),
        ("users", "Error: The name 'users' is taken"),
        ("static", "Error: The name 'static' is taken"),
        ("Loyalty-Points", "Error: 'Loyalty-Points' is no feature name"),
        ("class", "Error: 'class' is no feature name"),
        ("a" * 31, "is no feature name"),
    ],
)
def test_a_bad_or_taken_name_is_one_line_and_changes_nothing(
    project: Path, scaffolded: subprocess.CompletedProcess[str], name: str, said: str
) -> None:
    before = tree_digest(project)
    done = in_copy(project, GATEHOUSE, "new", "feature", name)
    assert (done.returncode, done.stdout) == (1, "")
    assert said in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert tree_digest(project) == before


def test_outside_a_project_folder_it_says_where_to_run_it(tmp_path: Path) -> None:
    done = in_copy(tmp_path, GATEHOUSE, "new", "feature", "notes")
    assert done.returncode == 1
    assert "Run this in the project's folder" in done.stderr
    assert list(tmp_path.iterdir()) == []
