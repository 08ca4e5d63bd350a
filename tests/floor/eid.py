"""The test eID provider for the kiosk's eID sign-in (a real OpenID Connect server,
tests/oidc_provider/), and a requests session that plays a kiosk's browser through it."""

import re
import sqlite3

import pytest
import requests
from django.test import override_settings

from sportel.core.identifiers import with_check_letter
from tests.oidc_provider.process import Provider

CITIZEN = {
    "username": "drita.kioska",
    "password": "eid-test-password",
    "email": "drita.kioska@example.al",
    "name": "Drita Kioska",
    "nid": with_check_letter("J05101988"),
}
CLIENT = {"client_id": "sportel-kiosk-test", "client_secret": "sportel-kiosk-secret-" + "k" * 30}


@pytest.fixture(scope="module", name="eid_provider")
def eid_provider_fixture(live_server, tmp_path_factory):
    provider = Provider(
        tmp_path_factory.mktemp("kiosk-eid"),
        citizen=CITIZEN,
        client={
            **CLIENT,
            "redirect_uri": f"{live_server.url}/oidc/callback/ {live_server.url}/oidc/kiosk/callback/",
            "post_logout_redirect_uri": f"{live_server.url}/oidc/kiosk/logged-out/",
        },
    )
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(name="eid")
def eid_fixture(eid_provider):
    """The provider running in its strict mode, and Sportel configured for it."""
    eid_provider.set_mode("strict")
    if eid_provider.process is None:
        eid_provider.start()
    with override_settings(**eid_provider.settings(CLIENT)):
        yield eid_provider
    eid_provider.set_mode("strict")


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1).replace("&amp;", "&")


def provider_log_in(browser: requests.Session, login_page: requests.Response) -> requests.Response:
    """Type the citizen's credentials into the provider's login form; the answer is the
    provider's redirect (not followed)."""
    return browser.post(
        login_page.url,
        data={
            "csrfmiddlewaretoken": field(login_page.text, "csrfmiddlewaretoken"),
            "username": CITIZEN["username"],
            "password": CITIZEN["password"],
            "next": field(login_page.text, "next"),
        },
        allow_redirects=False,
        timeout=30,
    )


def start_at_kiosk(browser, page_url: str, *, then: str = "") -> str:
    """Press "Continue to the eID" on the kiosk's eID page: the provider's authorization URL."""
    page = browser.get(page_url, timeout=10)
    assert page.status_code == 200, page.status_code
    data = {"csrfmiddlewaretoken": field(page.text, "csrfmiddlewaretoken")}
    if then:
        data["next"] = then
    answer = browser.post(page_url, data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.status_code
    return answer.headers["Location"]


def callback_after_login(browser, provider: Provider, authorize: str) -> str:
    """Go to the provider, which must ask for the login; log in; return the callback URL the
    provider sends the browser back to (not yet followed)."""
    page = browser.get(authorize, timeout=10)
    assert page.url.startswith(f"{provider.url}/login/"), page.url
    answer = provider_log_in(browser, page)
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    while not location.startswith("http") or location.startswith(provider.url):
        if not location.startswith("http"):
            location = provider.url + location
        answer = browser.get(location, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        location = answer.headers["Location"]
    return location


def set_back_provider_login(provider: Provider, seconds: int) -> None:
    """Make the citizen's last login at the provider ``seconds`` older (its auth_time)."""
    with sqlite3.connect(provider.db) as db:
        db.execute(
            "UPDATE auth_user SET last_login = datetime(last_login, ?) WHERE username = ?",
            (f"-{seconds} seconds", CITIZEN["username"]),
        )


def signed_in_at_provider(browser, provider: Provider, sportel_url: str) -> bool:
    """Does the provider still know this browser's user? An authorization request without
    prompt: a signed-in user goes straight back to the client, anyone else sees the login."""
    answer = browser.get(
        f"{provider.url}/o/authorize/",
        params={
            "response_type": "code",
            "client_id": CLIENT["client_id"],
            "scope": "openid",
            "redirect_uri": f"{sportel_url}/oidc/kiosk/callback/",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "state": "probe",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.status_code
    location = answer.headers["Location"]
    if "/login/" in location:
        return False
    assert "code=" in location, location
    return True


def follow_leaving(browser, page: requests.Response) -> requests.Response:
    """The kiosk's "logging you out" page moves on by a meta refresh (no script); follow it as
    a browser does, through the provider's logout and back to the kiosk."""
    import html

    found = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', page.text)
    assert found, "not the logging-out page"
    return browser.get(html.unescape(found.group(1)), timeout=30)
