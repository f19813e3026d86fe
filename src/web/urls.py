"""Redirect targets: only same-site relative paths are ever followed."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_TARGET = 2048


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None.

    Rejects absolute and scheme-relative URLs (``//evil``), backslash tricks that
    browsers read as ``//`` and anything with control characters or whitespace.
    """
    if not target or len(target) > MAX_TARGET or not target.startswith("/"):
        return None
    if target.startswith(("//", "/\\")) or "\\" in target:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
