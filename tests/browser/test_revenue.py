"""Issue 11 in a real browser, axe-core on every page, at 1280 and 320 px, sq and en: a tax
officer runs the year's assessment and watches it finish; a clerk takes cash for a bill and
closes the day; a bank statement is imported and matched."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_tables import log_in

DEMO_FILE = Path(__file__).parents[2] / "src/sportel/revenue/data/demo-camt053.xml"


@pytest.fixture
def revenue(transactional_db, shkoder, make_staff):
    from sportel.revenue import fiscal
    from tests.revenue.conftest import make_business, make_person, make_property

    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    arta = make_person(shkoder, "Arta", "Kola")
    make_property(shkoder, [(arta, "1")], area="70")
    make_property(shkoder, [(make_business(shkoder), "1")], use="economic", area="50")
    return {
        "package": package,
        "arta": arta,
        "officer": make_staff(shkoder, "tax_officer"),
        "clerk": make_staff(shkoder, "clerk"),
    }


def _widths(page, accessible):
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        accessible(page)
        scroll, viewport = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert scroll <= viewport, f"{page.url} at {width}px scrolls sideways"


def test_a_tax_officer_runs_the_assessment_and_sees_it_finish(page, accessible, revenue):
    from sportel.revenue.models import AssessmentRun
    from sportel.revenue.tasks import run_assessment

    log_in(page, revenue["officer"], second_factor=True)
    page.goto("/shkoder/staff/revenue/assessment/")
    _widths(page, accessible)
    page.get_by_role("button", name="Llogarit detyrimet e vitit 2026").click()
    page.wait_for_url("**/assessment/*/")
    assert "0 nga 2" in page.locator("main").inner_text()
    _widths(page, accessible)
    run_assessment.call(AssessmentRun.objects.get().pk)  # the worker's part
    # The page follows the run by itself (progress.js): no reload here.
    page.locator("#run-live[data-going='false']").wait_for(timeout=15_000)
    assert "2 nga 2" in page.locator("main").inner_text()
    page.goto("/en/shkoder/staff/revenue/?year=2026")
    assert "Collection rate" in page.locator("#rate-definition").inner_text()
    assert "divided by what was billed" in page.locator("#rate-definition").inner_text()
    _widths(page, accessible)


def test_a_clerk_takes_cash_for_a_bill_and_closes_the_day(page, accessible, revenue):
    from sportel.revenue import assessment
    from sportel.revenue.models import Invoice

    assessment.run_to_end(assessment.start_run(revenue["package"]).pk)
    reference = Invoice.objects.get(person=revenue["arta"]).reference
    log_in(page, revenue["clerk"], second_factor=True)
    page.goto("/en/shkoder/staff/revenue/cash/")
    _widths(page, accessible)
    page.locator("#id_reference").fill("RF00 1234")
    page.locator("#id_amount").fill("1000")
    page.locator("#take-cash").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # not a valid RF reference
    _widths(page, accessible)
    page.locator("#id_reference").fill(reference)
    page.locator("#id_amount").fill("1000")
    page.locator("#take-cash").click()
    expect(page.locator("main")).to_contain_text("Receipt SHK-", use_inner_text=True)
    expect(page.locator("#expected")).to_contain_text("1,000.00", use_inner_text=True)
    _widths(page, accessible)
    page.locator("#id_counted").fill("1000")
    page.locator("#close-day").click()
    expect(page.locator("#day-closed")).to_be_visible()
    _widths(page, accessible)


def test_a_bank_statement_is_imported_and_matched(page, accessible, revenue):
    from sportel.revenue.models import Payment

    log_in(page, revenue["officer"], second_factor=True)
    page.goto("/shkoder/staff/revenue/statements/")
    _widths(page, accessible)
    page.locator("#id_file").set_input_files(str(DEMO_FILE))
    page.locator("#import").click()
    page.wait_for_url("**/statements/*/")
    lines = page.locator("#statement-lines").inner_text()
    assert "U radhën" not in lines and "Në radhën për trajtim me dorë" in lines
    assert "referencë RF e panjohur" in lines and "unknown RF reference" not in lines
    _widths(page, accessible)
    assert Payment.objects.count() == 4
    page.goto("/en/shkoder/staff/revenue/queue/")
    assert "unknown RF reference" in page.locator("main").inner_text()
    _widths(page, accessible)
