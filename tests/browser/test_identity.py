"""Proving an identity in a real browser (issue 8 §1, decision 0010): a resident whose personal
number is only typed gets a code on "Your identity" (English, 1280 and 320 px), reads it to the
clerk, who verifies it with the identity document (Albanian); then the resident's page says the
identity is proven. axe-core on every page."""

import os
import re

from playwright.sync_api import expect

from sportel.accounts.models import User
from tests.accounts.factories import PASSWORD
from tests.accounts.helpers import browser_login, browser_staff_login

SHOTS = os.environ.get("SPORTEL_DOC_SCREENSHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _fits(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} overflows: {width}px"


def test_resident_proves_identity_at_the_counter(
    transactional_db, page, accessible, shkoder, make_staff
):
    resident = User.objects.create_user(
        "vera.shiroka@test.sportel.al",
        password=PASSWORD,
        email="vera.shiroka@test.sportel.al",
        full_name="Vera Shiroka",
        nid="J10101001D",
        confirmed_at="2026-01-01T00:00:00Z",
        language="en",
    )
    clerk = make_staff(shkoder, "clerk")

    browser_login(page, resident.username, PASSWORD, next_url="/en/account/")
    page.goto("/en/account/")
    page.get_by_role("link", name="Verify your identity").click()
    page.wait_for_url("**/en/account/identity/")
    expect(page.get_by_text("It is not verified yet")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="Get a code for the counter").click()
    expect(page.locator("#identity-code")).to_have_text(re.compile(r"\S"))
    code = page.locator("#identity-code").inner_text().strip()
    assert len(code) == 9 and code[4] == "-"
    accessible(page)
    _shot(page, "accounts-identity-en")
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page)

    page.context.clear_cookies()
    browser_staff_login(page, clerk)
    page.wait_for_url("**/shkoder/staff/")
    page.get_by_role("link", name="Verifiko identitetin e një banori").click()
    accessible(page)
    page.locator("#id_code").fill(code.lower())
    page.locator("#id_nid").fill("J10101001D")
    page.get_by_label("Letërnjoftim").check()
    page.locator("#id_document_seen").check()
    page.get_by_role("button", name="Verifiko identitetin").click()
    expect(page.get_by_text("me numrin personal J10101001D")).to_be_visible()
    accessible(page)
    page.set_viewport_size({"width": 320, "height": 900})
    _fits(page)
    _shot(page, "accounts-verify-identity")

    resident.refresh_from_db()
    assert resident.nid_verified and resident.nid_verified_via == "counter"
