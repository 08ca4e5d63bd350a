"""Browser journey: a resident who owes local taxes applies for the tax clearance certificate
and reads on the case page, at once and in their language, why it is not issued, what is owed
and how to pay it (axe-checked, at 320 and 1280 px)."""

import json
import os

from django.urls import reverse

from sportel.core.money import format_all
from tests.browser.test_tables import log_in

SHOTS = os.environ.get("SPORTEL_SCREENSHOTS", "")


def test_a_resident_who_owes_reads_why_and_how_to_pay(page, accessible, shkoder):
    from sportel.core.models import Person
    from sportel.revenue import assessment, fiscal, ledger
    from sportel.revenue.models import Invoice
    from sportel.services.catalogue import seed_catalogue
    from tests.revenue.conftest import make_property
    from tests.services.factories import CitizenFactory, submit

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    text = json.dumps(fiscal.seed_data("shkoder-2026"))
    for data in (
        json.loads(text.replace("2025", "2024").replace("2026", "2025")),
        json.loads(text),
    ):
        assessment.run_to_end(assessment.start_run(fiscal.create_package(shkoder, data)).pk)
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    total = format_all(ledger.taxpayer_owed(shkoder, person=person))
    references = list(Invoice.objects.filter(person=person).values_list("reference", flat=True))
    log_in(page, citizen)
    path = reverse("services:case", kwargs={"municipality_slug": "shkoder", "number": case.number})
    # The note is in the case's language (Albanian here) whichever language the page is in.
    for prefix in ("", "/en"):
        for width in (320, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(prefix + path)
            body = page.locator("main").inner_text()
            assert "Vërtetimi për shlyerjen e detyrimeve nuk mund të lëshohet" in body
            assert total in body and all(r in body for r in references)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            if SHOTS:
                lang = "en" if prefix else "sq"
                page.screenshot(
                    path=f"{SHOTS}/clearance-refused-{lang}-{width}.png", full_page=True
                )
            accessible(page)
