"""Browser: a resident whose bill is overdue opens My taxes and reads, for the bill, the
principal, the late-payment penalty, the delay interest and what is still owed, and how a
payment is split (sq and en, 320 and 1280 px, axe). Decision 0031."""

import re
from datetime import date
from decimal import Decimal

from tests.browser.test_tables import log_in


def test_a_resident_reads_principal_penalty_interest_and_total_on_my_taxes(
    page, accessible, shkoder
):
    from sportel.core.models import Person
    from sportel.revenue import assessment, fiscal, penalties
    from sportel.revenue.models import FiscalPackage, Invoice
    from tests.revenue.conftest import make_property
    from tests.services.factories import CitizenFactory

    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    FiscalPackage.objects.filter(pk=package.pk).update(delay_interest_rate=Decimal("0.05"))
    assessment.run_to_end(assessment.start_run(package).pk)
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=person)
    bill = Invoice.objects.get(person=person)
    log_in(page, citizen)
    expected = {
        "": ("Detyrimi", "Gjoba për vonesë në pagesë", "Kamatëvonesa", "lekë"),
        "/en": ("Principal", "Late-payment penalty", "Delay interest", "ALL"),
    }
    for prefix, words in expected.items():
        for width in (320, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{prefix}/shkoder/taxes/")
            totals = page.locator(f"#bill-totals-{bill.reference}")
            text = totals.inner_text()
            for word in words:
                assert word in text, (prefix, word, text)
            # Amounts in the page's language: "28,92 lekë" in Albanian, "28.92 ALL" in English.
            pattern = r"\d+\.\d{2} ALL" if prefix else r"\d+,\d{2} lekë"
            assert re.search(pattern, text), (prefix, text)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            accessible(page)
