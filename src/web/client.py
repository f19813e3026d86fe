"""Who is on the other end of the request: address and browser, as far as we can trust them."""

from __future__ import annotations

import ipaddress

from quart import request

from application.commands import Client
from domain.sessions import USER_AGENT_MAX


def client_ip() -> str | None:
    """The peer's address. Behind trusted proxies (TRUSTED_PROXY_HOPS) hypercorn's
    ProxyFixMiddleware has already put the forwarded address here; X-Forwarded-For
    itself is never read, so it cannot be spoofed."""
    raw = request.remote_addr
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(raw.strip("[]")))
    except ValueError:
        return None


def client() -> Client:
    agent = request.headers.get("User-Agent", "")[:USER_AGENT_MAX]
    return Client(ip=client_ip(), user_agent=agent)
