"""A clerk records a parent's relationship to a minor in a real browser (issue 8 §1): the first
attempt without ticking "I saw the document" is refused with nothing lost (Albanian, 1280 px), the
second is recorded; then in English at 320 px the clerk finds a mistaken one by the child's
number (nothing is listed before a search) and revokes it; the parent sees
the relationship on their account. axe-core on every page."""

import datetime as dt
import os

from playwright.sync_api import expect

from sportel.accounts.models import KinRelationship, User
from sportel.core.services import register_person
from tests.accounts.factories import PASSWORD
from tests.accounts.helpers import browser_login, browser_staff_login

SHOTS = os.environ.get("SPORTEL_DOC_SCREENSHOTS")
PARENT_NID = "J10101001D"
CHILD_NID = "M50327004L"
SECOND_CHILD_NID = "M70101005"


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _fits(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} overflows: {width}px"


def test_clerk_records_and_revokes_a_parents_relationship(
    transactional_db, page, accessible, shkoder, make_staff
):
    from sportel.core.identifiers import with_check_letter

    child_nid = with_check_letter(CHILD_NID[:9])
    second_nid = with_check_letter(SECOND_CHILD_NID)
    parent = User.objects.create_user(
        "arta.hoxha@test.sportel.al",
        password=PASSWORD,
        email="arta.hoxha@test.sportel.al",
        full_name="Arta Hoxha",
        nid=PARENT_NID,
        nid_verified=True,
        nid_verified_via="counter",
        confirmed_at="2026-01-01T00:00:00Z",
        language="en",
    )
    clerk = make_staff(shkoder, "clerk")
    register_person(
        shkoder, nid=child_nid, first_name="Ema", last_name="Hoxha", birth_date=dt.date(2015, 3, 27)
    )

    browser_staff_login(page, clerk)
    page.wait_for_url("**/shkoder/staff/")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Regjistro lidhjen e një prindi ose kujdestari").click()
    accessible(page)
    page.locator("#id_parent_nid").fill(PARENT_NID)
    page.get_by_label("Prind", exact=True).check()
    page.locator("#id_child_nid").fill(child_nid)
    page.get_by_label("Certifikata e lindjes").check()
    page.locator("#id_document_number").fill("AL-2015-00412")
    page.get_by_role("button", name="Regjistro lidhjen").click()
    expect(
        page.get_by_role("alert").get_by_text(
            "Konfirmoni që patë certifikatën e lindjes ose vendimin e gjykatës."
        )
    ).to_be_visible()
    expect(page.locator("#id_document_number")).to_have_value("AL-2015-00412")
    accessible(page)
    page.locator("#id_document_seen").check()
    page.get_by_role("button", name="Regjistro lidhjen").click()
    assert page.get_by_text(
        "U regjistrua: Arta Hoxha është prind i fëmijës Ema Hoxha."
    ).is_visible()
    accessible(page)
    _fits(page)
    _shot(page, "accounts-record-kin")

    # English, on a phone: a second child typed in (not in the register), then revoked.
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto("/en/shkoder/staff/identity/relationships/")
    accessible(page)
    _fits(page)
    page.locator("#id_parent_nid").fill(PARENT_NID)
    page.get_by_label("Legal guardian").check()
    page.locator("#id_child_nid").fill(second_nid)
    page.locator("#id_child_first_name").fill("Ben")
    page.locator("#id_child_last_name").fill("Hoxha")
    page.locator("#id_child_birth_date").fill("01.01.2017")
    page.get_by_label("Court decision on guardianship").check()
    page.locator("#id_document_number").fill("GJ-123/2020")
    page.locator("#id_document_seen").check()
    page.get_by_role("button", name="Record the relationship").click()
    expect(
        page.get_by_text("Recorded: Arta Hoxha is the legal guardian of Ben Hoxha.")
    ).to_be_visible()
    accessible(page)
    _fits(page)
    mistaken = KinRelationship.objects.get(child__nid=second_nid)
    # Nobody's relationships are listed until the clerk searches for a number.
    assert page.locator("#recorded-relationships").count() == 0
    page.get_by_label("Personal number (NID) of the parent, guardian or child").fill(second_nid)
    page.get_by_role("button", name="Find", exact=True).click()
    listed = page.locator("#recorded-relationships")
    expect(listed.get_by_text("Ben Hoxha", exact=True)).to_be_visible()
    assert "Ema" not in listed.inner_text()  # only the child searched for
    accessible(page)
    _fits(page)
    page.locator(f"#reason-{mistaken.pk}").fill("Wrong court decision")
    page.get_by_role("button", name="Revoke — Ben Hoxha").click()
    expect(page.get_by_text("The relationship is revoked.")).to_be_visible()
    accessible(page)
    _fits(page)

    page.context.clear_cookies()
    browser_login(page, parent.username, PASSWORD, next_url="/en/account/")
    page.goto("/en/account/")
    listed = page.locator("#relationship-list")
    expect(listed.get_by_text("Ema Hoxha")).to_be_visible()
    assert "in force" in listed.inner_text() and "revoked" in listed.inner_text()
    accessible(page)
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page)
