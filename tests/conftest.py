"""Fixtures every module's tests share: municipalities, users per role, and CI's no-skip rule."""

import os

import pytest

from sportel.accounts.roles import Role


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: nothing may pass by not running."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Albanian, the default. A test-client request to /en/... leaves English
    active in the thread (LocaleMiddleware activates a language and never deactivates it)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs ~1 s per login in tests; test passwords need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shkoder(db):
    from sportel.core.models import Municipality
    from sportel.core.tenancy import load_municipalities

    load_municipalities({"shkoder", "lezhe"})
    return Municipality.objects.get(slug="shkoder")


@pytest.fixture
def lezhe(shkoder):
    from sportel.core.models import Municipality

    return Municipality.objects.get(slug="lezhe")


@pytest.fixture
def make_staff(db):
    """make_staff(municipality, role) → a confirmed user holding that role, with a TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sportel.accounts.models import StaffRole, User

    counter = iter(range(1, 10_000))

    def make(municipality, role: Role | str, *, login: str | None = None):
        n = next(counter)
        user = User.objects.create_user(
            login or f"{role}{n}.{municipality.slug}@test.sportel.al",
            password="a-long-test-password",
            full_name=f"Test {role} {n}",
            confirmed_at="2026-01-01T00:00:00Z",
        )
        StaffRole.objects.create(user=user, municipality=municipality, role=str(role))
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


@pytest.fixture
def verified_client(client):
    """verified_client(user) → a test client logged in as user with the second factor passed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(user):
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user).first()
        if device is not None:
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return client

    return login


@pytest.fixture(scope="session")
def seal_key_template(tmp_path_factory):
    """Development CA, seals of Shkodër and Lezhë and the log key, generated once per session
    (EC keys and PBKDF2-encrypted PKCS#12 files cost ~0.1 s a test when made per test); each
    test gets its own copy through ``seal_keys``, so a test that rotates or deletes one changes
    nothing for the others."""
    from django.test import override_settings

    from sportel.documents import keys

    data = tmp_path_factory.mktemp("seal-keys")
    with override_settings(DATA_DIR=data):
        keys.init_development_seal("shkoder", "Shkodër")
        keys.init_development_seal("lezhe", "Lezhë")
    return data / "keys"


@pytest.fixture
def seal_keys(settings, tmp_path, seal_key_template, shkoder, lezhe):
    """A per-test copy of the session's development keys under a fresh SPORTEL_DATA_DIR/keys."""
    import shutil

    from sportel.documents import sealing

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    shutil.copytree(seal_key_template, tmp_path / "keys")
    yield tmp_path / "keys"
    sealing.forget_signers()
