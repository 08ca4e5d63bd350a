"""Accounts in a real browser: sign up → confirm → log in; staff login with TOTP; axe-core on
the login, sign-up, account, 2FA and staff home pages."""

import base64
import re

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from sportel.accounts.models import User
from tests.accounts.factories import PASSWORD
from tests.accounts.helpers import browser_login, browser_pass_totp
from tests.accounts.outbox import confirmation_code, confirmation_link


def test_citizen_signs_up_confirms_by_email_and_logs_in(transactional_db, page, accessible):
    page.goto("/account/signup/")
    accessible(page)
    page.locator("input[name=full_name]").fill("Arta Krasniqi")
    page.locator("input[name=contact]").fill("Arta.Krasniqi@Example.al")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("input[name=language][value=sq]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/signup/sent/")
    expect(page.get_by_text("arta.krasniqi@example.al").first).to_be_visible()

    # Logging in before confirming is refused, with a way to get a new link.
    browser_login(page, "arta.krasniqi@example.al", PASSWORD)
    expect(page.get_by_text("Nuk e keni konfirmuar ende këtë llogari").first).to_be_visible()
    expect(page.get_by_role("link", name="Dërgo një konfirmim të ri")).to_be_visible()

    # The citizen opens the link from the email in the outbox.
    link = confirmation_link("arta.krasniqi@example.al")
    assert link.startswith(page.base_url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Llogaria u konfirmua")).to_be_visible()

    browser_login(page, "ARTA.KRASNIQI@example.al", PASSWORD)
    page.wait_for_url(re.compile(r".*/account/$"))
    expect(page.get_by_role("heading", name="Llogaria juaj")).to_be_visible()
    expect(page.get_by_text("Arta Krasniqi").first).to_be_visible()
    accessible(page)
    assert User.objects.get(username="arta.krasniqi@example.al").confirmed_at is not None


def test_citizen_signs_up_with_a_phone_number_and_confirms_with_the_sms_code(
    transactional_db, page, accessible
):
    page.goto("/en/account/signup/")
    page.locator("input[name=full_name]").fill("Besnik Gjoni")
    page.locator("input[name=contact]").fill("069 555 1234")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("input[name=language][value=en]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/confirm/phone/")
    assert page.locator("input[name=login]").input_value() == "+355695551234"
    accessible(page)
    page.locator("input[name=code]").fill(confirmation_code("+355695551234"))
    page.locator("main form button[type=submit]").click()
    # The answer comes back at the same address: wait for its heading rather than reading the
    # page the click left (that raced on a loaded machine: the old form was still showing).
    expect(page.get_by_role("heading", name="Account confirmed")).to_be_visible()
    browser_login(page, "0695551234", PASSWORD)
    # The citizen chose English: after login the pages are in English.
    page.wait_for_url(re.compile(r".*/en/account/$"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_login_page_is_accessible_in_both_languages(transactional_db, page, accessible):
    page.goto("/account/login/")
    accessible(page)
    page.goto("/en/account/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    accessible(page)


def test_staff_log_in_with_totp_and_land_on_their_staff_home(
    transactional_db, page, accessible, shkoder, make_staff
):
    clerk = make_staff(shkoder, "clerk")
    browser_login(page, clerk.username, "a-long-test-password")
    page.wait_for_url("**/account/2fa/**")
    accessible(page)
    browser_pass_totp(page, clerk)
    page.wait_for_url("**/shkoder/staff/")
    assert page.locator("#staff-municipality").inner_text() == "Shkodër"
    assert "Nëpunës i sportelit" in page.locator("#staff-roles").inner_text()
    accessible(page)


def test_new_staff_enrol_an_authenticator_from_the_qr_page(
    transactional_db, page, accessible, lezhe, make_staff
):
    manager = make_staff(lezhe, "manager")
    TOTPDevice.objects.filter(user=manager).delete()
    browser_login(page, manager.username, "a-long-test-password")
    page.wait_for_url("**/account/2fa/**")
    qr = page.locator("img.sportel-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    accessible(page)
    # The key shown for manual entry is the one the QR code carries: an app using it works.
    page.locator("summary").first.click()
    expect(page.locator("#totp-secret")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.locator("input[name=token]").fill(f"{TOTP(key).token():06d}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/lezhe/staff/")
    assert TOTPDevice.objects.get(user=manager).confirmed
