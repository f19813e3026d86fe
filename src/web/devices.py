"""A short, human name for the browser and system in a User-Agent header."""

from __future__ import annotations

# Order matters: Edge and Opera also claim Chrome, Chrome also claims Safari.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
PROGRAM_MAX = 40  # characters of a program's own name/version kept for the page


def describe(user_agent: str) -> str:
    """``Firefox on Linux``; a program by its first product (``python-requests/2.31.0``);
    ``Unknown device`` when nothing is recognised."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or program(user_agent) or "Unknown device"


def session_name(user_agent: str, *, api_token: bool) -> str:
    """What the sessions page calls a session: its device, or for an API token the
    client that asked for it (a program by name and version, a browser as above)."""
    if not api_token:
        return describe(user_agent)
    client = program(user_agent) or (describe(user_agent) if user_agent.strip() else None)
    return client or "Unknown client"


def program(user_agent: str) -> str | None:
    """The first product of a header that does not pretend to be a browser
    (``Go-http-client/1.1``), cut to ``PROGRAM_MAX`` characters."""
    words = user_agent.split()
    if not words or words[0].startswith("Mozilla/"):
        return None
    first = words[0]
    return first if len(first) <= PROGRAM_MAX else first[: PROGRAM_MAX - 1] + "…"
