"""Application unit-test fixtures: fresh in-memory fakes per test and a quick sign-up."""

from __future__ import annotations

import pytest

from application.results import UserDetail
from application.services import Services
from tests.fakes import FakeClock, FakePasswordHasher, FakeState, RecordingBus, fake_services
from tests.unit.application.helpers import PASSWORD, SignUp, admin_creation, registration
from tests.unit.application.two_factor_support import Account, two_factor_account


@pytest.fixture
def world() -> tuple[Services, FakeState, RecordingBus]:
    return fake_services()


@pytest.fixture
def services(world: tuple[Services, FakeState, RecordingBus]) -> Services:
    return world[0]


@pytest.fixture
def state(world: tuple[Services, FakeState, RecordingBus]) -> FakeState:
    """What the fake database holds after each commit."""
    return world[1]


@pytest.fixture
def bus(world: tuple[Services, FakeState, RecordingBus]) -> RecordingBus:
    """The services' bus, remembering every event published (overrides the plain one)."""
    return world[2]


@pytest.fixture
def hasher(services: Services) -> FakePasswordHasher:
    assert isinstance(services.hasher, FakePasswordHasher)
    return services.hasher


@pytest.fixture
def clock(services: Services) -> FakeClock:
    assert isinstance(services.clock, FakeClock)
    return services.clock


@pytest.fixture
def sign_up(services: Services) -> SignUp:
    """Register an account through the services: ``await sign_up("bob")``."""

    async def sign_up(
        username: str = "alice", email: str | None = None, password: str = PASSWORD
    ) -> UserDetail:
        return await services.register(registration(username, email, password))

    return sign_up


@pytest.fixture
def make_admin(services: Services) -> SignUp:
    """Create an active administrator through the services: ``await make_admin("root")``."""

    async def make_admin(username: str = "root") -> UserDetail:
        return await services.create_user(admin_creation(username))

    return make_admin


@pytest.fixture
async def account(services: Services, clock: FakeClock, sign_up: SignUp) -> Account:
    """``alice``, with two-factor on."""
    return await two_factor_account(services, clock, sign_up)
