"""The guides for engineers stay true: every file and symbol docs/architecture.md and
docs/extending.md name exists, and every code block quoted from a file is in it, line
for line and in order."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("docs/architecture.md", "docs/extending.md")
CODE = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
PATH = re.compile(r"(?:src|tests|migrations|docs|bench)/[\w./*-]*")
SYMBOL = re.compile(r"(?:domain|application|infrastructure|web)(?:\.\w+)+")
QUOTED_FROM = re.compile(r"#\s*((?:src|tests|migrations)/\S+)$")
ELISION = "..."


def prose(text: str) -> str:
    """The text outside fenced blocks (a diagram's or a quote's words are not names)."""
    return FENCE.sub("", text)


def named(doc: str, pattern: re.Pattern[str]) -> list[str]:
    text = prose((ROOT / doc).read_text("utf-8"))
    return sorted({span for span in CODE.findall(text) if pattern.fullmatch(span)})


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or an attribute path inside the longest module
    prefix of it (``web.bootstrap.feature_blueprints``, ``domain.users.User.register``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def quotes(doc: str) -> list[tuple[str, list[str]]]:
    """(file, lines) of each fenced block whose first line names the file it quotes."""
    found = []
    for _, body in FENCE.findall((ROOT / doc).read_text("utf-8")):
        first, _, rest = body.partition("\n")
        if match := QUOTED_FROM.fullmatch(first.strip()):
            found.append((match.group(1), rest.splitlines()))
    return found


def in_order(lines: list[str], source: list[str]) -> str | None:
    """The first quoted line not found in ``source`` after the one before it."""
    at = 0
    for line in lines:
        if not line.strip() or line.strip() == ELISION:
            continue
        try:
            at = source.index(line, at) + 1
        except ValueError:
            return line
    return None


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_a_guide_names_exists(doc: str) -> None:
    paths = named(doc, PATH)
    assert paths, f"{doc} names no file"
    missing = [path for path in paths if not list(ROOT.glob(path.rstrip("/")))]
    assert not missing, f"{doc} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_symbol_a_guide_names_exists(doc: str) -> None:
    symbols = named(doc, SYMBOL)
    assert symbols, f"{doc} names no symbol"
    missing = [symbol for symbol in symbols if not resolves(symbol)]
    assert not missing, f"{doc} names symbols that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_quoted_block_is_in_the_file_it_quotes(doc: str) -> None:
    for path, lines in quotes(doc):
        source = (ROOT / path).read_text("utf-8").splitlines()
        assert in_order(lines, source) is None, f"{doc}: not in {path}: {in_order(lines, source)!r}"


def test_the_extension_guide_quotes_every_layer_of_its_example() -> None:
    quoted = {path for path, _ in quotes("docs/extending.md")}
    for layer in (
        "src/domain/invitations.py",
        "src/application/invitations.py",
        "src/infrastructure/db/invitations.py",
        "src/web/blueprints/invitations.py",
        "migrations/versions/0012_invitations.py",
    ):
        assert layer in quoted, layer


def test_the_checks_find_what_is_planted() -> None:
    assert resolves("web.bootstrap.feature_blueprints")
    assert resolves("domain.users.User.register")
    assert not resolves("domain.users.User.teleport")
    assert not resolves("domain.nothing_here")
    source = ["def a():", "    return 1", "def b():"]
    assert in_order(["def a():", "...", "def b():"], source) is None
    assert in_order(["def b():", "def a():"], source) == "def a():"
    assert in_order(["    return 2"], source) == "    return 2"


def test_the_readme_links_both_guides() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for doc in DOCS:
        assert f"]({doc})" in readme, doc
