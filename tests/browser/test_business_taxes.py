"""Browser: a business's representative opens My taxes, finds the business's bills under its
name and NIPT, and opens the appeal form for one of them (sq and en, 320 and 1280 px, axe)."""

from tests.browser.test_tables import log_in


def test_a_representative_reads_the_business_taxes_and_opens_its_appeal_form(
    page, accessible, shkoder
):
    from sportel.core.models import Person
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import Invoice
    from tests.revenue.conftest import make_business, make_property
    from tests.services.factories import CitizenFactory

    bakery = make_business(shkoder)
    make_property(shkoder, [(bakery, "1")], zone="8602", area="50", use="economic")
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    assessment.run_to_end(assessment.start_run(package).pk)
    citizen = CitizenFactory()
    bakery.representatives.add(Person.objects.get(municipality=shkoder, nid=citizen.nid))
    bill = Invoice.objects.get(business=bakery)
    log_in(page, citizen)
    for prefix, appeal in (("", "Ankohuni për këtë vlerësim"), ("/en", "Appeal this assessment")):
        for width in (320, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{prefix}/shkoder/taxes/")
            heading = page.locator(f"#business-{bakery.nipt}").inner_text()
            assert bakery.name in heading and bakery.nipt in heading
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            accessible(page)
        page.locator(f"#bill-documents-{bill.reference}").get_by_role("link", name=appeal).click()
        page.wait_for_url(f"**/appeal/{bill.reference}/")
        assert bakery.nipt in page.locator("main").inner_text()
        accessible(page)
