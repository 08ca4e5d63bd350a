"""Services journeys in a real browser, axe-core on every page visited:

- a citizen applies online (draft, attachment, review, receipt) and tracks the case by code;
- a clerk serves a walk-in at the counter, from NID to printed receipt and fee;
- a specialist asks for more information, the citizen answers, the specialist approves and the
  sealed document is issued;
- an instant certificate goes from application to document in one sitting.
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from sportel.services import services, workflow
from sportel.services.models import Case
from tests.accounts.helpers import browser_login, browser_staff_login
from tests.services.factories import new_nid

PASSWORD = "a-long-test-password"


@pytest.fixture
def catalogue(transactional_db, shkoder, seal_keys):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    return shkoder


@pytest.fixture
def citizen(catalogue):
    from sportel.accounts.models import User
    from sportel.core.services import register_person

    user = User.objects.create_user(
        "arta.krasniqi@test.sportel.al",
        password=PASSWORD,
        email="arta.krasniqi@test.sportel.al",
        full_name="Arta Krasniqi",
        nid=new_nid(),
        nid_verified=True,
        nid_verified_via="eid",
        confirmed_at="2026-01-01T00:00:00Z",
    )
    # She is in Shkodër's civil register with her address (what a residence certificate states).
    register_person(
        catalogue,
        nid=user.nid,
        first_name="Arta",
        last_name="Krasniqi",
        address="Rruga Kolë Idromeno 12",
        unit=catalogue.units.order_by("pk").first(),
        user=user,
    )
    return user


def png(tmp_path):
    path = tmp_path / "kontrata.png"
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "navy").save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="sq-AL")
    context.set_default_timeout(10_000)
    other = context.new_page()
    other.base_url = live_server.url
    return other


def test_citizen_applies_online_with_a_draft_and_tracks_the_case(
    page, accessible, citizen, browser, live_server, tmp_path
):
    page.goto("/shkoder/services/")
    accessible(page)
    page.get_by_role("link", name="Kërkesë për informacion publik").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Kërkesë për informacion publik", use_inner_text=True
    )
    accessible(page)
    page.get_by_role("link", name="Hyni për të aplikuar").click()
    page.locator("input[name=username]").fill(citizen.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/public-information-request/apply/")
    accessible(page)

    # Continue without answers: errors next to the fields, then save a partial draft.
    page.get_by_role("button", name="Ruaj dhe vazhdo").click()
    expect(page.locator("#id_information_description_error")).to_be_visible()
    accessible(page)
    page.locator("#id_information_description").fill("Buxheti i ndriçimit publik 2026")
    page.get_by_role("button", name="Ruaje draftin dhe kthehu më vonë").click()
    page.wait_for_url(re.compile(r".*/services/drafts/\d+/$"))
    accessible(page)

    # Come back later from My applications.
    page.goto("/shkoder/services/mine/")
    accessible(page)
    page.locator("#my-drafts a").first.click()
    expect(page.locator("#id_information_description")).to_have_value(
        "Buxheti i ndriçimit publik 2026"
    )
    page.locator("input[name=preferred_format][value=email]").check()
    page.get_by_role("button", name="Ruaj dhe vazhdo").click()
    page.wait_for_url("**/attachments/")
    accessible(page)
    page.locator("input[type=file]").set_input_files(png(tmp_path))
    page.get_by_role("button", name="Bashkëngjit").click()
    expect(page.locator("#attachments")).to_contain_text("kontrata.png", use_inner_text=True)
    accessible(page)
    page.get_by_role("link", name="Vazhdo").click()
    page.wait_for_url("**/review/")
    assert "Falas" in page.locator("#fee-due").inner_text()
    accessible(page)
    page.get_by_role("button", name="Dërgo kërkesën").click()
    page.wait_for_url("**/receipt/")
    accessible(page)
    number = page.locator("#case-number").inner_text()
    code = page.locator("#tracking-code").inner_text()
    assert number.startswith("SHK-")
    expect(page.locator("#expected-date")).to_be_visible()

    # The case page, with its timeline.
    page.get_by_role("link", name="Ndiqni kërkesën").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number, use_inner_text=True)
    assert page.locator("#case-history li").count() >= 1
    accessible(page)

    # Anyone with the code can track it, without logging in and without seeing who applied.
    visitor = new_page(browser, live_server)
    visitor.goto("/shkoder/track/")
    accessible(visitor)
    visitor.locator("#id_code").fill(code)
    visitor.get_by_role("button", name="Gjurmo").click()
    expect(visitor.locator("#track-status")).to_contain_text("Kërkesa u mor", use_inner_text=True)
    assert "Arta" not in visitor.locator("main").inner_text()
    accessible(visitor)
    visitor.context.close()


def test_clerk_serves_a_walk_in_at_the_counter(page, accessible, catalogue, make_staff):
    clerk = make_staff(catalogue, "clerk")
    browser_staff_login(page, clerk)
    page.wait_for_url("**/shkoder/staff/")
    page.get_by_role("link", name="Sporteli", exact=True).click()
    accessible(page)
    # A malformed number is refused with the reason.
    page.locator("#id_nid").fill("12345")
    page.get_by_role("button", name="Vazhdo").click()
    expect(page.locator("#id_nid_error")).to_be_visible()
    accessible(page)
    # An unknown person is registered from the identity card.
    nid = new_nid()
    page.locator("#id_nid").fill(nid)
    page.locator("#id_first_name").fill("Gjon")
    page.locator("#id_last_name").fill("Leka")
    # The clerk states which identity document they saw (decision 0010).
    page.get_by_label("letërnjoftim").check()
    page.get_by_role("button", name="Vazhdo").click()
    page.wait_for_url("**/counter/services/")
    assert "Gjon Leka" in page.locator("#walk-in").inner_text()
    accessible(page)
    page.get_by_role("link", name="Certifikatë familjare").click()
    expect(page.locator("#counter-fee")).to_contain_text("50 ALL", use_inner_text=True)
    accessible(page)
    page.locator("#id_purpose").fill("Për shkollën")
    page.locator("#id_fee_paid").check()
    page.get_by_role("button", name="Dërgo për aplikantin").click()
    page.wait_for_url("**/receipt/")
    accessible(page)
    case = Case.objects.get()
    assert case.channel == "counter" and case.clerk == clerk
    assert case.fee_paid
    assert "Gjon Leka" in page.locator("#receipt").inner_text()
    # Fee paid and the family is in the register: the certificate is already issued.
    assert case.document_code
    expect(page.locator("#document-link")).to_be_visible()


def test_specialist_asks_for_more_the_citizen_answers_and_the_document_is_issued(
    page, accessible, catalogue, citizen, make_staff, browser, live_server
):
    case = services.submit_application(
        catalogue,
        service="tax-clearance-certificate",
        data={"purpose": "Për tenderin"},
        actor=citizen,
    )
    specialist = make_staff(case.municipality, "specialist")
    browser_staff_login(page, specialist)
    page.wait_for_url("**/shkoder/staff/")
    page.get_by_role("link", name="Kërkesat").click()
    accessible(page)
    page.get_by_role("link", name=case.number).click()
    expect(page.locator("#applicant")).to_have_text(
        re.compile(r"^Arta Krasniqi"), use_inner_text=True
    )
    accessible(page)
    page.get_by_text("Cakto", exact=True).first.click()
    page.locator("#id_assignee").select_option(str(specialist.pk))
    page.get_by_role("button", name="Cakto").click()
    expect(page.locator("#assignee")).to_contain_text("Test specialist", use_inner_text=True)
    page.get_by_role("button", name="Fillo punën").click()
    page.get_by_text("Kërkoni më shumë informacion nga aplikanti").click()
    page.locator("#id_message").fill("Dërgoni vërtetimin e NIPT-it.")
    page.get_by_role("button", name="Dërgo kërkesën").click()
    assert Case.objects.get(pk=case.pk).status == workflow.AWAITING_APPLICANT
    accessible(page)

    # The citizen answers from the case page.
    other = new_page(browser, live_server)
    browser_login(
        other, citizen.username, PASSWORD, next_url=f"/shkoder/services/cases/{case.number}/"
    )
    other.wait_for_url(f"**/cases/{case.number}/")
    assert "Dërgoni vërtetimin e NIPT-it." in other.locator("#information-request").inner_text()
    # Who accessed my case lists the specialist's read.
    assert "Test specialist" in other.locator("#case-accesses").inner_text()
    accessible(other)
    other.locator("#id_message").fill("NIPT-i është K12345678L.")
    other.get_by_role("button", name="Dërgo përgjigjen").click()
    assert Case.objects.get(pk=case.pk).status == workflow.IN_PROGRESS
    accessible(other)
    other.context.close()

    # The specialist approves and issues the sealed document.
    page.reload()
    # Rejecting comes first; approving asks on a page of its own (no JavaScript needed).
    expect(page.locator("#action-reject")).to_be_visible()
    page.get_by_role("button", name="Miratoje").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Të miratohet kërkesa {case.number}?", use_inner_text=True
    )
    accessible(page)
    page.get_by_role("button", name="Po, miratoje").click()
    assert Case.objects.get(pk=case.pk).status == workflow.APPROVED
    page.get_by_role("button", name="Lësho dokumentin").click()
    assert Case.objects.get(pk=case.pk).status == workflow.DOCUMENT_ISSUED
    accessible(page)
    page.locator("#verify-link").click()
    assert page.locator("#outcome").get_attribute("data-outcome") == "authentic"
    accessible(page)


def test_instant_certificate_from_application_to_document_in_one_sitting(page, accessible, citizen):
    browser_login(page, citizen.username, PASSWORD, next_url="/shkoder/services/")
    page.wait_for_url("**/shkoder/services/")
    page.get_by_role("link", name="Vërtetim banimi").first.click()
    accessible(page)
    page.get_by_role("button", name="Fillo tani").click()
    page.locator("#id_purpose").fill("Për bankën")
    page.get_by_role("button", name="Ruaj dhe vazhdo").click()
    page.get_by_role("link", name="Vazhdo").click()
    page.get_by_role("button", name="Dërgo kërkesën").click()
    page.wait_for_url("**/receipt/")
    expect(page.get_by_role("heading", name="Dokumenti juaj është gati")).to_be_visible()
    accessible(page)
    page.locator("#verify-link").click()
    assert page.locator("#outcome").get_attribute("data-outcome") == "authentic"
    accessible(page)


def test_moving_home_kiosk_and_english_pages_are_accessible(page, accessible, citizen):
    browser_login(page, citizen.username, PASSWORD, next_url="/shkoder/services/moving-home/")
    page.wait_for_url("**/moving-home/")
    accessible(page)
    page.locator("#id_new_address").fill("Rruga Kolë Idromeno 7, Shkodër")
    page.locator("#id_has_car").check()
    page.locator("#id_vehicle_plate").fill("SH123AB")
    page.get_by_role("button", name="Hap kërkesat e mia").click()
    # No consent, nothing opened: the error sits next to the checkbox.
    expect(page.locator("#id_consent_error")).to_be_visible()
    assert not Case.objects.exists()
    accessible(page)
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Hap kërkesat e mia").click()
    page.wait_for_url(re.compile(r".*/moving-home/\d+/$"))
    assert page.locator("#bundle-cases tbody tr").count() == 3
    accessible(page)

    page.goto("/shkoder/kiosk/")
    assert "sportel-kiosk" in page.locator("body").get_attribute("class")
    accessible(page)
    page.get_by_role("link", name="Vërtetim banimi").first.click()
    accessible(page)

    page.goto("/en/shkoder/services/?q=parking")
    assert "1 service found" in page.locator("#results").inner_text()
    accessible(page)
    page.goto("/en/shkoder/services/mine/")
    accessible(page)
    page.goto("/en/shkoder/track/?code=AAAA-BBBB-CCCC")
    expect(page.locator("#id_code_error")).to_be_visible()
    accessible(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_service_pages_read_as_a_resident_would_in_both_languages(
    page, accessible, catalogue, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/shkoder/services/family-certificate/")
    assert page.locator("#service-fee").inner_text() == "50 ALL"
    assert "paguhet në sportelin" in page.locator("#fee-note").inner_text()
    assert page.locator("#service-applicant").inner_text() == "Banorët (individë)"
    assert "nuk u gjet" not in page.locator("main").inner_text()
    accessible(page)
    page.goto("/en/shkoder/services/archive-copy/")
    assert page.locator("#service-fee").inner_text().startswith("Set by the municipal council")
    assert "not found" not in page.locator("main").inner_text()
    accessible(page)
    page.goto("/en/shkoder/services/building-permit-review/")
    link = page.get_by_role("link", name="Apply on e-Albania")
    assert link.get_attribute("href").startswith("https://e-albania.al/")
    assert page.get_by_role("link", name="Log in to apply").count() == 0
    accessible(page)
    page.goto("/shkoder/services/?q=vertetim")
    assert page.locator("#results").inner_text().startswith("U gjetën 4 shërbime")
    first = page.locator(".sportel-service-list a").first
    assert first.inner_text() == "Vërtetim banimi"
    accessible(page)
