"""Signing in with the national eID at a managed kiosk, in a real browser against the real test
provider (tests/oidc_provider/), axe-core on every Sportel page:

- Albanian at 1280 px: a resident chooses "pay with eID", the provider asks for the login even
  though someone had signed in there before, the resident sees their bills, finishes; the
  provider's session is gone and the next person finds no one signed in;
- English at 320 px: a resident signs in with the eID to print their certificates and walks
  away; the idle timer brings the kiosk back to its start screen, which ends the session at
  Sportel and at the provider.

Screenshots go to ``$SPORTEL_DOC_SCREENSHOTS`` when it is set (docs/screenshots/ for the guide).
"""

import os

import pytest

from sportel.accounts.models import User
from sportel.accounts.roles import Role
from sportel.floor import services as floor
from sportel.floor.models import Device, KioskEidSession
from tests.floor.eid import (
    CITIZEN,
    CLIENT,
    eid_fixture,  # noqa: F401  (the fixture "eid")
    eid_provider_fixture,  # noqa: F401  (the fixture "eid_provider")
)
from tests.floor.factories import make_office

SHOTS = os.environ.get("SPORTEL_DOC_SCREENSHOTS")
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}


def shot(page, name: str, tmp_path) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def eid_kiosk(transactional_db, shkoder, make_staff):
    from django.core.cache import cache

    from tests.floor.test_kiosk_pay import owner_with_bill

    cache.clear()
    office = make_office(shkoder)
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    _device, token = floor.register_device(
        office,
        kind="kiosk",
        name="Kioska",
        actor=admin,
        functions=["ticket", "apply", "pay", "eid"],
    )
    resident = User.objects.create_user(
        "drita@test.sportel.al",
        "x-long-password-1",
        full_name="Drita Kioska",
        confirmed_at="2026-01-01T00:00:00Z",
        nid=CITIZEN["nid"],
        nid_verified=True,
        nid_verified_via="counter",
    )
    return {"token": token, "bill": owner_with_bill(shkoder, resident), "resident": resident}


def kiosk_page(browser, live_server, viewport, *, locale):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
    context.set_default_timeout(15_000)
    return context.new_page()


def provider_login(page, provider) -> None:
    """The provider's own login form (not Sportel's page: no axe here)."""
    page.wait_for_url(f"{provider.url}/login/**")
    page.locator("#id_username").fill(CITIZEN["username"])
    page.locator("#id_password").fill(CITIZEN["password"])
    page.get_by_role("button", name="Hyr").click()


def provider_knows_someone(page, provider, live_server) -> bool:
    """An authorization request without prompt in this browser: does the provider still have a
    user signed in (it answers straight to Sportel) or does it show its login form?"""
    answer = page.request.get(
        f"{provider.url}/o/authorize/?response_type=code&client_id={CLIENT['client_id']}"
        f"&scope=openid&redirect_uri={live_server.url}/oidc/kiosk/callback/"
        f"&code_challenge={'x' * 43}&code_challenge_method=S256&state=probe",
        max_redirects=0,
    )
    assert answer.status == 302, answer.status
    return "/login/" not in answer.headers["location"]


def test_a_resident_pays_with_the_eid_at_the_kiosk_in_albanian_and_the_next_person_finds_nothing(
    browser, live_server, accessible, eid, eid_kiosk, tmp_path
):
    token = eid_kiosk["token"]
    start = f"/shkoder/floor/kiosk/{token}/"
    kiosk = kiosk_page(browser, live_server, WIDE, locale="sq-AL")
    # Someone signed in at the provider in this browser before (its own site, say).
    kiosk.goto(f"{eid.url}/login/")
    provider_login(kiosk, eid)
    assert provider_knows_someone(kiosk, eid, live_server)

    kiosk.goto(start)
    accessible(kiosk)
    kiosk.locator("#pay-taxes-eid").click()
    kiosk.wait_for_url(f"**{start}sign-in/eid/?next=pay")
    assert kiosk.locator("h1").inner_text() == "Hyr me eID"
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-sq", tmp_path)
    kiosk.locator("#eid-continue").click()
    # prompt=login: the provider asks again, whoever was signed in there.
    provider_login(kiosk, eid)
    kiosk.wait_for_url(f"**{start}pay/")
    assert "Paguani taksat dhe tarifat tuaja" in kiosk.locator("h1").inner_text()
    reference = eid_kiosk["bill"].reference.replace(" ", "")
    assert reference[:8] in kiosk.locator("#kiosk-bills").inner_text().replace(" ", "")
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-bills-sq", tmp_path)
    assert KioskEidSession.objects.get().level == "high"

    kiosk.locator("#finish").click()
    kiosk.wait_for_url(f"**{start}")
    assert kiosk.url == f"{live_server.url}{start}"
    assert "Mirë se vini" in kiosk.locator("h1").inner_text()
    accessible(kiosk)
    assert not provider_knows_someone(kiosk, eid, live_server)

    # The next person: paying asks who they are; nothing of the previous resident is shown.
    kiosk.locator("#pay-taxes").click()
    kiosk.wait_for_url(f"**{start}sign-in/?next=pay")
    assert kiosk.locator("#kiosk-bills").count() == 0
    assert "Drita" not in kiosk.content()
    kiosk.goto(f"{start}pay/")
    kiosk.wait_for_url(f"**{start}sign-in/?next=pay")
    assert kiosk.locator("#kiosk-bills").count() == 0
    kiosk.context.close()


def test_a_resident_signs_in_with_the_eid_on_a_narrow_kiosk_in_english_and_walks_away(
    browser, live_server, accessible, eid, eid_kiosk, tmp_path
):
    token = eid_kiosk["token"]
    start = f"/en/shkoder/floor/kiosk/{token}/"
    Device.objects.filter(kind="kiosk").update(idle_seconds=3)
    kiosk = kiosk_page(browser, live_server, NARROW, locale="en-GB")
    kiosk.goto(start)
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-start-320-en", tmp_path)
    kiosk.locator("#sign-in-eid").click()
    kiosk.wait_for_url(f"**{start}sign-in/eid/")
    assert kiosk.locator("h1").inner_text() == "Sign in with eID"
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-320-en", tmp_path)
    kiosk.locator("#eid-continue").click()
    provider_login(kiosk, eid)
    kiosk.wait_for_url(f"**{start}documents/")
    assert kiosk.locator("h1").inner_text() == "Your certificates"
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-documents-320-en", tmp_path)
    assert provider_knows_someone(kiosk, eid, live_server)

    # Nobody touches the screen: back at the start, signed out here and at the provider.
    kiosk.wait_for_url(f"{live_server.url}{start}", timeout=15_000)
    kiosk.locator("h1", has_text="Welcome").wait_for()
    accessible(kiosk)
    assert not provider_knows_someone(kiosk, eid, live_server)
    assert KioskEidSession.objects.get().provider_logout == "sent"
    kiosk.goto(f"{start}documents/")
    kiosk.wait_for_url(f"**{start}sign-in/")
    assert kiosk.locator("#id_nid").input_value() == ""
    accessible(kiosk)
    kiosk.context.close()


def test_a_provider_that_skips_the_login_is_refused_with_a_clear_message(
    browser, live_server, accessible, eid, eid_kiosk, tmp_path
):
    """Albanian at 1280 px: a provider that ignores prompt=login and max_age hands back an old
    login; the kiosk says why it refuses, on its eID page, and nobody is signed in."""
    from tests.floor.eid import set_back_provider_login

    token = eid_kiosk["token"]
    start = f"/shkoder/floor/kiosk/{token}/"
    eid.set_mode("lax")
    kiosk = kiosk_page(browser, live_server, WIDE, locale="sq-AL")
    kiosk.goto(f"{eid.url}/login/")
    provider_login(kiosk, eid)
    kiosk.wait_for_load_state()
    set_back_provider_login(eid, 600)
    kiosk.goto(f"{start}sign-in/eid/")
    kiosk.locator("#eid-continue").click()
    kiosk.wait_for_url(f"**{start}sign-in/eid/")
    kiosk.locator("#eid-error").wait_for()
    assert "eID-ja nuk konfirmoi se sapo u identifikuat" in kiosk.locator("#eid-error").inner_text()
    assert kiosk.title().startswith("Gabim")
    accessible(kiosk)
    shot(kiosk, "floor-kiosk-eid-refused-sq", tmp_path)
    assert not KioskEidSession.objects.exists()
    kiosk.context.close()
