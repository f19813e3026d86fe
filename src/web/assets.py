"""Static files: built by servestatic into content-hashed, compressed copies with a
manifest."""

from __future__ import annotations

import json
from pathlib import Path

import servestatic.cli

SOURCE = Path(__file__).with_name("static")
MANIFEST = "staticfiles.json"
BUILD_COMMAND = "gatehouse assets"


class AssetsError(Exception):
    """The static files are missing or cannot be built; the message says what to do."""


def build(target: Path, source: Path = SOURCE) -> dict[str, str]:
    """Write into ``target`` each file of ``source`` under its own name and under a
    content-hashed one, their .gz and .br versions and the manifest, replacing an earlier
    build there; returns the manifest (name → hashed name)."""
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise AssetsError(f"{target} holds files but no earlier build: refusing to empty it")
    # servestatic's build assumes an empty folder (it would hash its own earlier output),
    # hence --clear. No zstd: it needs Python 3.14, and gzip and brotli cover browsers.
    servestatic.cli.main(
        ["--all", "--copy-original", "--clear", "--no-zstd", str(source), str(target)]
    )
    return manifest(target)


def manifest(root: Path) -> dict[str, str]:
    """The built names: ``css/style.css`` → ``css/style.<hash>.css``."""
    try:
        paths: dict[str, str] = json.loads((root / MANIFEST).read_text("utf-8"))["paths"]
    except FileNotFoundError:
        raise AssetsError(
            f"The static files are not built in {root}: run `{BUILD_COMMAND}` "
            "(make run and make test do it for you)"
        ) from None
    return paths
