"""Browser journey: a resident who owes local taxes applies online for the tax clearance
certificate and is told at once, on the receipt, that it is refused, what is owed by year and
tax head (principal, penalty, interest, total) and how to pay; the case page keeps the decision
in its history. In Albanian and English, at 320 and 1280 px, axe-checked."""

import json
import os

from django.urls import reverse

from sportel.core.money import format_all
from tests.browser.test_tables import log_in

SHOTS = os.environ.get("SPORTEL_SCREENSHOTS", "")
NAME = {"sq": "Vërtetim për shlyerjen e detyrimeve tatimore vendore",
        "en": "Local tax clearance certificate"}  # fmt: skip
WORDS = {
    "sq": ("Fillo tani", "Ruaj dhe vazhdo", "Vazhdo", "Dërgo kërkesën", "Kërkesa juaj u refuzua",
           "Vërtetimi për shlyerjen e detyrimeve nuk mund të lëshohet", "Si të paguani"),
    "en": ("Start now", "Save and continue", "Continue", "Submit application",
           "Your application was refused", "The tax clearance certificate cannot be issued",
           "How to pay"),
}  # fmt: skip


def test_a_resident_who_owes_is_refused_at_once_and_told_how_to_pay(page, accessible, shkoder):
    from sportel.core.models import Person
    from sportel.revenue import assessment, fiscal, ledger
    from sportel.revenue.models import Invoice
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.models import Case
    from tests.revenue.conftest import make_property
    from tests.services.factories import CitizenFactory

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
    owed = ledger.taxpayer_owed(shkoder, person=person)
    references = list(Invoice.objects.filter(person=person).values_list("reference", flat=True))
    log_in(page, citizen)
    for language in ("sq", "en"):
        start, save, go_on, send, refused, first_line, how = WORDS[language]
        prefix = "/en" if language == "en" else ""
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{prefix}/shkoder/services/")
        page.get_by_role("link", name=NAME[language]).first.click()
        page.get_by_role("button", name=start).click()
        page.locator("#id_purpose").fill("Për tenderin")
        page.get_by_role("button", name=save).click()
        page.get_by_role("link", name=go_on).click()
        page.get_by_role("button", name=send).click()
        page.wait_for_url("**/receipt/")
        assert page.locator("#refusal-title").inner_text() == refused
        body = page.locator("#refusal").inner_text()
        assert body.startswith(first_line) and how in body
        # The amount as the reader's language writes it: "9 640,00 ALL", "9,640.00 ALL".
        assert format_all(owed, language) in body and all(r in body for r in references)
        assert page.locator("#receipt-status").inner_text() in ("Mbyllur", "Closed")
        case = Case.objects.filter(applicant_user=citizen).latest("pk")
        assert (case.status, case.decision) == ("closed", "rejected")
        receipt = page.url
        for width in (320, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(receipt)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            if SHOTS:
                page.screenshot(
                    path=f"{SHOTS}/clearance-refused-{language}-{width}.png", full_page=True
                )
            accessible(page)
        # The case page keeps the decision in the case's history.
        page.goto(prefix + reverse("services:case", args=["shkoder", case.number]))
        history = page.locator("main").inner_text()
        assert first_line in history and format_all(owed, language) in history
        accessible(page)
