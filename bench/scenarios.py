"""What the benchmark measures: each scenario is one or more wrk loads run together,
and each load (a "part") becomes one row of the results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bench import client, servers, wrk
from bench.config import BenchConfig
from bench.wrk import Load

SIGNED_IN = 303  # what a valid sign-in answers


@dataclass(frozen=True)
class Part:
    key: str  # the row: "sqlite/members", "asgi", ...
    label: str
    load: Load
    expected: int  # the status every answer should have
    path: str = "/"
    counted: int | None = None  # a status whose rate is reported (sign-ins: 303)

    def check(self) -> None:
        """Raise unless the page answers as expected right now: a lost session would
        turn the members page into cheap redirects, which wrk counts as fine."""
        if self.counted is not None:
            return
        base = self.load.url.removesuffix(self.path)
        answer = client.fetch(base, "GET", self.path, headers=self.load.headers)
        client.expect(answer, self.expected, f"{self.key}: GET {self.path}")


@dataclass(frozen=True)
class Scenario:
    key: str
    parts: tuple[Part, ...]

    def shortened(self, seconds: int) -> Scenario:
        """The same loads for ``seconds`` (a warm-up)."""
        parts = tuple(replace(p, load=replace(p.load, duration=seconds)) for p in self.parts)
        return Scenario(self.key, parts)


@dataclass(frozen=True)
class Access:
    """What the loads need to reach one Gatehouse server as a visitor, a member and a
    program, and the accounts that sign in."""

    url: str
    visitor_cookie: str
    member_cookie: str
    token: str
    password: str
    logins: tuple[str, ...]


def page(
    key: str,
    label: str,
    url: str,
    path: str,
    config: BenchConfig,
    *,
    headers: Mapping[str, str] | None = None,
    expected: int = 200,
) -> Part:
    load = Load(
        url=url + path,
        duration=config.duration,
        connections=config.connections,
        threads=config.threads,
        timeout=config.timeout,
        headers=dict(headers or {}),
    )
    return Part(key, label, load, expected, path)


def sign_ins(key: str, label: str, access: Access, config: BenchConfig) -> Part:
    load = Load(
        url=access.url + "/",
        duration=config.duration,
        connections=config.sign_in_connections,
        threads=config.threads,
        timeout=config.timeout,
        script=wrk.SIGN_IN_SCRIPT,
        args=(access.password, *access.logins),
    )
    return Part(key, label, load, SIGNED_IN, "/", counted=SIGNED_IN)


def single(part: Part) -> Scenario:
    return Scenario(part.key, (part,))


def baselines(asgi_url: str, quart_url: str, config: BenchConfig) -> list[Scenario]:
    return [
        single(page("asgi", "bare ASGI hello", asgi_url, "/", config)),
        single(page("quart", "bare Quart hello", quart_url, "/", config)),
    ]


def gatehouse(db: str, access: Access, config: BenchConfig) -> list[Scenario]:
    """The scenarios at the base number of users: the pages, the sign-ins alone and the
    sign-in storm (the members page under sign-ins)."""
    found = pages(db, access, config)
    members = next(s.parts[0] for s in found if s.key == f"{db}/members")
    storm = Scenario(
        f"{db}/storm",
        (
            replace(members, key=f"{db}/storm-members", label="members during sign-in storm"),
            sign_ins(f"{db}/storm-sign-in", "sign-ins during the storm", access, config),
        ),
    )
    return [
        *found,
        single(sign_ins(f"{db}/sign-in", "valid sign-ins POST /", access, config)),
        storm,
    ]


def pages(db: str, access: Access, config: BenchConfig) -> list[Scenario]:
    """Home, members, 404 and the API read, each loaded alone."""
    url = access.url
    visitor = {"Cookie": access.visitor_cookie}
    member = {"Cookie": access.member_cookie}
    bearer = {"Authorization": f"Bearer {access.token}"}
    members = page(
        f"{db}/members", "signed-in members /users/", url, "/users/", config, headers=member
    )
    return [
        single(page(f"{db}/home", "signed-out home /", url, "/", config, headers=visitor)),
        single(members),
        single(
            page(
                f"{db}/not-found",
                "404 page",
                url,
                "/no-such-page",
                config,
                headers=visitor,
                expected=404,
            )
        ),
        single(
            page(
                f"{db}/api-me",
                "API GET /api/v1/users/me",
                url,
                "/api/v1/users/me",
                config,
                headers=bearer,
            )
        ),
    ]


def last_page(users: int) -> int:
    return -(-users // servers.MEMBERS_PER_PAGE)


def at_scale(db: str, access: Access, users: int, config: BenchConfig) -> list[Scenario]:
    """The first members page against the last one, with ``users`` members."""
    member = {"Cookie": access.member_cookie}
    many = f"{users:,}".replace(",", " ")
    deepest = last_page(users)
    return [
        single(
            page(
                f"{db}/scale-first",
                f"members page 1 at {many} users",
                access.url,
                "/users/?page=1",
                config,
                headers=member,
            )
        ),
        single(
            page(
                f"{db}/scale-deep",
                f"members page {deepest} at {many} users",
                access.url,
                f"/users/?page={deepest}",
                config,
                headers=member,
            )
        ),
    ]
