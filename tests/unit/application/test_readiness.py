"""check_ready names each dependency that does not answer."""

from __future__ import annotations

import dataclasses

from application.services import Services
from domain import errors
from domain.ports import Dependency


class Answering(Dependency):
    async def check(self) -> None:
        return None


class Silent(Dependency):
    async def check(self) -> None:
        raise errors.ServiceUnavailable()


async def test_every_dependency_is_reported_by_name(services: Services) -> None:
    with_deps = dataclasses.replace(
        services, dependencies={"redis": Silent(), "search": Answering()}
    )
    assert await with_deps.check_ready() == {"database": True, "redis": False, "search": True}


async def test_with_no_extra_dependencies_only_the_database_is_checked(
    services: Services,
) -> None:
    assert await services.check_ready() == {"database": True}
