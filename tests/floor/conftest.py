import pytest

from sportel.accounts.roles import Role
from sportel.floor import services

from .factories import counter, make_office


@pytest.fixture
def office(shkoder):
    return make_office(shkoder)


@pytest.fixture
def lezhe_office(lezhe):
    return make_office(lezhe)


@pytest.fixture
def clerk(make_staff, shkoder):
    return make_staff(shkoder, Role.CLERK)


@pytest.fixture
def clerk2(make_staff, shkoder):
    return make_staff(shkoder, Role.CLERK, login="clerk2.shkoder@test.sportel.al")


@pytest.fixture
def at_counter(office, clerk, clerk2):
    """Clerk at counter 1 (queue A), clerk2 at counter 2 (queues A and B)."""
    services.open_session(counter(office, 1), actor=clerk)
    services.open_session(counter(office, 2), actor=clerk2)
    return office


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Open counters and service minutes are cached for seconds; ids repeat across tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
