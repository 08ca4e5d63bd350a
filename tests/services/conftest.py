"""Services fixtures: the real catalogue in Shkodër and Lezhë, staff, citizens, seal keys."""

import pytest

from .factories import CitizenFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test accounts need a password, not a slow one: PBKDF2's cost is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalogue(shkoder, lezhe, seal_keys):
    """The shipped catalogue loaded into Shkodër."""
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    return shkoder


@pytest.fixture
def lezhe_catalogue(catalogue, lezhe):
    """The shipped catalogue loaded into Lezhë too."""
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(lezhe)
    return lezhe


@pytest.fixture
def citizen(catalogue):
    return CitizenFactory()


@pytest.fixture
def citizen_en(catalogue):
    return CitizenFactory(language="en")


@pytest.fixture
def specialist(make_staff, shkoder):
    return make_staff(shkoder, "specialist")


@pytest.fixture
def clerk(make_staff, shkoder):
    return make_staff(shkoder, "clerk")


@pytest.fixture
def manager(make_staff, shkoder):
    return make_staff(shkoder, "manager")


@pytest.fixture
def lezhe_specialist(make_staff, lezhe):
    return make_staff(lezhe, "specialist")


@pytest.fixture
def lezhe_clerk(make_staff, lezhe):
    return make_staff(lezhe, "clerk")
