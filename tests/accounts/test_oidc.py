"""Log in with the national eID, end to end, against a real OpenID Connect provider.

The provider (tests/oidc_provider/: django-oauth-toolkit in OIDC mode, an RS256 key generated
here) runs in a subprocess on a free loopback port; Sportel runs as pytest-django's live server.
A requests session plays the citizen's browser through the whole redirect flow: Sportel →
provider authorize → provider login → back to Sportel's callback, which exchanges the code
(PKCE), checks the ID token's signature against the provider's JWKS and reads the userinfo.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import override_settings

from sportel.accounts.models import User
from sportel.core.identifiers import with_check_letter
from sportel.core.models import AuditEntry

from .factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = {
    "username": "vera.shiroka",
    "password": "eid-test-password",
    "email": "Vera.Shiroka@example.al",
    "name": "Vera Shiroka",
    "nid": with_check_letter("I05101999"),
}
CLIENT = {"client_id": "sportel-test", "client_secret": "sportel-test-secret-" + "s" * 30}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def eid_provider(live_server, tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PYTHONPATH": str(ROOT),
        "OIDC_PROVIDER_DB": str(tmp_path_factory.mktemp("eid") / "provider.sqlite3"),
        "OIDC_PROVIDER_RSA_KEY": pem,
        "OIDC_PROVIDER_CITIZEN": json.dumps(CITIZEN),
        "OIDC_PROVIDER_CLIENT": json.dumps(
            {**CLIENT, "redirect_uri": f"{live_server.url}/oidc/callback/"}
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"the OIDC provider did not start:\n{process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("the OIDC provider did not listen within 60 s")
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def eid_enabled(eid_provider):
    with override_settings(
        AUTHENTICATION_BACKENDS=[
            *settings.AUTHENTICATION_BACKENDS,
            "sportel.accounts.oidc.EIDBackend",
        ],
        OIDC_RP_CLIENT_ID=CLIENT["client_id"],
        OIDC_RP_CLIENT_SECRET=CLIENT["client_secret"],
        OIDC_RP_SIGN_ALGO="RS256",
        OIDC_RP_SCOPES="openid profile email",
        OIDC_OP_AUTHORIZATION_ENDPOINT=f"{eid_provider}/o/authorize/",
        OIDC_OP_TOKEN_ENDPOINT=f"{eid_provider}/o/token/",
        OIDC_OP_USER_ENDPOINT=f"{eid_provider}/o/userinfo/",
        OIDC_OP_JWKS_ENDPOINT=f"{eid_provider}/o/.well-known/jwks.json",
        OIDC_NID_CLAIM="nid",
        OIDC_USE_PKCE=True,
    ):
        yield eid_provider


def log_in_with_eid(live_server, provider: str) -> requests.Response:
    browser = requests.Session()
    login_page = browser.get(f"{live_server.url}/en/account/login/", timeout=10)
    assert "Log in with e-Albania / national eID" in login_page.text
    start = re.search(r'href="([^"]*/oidc/authenticate/[^"]*)"', login_page.text).group(1)
    page = browser.get(live_server.url + start, timeout=10)
    # Sportel sent the browser to the provider, which asks the citizen to log in.
    assert page.url.startswith(f"{provider}/login/"), page.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    return browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": csrf,
            "username": CITIZEN["username"],
            "password": CITIZEN["password"],
            "next": next_url.replace("&amp;", "&"),
        },
        timeout=30,
    )


def test_citizen_logs_in_with_the_national_eid_and_their_nid_is_verified(
    transactional_db, live_server, eid_enabled
):
    landing = log_in_with_eid(live_server, eid_enabled)
    # Back on Sportel, logged in, on the account page, still in English (issue 8).
    assert landing.url == f"{live_server.url}/en/account/", landing.url
    assert "Vera Shiroka" in landing.text
    user = User.objects.get(email="vera.shiroka@example.al")
    assert user.username == "vera.shiroka@example.al"
    assert user.nid == CITIZEN["nid"] and user.nid_verified
    assert user.confirmed_at is not None
    assert AuditEntry.objects.filter(
        action="account.sign_up", subject_user=user, data__channel="eid"
    ).exists()


def test_eid_login_reuses_the_account_with_the_same_email(
    transactional_db, live_server, eid_enabled
):
    existing = UserFactory(
        username="vera.shiroka@example.al", full_name="Vera S.", confirmed_at=None
    )
    landing = log_in_with_eid(live_server, eid_enabled)
    assert landing.url == f"{live_server.url}/en/account/"
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.nid == CITIZEN["nid"] and existing.nid_verified
    assert existing.nid_verified_via == "eid"
    assert existing.confirmed_at is not None  # the eID identified the person
    assert existing.full_name == "Vera S."  # what the citizen wrote is kept
    # Whoever opened the unconfirmed account chose its password: it no longer logs in.
    assert not existing.has_usable_password()


def test_eid_never_reuses_an_account_proven_to_be_someone_else(
    transactional_db, live_server, eid_enabled
):
    other = UserFactory(
        username="vera.shiroka@example.al",
        confirmed_at="2026-01-01T00:00:00Z",
        nid="J00101001A",
        nid_verified=True,
        nid_verified_via="counter",
    )
    log_in_with_eid(live_server, eid_enabled)
    other.refresh_from_db()
    assert other.nid == "J00101001A"
    assert User.objects.filter(nid=CITIZEN["nid"], nid_verified=True).exclude(pk=other.pk).exists()


def test_login_page_has_no_eid_button_when_it_is_not_configured(client):
    assert "national eID" not in client.get("/en/account/login/").content.decode()


def test_a_hung_eid_provider_fails_the_login_within_the_timeout(rf, db):
    """Every call to the provider is bounded (issue 8 §2): the token endpoint accepts the
    connection and never answers; the login fails after OIDC_TIMEOUT, no server error, no hang."""
    import threading

    from django.contrib.sessions.backends.db import SessionStore

    from sportel.accounts.oidc import EIDBackend

    assert 0 < settings.OIDC_TIMEOUT <= 30  # the default bounds every call
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # accepts (the kernel does), never reads or answers
    endpoint = f"http://127.0.0.1:{hung.getsockname()[1]}"
    outcome = {}
    request = rf.get("/oidc/callback/", {"code": "c", "state": "s"})
    request.session = SessionStore()

    def log_in():
        try:
            outcome["user"] = EIDBackend().authenticate(request, nonce="n", code_verifier="v")
        except Exception as exc:  # the assertion below names it
            outcome["error"] = exc

    with override_settings(
        OIDC_TIMEOUT=0.5,
        OIDC_RP_CLIENT_ID=CLIENT["client_id"],
        OIDC_RP_CLIENT_SECRET=CLIENT["client_secret"],
        OIDC_RP_SIGN_ALGO="RS256",
        OIDC_OP_TOKEN_ENDPOINT=f"{endpoint}/o/token/",
        OIDC_OP_USER_ENDPOINT=f"{endpoint}/o/userinfo/",
        OIDC_OP_JWKS_ENDPOINT=f"{endpoint}/o/jwks.json",
    ):
        started = time.monotonic()
        worker = threading.Thread(target=log_in, daemon=True)
        worker.start()
        worker.join(10)
    hung.close()
    assert not worker.is_alive(), "the login waited on the hung provider"
    assert time.monotonic() - started < 5
    assert outcome == {"user": None}
