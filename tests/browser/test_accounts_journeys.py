"""Issue 8 in a real browser, with axe-core at 1280 and 320 px: the kiosk's own login and its
idle logout (with and without JavaScript), and logging in from /en/ staying English, for a
citizen, for staff through the second factor, and for an owner unlocking a locked account."""

import re

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.helpers import current_totp
from tests.accounts.outbox import last_message

WIDTHS = (1280, 320)


@pytest.fixture
def kiosk_settings(settings):
    settings.SPORTEL_KIOSK_IDLE_SECONDS = 3
    return settings


def fill_login(page, login, password):
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").first.click()


@pytest.mark.parametrize("width", WIDTHS)
def test_kiosk_login_has_no_sign_up_and_the_idle_screen_returns_to_the_start(
    transactional_db, shkoder, page, accessible, kiosk_settings, width
):
    citizen = UserFactory()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/shkoder/kiosk/")
    # The header offers the kiosk's login (behind "Menu" at 320 px), never the ordinary one.
    assert page.locator("#navigation a[href^='/shkoder/kiosk/login/']").count() == 1
    assert page.locator("#navigation a[href^='/account/']").count() == 0
    page.goto("/shkoder/kiosk/login/?next=/shkoder/kiosk/")
    expect(page.get_by_role("heading", name="Hyni në kioskë")).to_be_visible()
    assert page.get_by_role("link", name="Krijoni një llogari").count() == 0
    accessible(page)
    fill_login(page, citizen.username, PASSWORD)
    page.wait_for_url(re.compile(r".*/shkoder/kiosk/$"))
    assert page.locator("#navigation button", has_text="Përfundo dhe dil").count() == 1
    accessible(page)
    # Nobody touches the screen: it returns to the start, logged out.
    page.locator("#navigation a[href^='/shkoder/kiosk/login/']").wait_for(
        state="attached", timeout=10_000
    )
    assert re.search(r"/shkoder/kiosk/$", page.url)
    assert page.locator("#navigation button", has_text="Përfundo dhe dil").count() == 0
    page.goto("/shkoder/services/mine/")
    assert "/login/" in page.url


def test_without_javascript_the_server_ends_an_idle_kiosk_session(
    transactional_db, shkoder, browser, live_server, kiosk_settings
):
    citizen = UserFactory()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/en/shkoder/kiosk/login/")
    fill_login(page, citizen.username, PASSWORD)
    page.wait_for_url(re.compile(r".*/en/shkoder/kiosk/$"))
    page.wait_for_timeout(2000)
    page.goto("/en/shkoder/kiosk/")  # activity pushes the expiry on
    assert page.locator("#navigation button", has_text="Finish and log out").count() == 1
    page.wait_for_timeout(4000)
    page.goto("/en/shkoder/kiosk/")
    assert page.locator("#navigation button", has_text="Finish and log out").count() == 0
    assert page.locator("#navigation a[href^='/en/shkoder/kiosk/login/']").count() == 1
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_citizen_logging_in_from_english_stays_english(
    transactional_db, shkoder, page, accessible, width
):
    citizen = UserFactory(language="sq")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/en/account/login/")
    accessible(page)
    fill_login(page, citizen.username, PASSWORD)
    page.wait_for_url(re.compile(r".*/en/account/$"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_role("link", name="Who accessed my data")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="Log out").last.click()
    page.wait_for_url(re.compile(r".*/en/$"))
    assert page.locator("html").get_attribute("lang") == "en"


def test_staff_logging_in_from_english_pass_an_english_second_factor(
    transactional_db, shkoder, make_staff, page, accessible
):
    clerk = make_staff(shkoder, "clerk")
    page.goto("/en/account/login/")
    fill_login(page, clerk.username, "a-long-test-password")
    page.wait_for_url("**/en/account/2fa/**")
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    accessible(page)
    page.locator("input[name=token]").fill(current_totp(clerk))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/en/shkoder/staff/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_locked_out_owner_unlocks_with_a_code_in_english(
    transactional_db, page, accessible, width
):
    owner = UserFactory(username=f"owner{width}@example.al")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/en/account/login/")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        fill_login(page, owner.username, "wrong-password-1")
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/en/account/unlock/code/")
    accessible(page)
    code = re.search(r"\b(\d{6})\b", last_message(owner.email, "accounts_unlock_code").body)
    page.locator("input[name=code]").fill(code.group(1))
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/en/account/login/**")
    expect(page.get_by_text("Your account is unlocked on this device")).to_be_visible()
    assert page.locator("input[name=username]").input_value() == owner.username
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/en/account/$"))
