"""Static files: built by servestatic into content-hashed, compressed copies with a
manifest, served in front of the app, and named in templates by their hashed URL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from wsgiref.headers import Headers

import servestatic.asgi
import servestatic.cli
from quart import Quart

from web.headers import YEAR

SOURCE = Path(__file__).with_name("static")
MANIFEST = "staticfiles.json"
PREFIX = "/static/"
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# Unhashed names (the originals are kept beside the hashed copies) are revalidated soon.
SHORT_MAX_AGE = 60
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
    # --quiet: the caller says in one line what was built, not a line for every copy.
    servestatic.cli.main(
        ["--all", "--copy-original", "--clear", "--no-zstd", "--quiet", str(source), str(target)]
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


def register_assets(app: Quart, root: Path, *, headers: Mapping[str, str]) -> None:
    """Serve the build in ``root`` under /static/ before a request reaches Quart (so no
    session lookup, rate limit or request log), with ``headers`` on every file, and let
    templates write ``static_url('css/style.css')``. Raises AssetsError when not built."""
    names = manifest(root)
    app.asgi_app = servestatic.asgi.ServeStaticASGI(  # type: ignore[method-assign]
        app.asgi_app,
        root=root,
        prefix=PREFIX,
        max_age=SHORT_MAX_AGE,
        allow_all_origins=False,
        add_headers_function=partial(_add_headers, headers),
    )
    app.jinja_env.globals["static_url"] = partial(static_url, names)


def static_url(names: Mapping[str, str], filename: str) -> str:
    """The hashed URL of ``filename``: it changes whenever the file does, so browsers
    may keep it for a year."""
    return PREFIX + names[filename]


def _add_headers(wanted: Mapping[str, str], headers: Headers, path: str, url: str) -> None:
    for name, value in wanted.items():
        headers[name] = value
    if "immutable" in headers.get("Cache-Control", ""):  # a hashed name: a year, not ten
        headers["Cache-Control"] = IMMUTABLE
