"""Issue 11 (letters, appeals, enforcement) in a real browser, axe-core on every page, at 1280
and 320 px: a resident opens the sealed tax notice and appeals the building tax with a bank
guarantee; a tax officer amends the assessment, records a legal step on the enforcement list
and sends the reminder letters due."""

from datetime import date
from io import BytesIO

import pytest
from playwright.sync_api import expect

from tests.browser.test_tables import log_in


@pytest.fixture
def letters(transactional_db, shkoder, make_staff, seal_keys):
    from sportel.accounts.models import User
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import Demand
    from tests.revenue.conftest import make_person, make_property

    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    arta = make_person(shkoder, "Arta", "Kola")
    arta.user = User.objects.create_user(
        "arta.browser@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z"
    )
    arta.save(update_fields=["user"])
    make_property(shkoder, [(arta, "1")], area="70")
    besnik = make_person(shkoder, "Besnik", "Gjoni")
    make_property(shkoder, [(besnik, "1")], area="90")
    assessment.run_to_end(assessment.start_run(package).pk)
    Demand.objects.filter(invoice__person=besnik).update(due_date=date(2025, 6, 30))
    return {"arta": arta, "besnik": besnik, "officer": make_staff(shkoder, "tax_officer")}


def _widths(page, accessible):
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        accessible(page)
        scroll, viewport = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert scroll <= viewport, f"{page.url} at {width}px scrolls sideways"


def _png() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, "PNG")
    return out.getvalue()


def test_a_resident_opens_the_sealed_notice_and_appeals_with_a_bank_guarantee(
    page, accessible, letters
):
    from sportel.revenue.models import Appeal, TaxNotice

    log_in(page, letters["arta"].user)
    page.goto("/shkoder/taxes/")
    _widths(page, accessible)
    link = page.get_by_role("link", name="Njoftim-vlerësimi (PDF i vulosur)")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    assert TaxNotice.objects.filter(invoice__person=letters["arta"]).count() == 1
    page.get_by_role("link", name="Ankohuni për këtë vlerësim").click()
    page.wait_for_url("**/taxes/appeal/**")
    _widths(page, accessible)
    page.get_by_label("Pse është i gabuar vlerësimi?").fill("Sipërfaqja është 60 m², jo 70.")
    page.get_by_role("button", name="Dërgoni ankimin").click()
    # Not paid, no guarantee: the error says what the law asks, next to the field.
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "garancinë bankare", use_inner_text=True
    )
    _widths(page, accessible)
    page.get_by_label("Nuk e kam paguar shumën").check()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "garanci.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_role("button", name="Dërgoni ankimin").click()
    page.wait_for_url("**/shkoder/taxes/")
    assert "Ankimi juaj u mor" in page.locator("main").inner_text()
    assert "ankim në pritje të vendimit" in page.locator("main").inner_text()
    _widths(page, accessible)
    assert Appeal.objects.get().guarantee


def test_a_tax_officer_decides_an_appeal_and_works_the_enforcement_list(page, accessible, letters):
    from sportel.revenue import appeals
    from sportel.revenue.models import Demand, EnforcementStep, Invoice
    from tests.revenue.test_appeals import png

    arta_invoice = Invoice.objects.get(person=letters["arta"])
    demand = Demand.objects.get(invoice=arta_invoice, tax_head__code="building")
    appeal, _ = appeals.file_appeal(
        demand, actor=letters["arta"].user, reason="60 m².", key="b", guarantee=True, upload=png()
    )
    log_in(page, letters["officer"], second_factor=True)
    page.goto("/en/shkoder/staff/revenue/appeals/")
    _widths(page, accessible)
    page.get_by_role("link", name=f"Appeal {appeal.pk}").click()
    _widths(page, accessible)
    page.get_by_label("Assessment amended").check()
    page.get_by_label("Amended amount (ALL), for an amended assessment").fill("1560")
    page.get_by_label("Reasons").fill("Measured again: 60 m².")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#appeal-decision")).to_contain_text(
        "Assessment amended", use_inner_text=True
    )
    _widths(page, accessible)
    page.goto("/en/shkoder/staff/revenue/enforcement/")
    _widths(page, accessible)
    assert "Besnik Gjoni" in page.locator("#enforcement").inner_text()
    assert "Arta Kola" not in page.locator("#enforcement").inner_text()  # not overdue
    page.get_by_role("link", name="Besnik Gjoni").first.click()
    page.get_by_label("Legal step").select_option("notice")
    page.get_by_label("Date of the act (YYYY-MM-DD)").fill("2026-02-01")
    page.get_by_label("Act number").fill("Nr. 45/2")
    page.get_by_role("button", name="Record the step").click()
    expect(page.locator("#steps")).to_contain_text("Nr. 45/2", use_inner_text=True)
    _widths(page, accessible)
    assert EnforcementStep.objects.count() == 1
    csv = page.request.get(page.url.split("/enforcement/")[0] + "/enforcement.csv")
    assert csv.status == 200 and "Besnik Gjoni" in csv.text()
    page.goto("/shkoder/staff/revenue/arrears/")
    page.get_by_role("button", name="Dërgoni letrat kujtuese që u ka ardhur koha").click()
    page.wait_for_url("**/arrears/")
    assert "Letrat kujtuese po vulosen" in page.locator("main").inner_text()
    _widths(page, accessible)
