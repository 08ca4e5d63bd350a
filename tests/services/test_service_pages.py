"""What residents read on the service pages, and that a fee, a deadline and a date read the same
on every page that shows them (issue 8 §3). On SQLite and PostgreSQL."""

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.utils import translation

from sportel.core.calendar import local_today
from sportel.core.identifiers import with_check_letter
from sportel.services.catalogue import catalogue_data
from sportel.services.models import Case

from .factories import case_in_state, submit
from .test_catalogue import RESEARCH_PHRASES
from .test_views import url

CODES = [spec["code"] for spec in catalogue_data()["services"]]
UNKNOWN_FEE_SQ = "E cakton vendimi i Këshillit Bashkiak; sporteli ju thotë shumën"
UNKNOWN_FEE_EN = "Set by the municipal council's decision; the counter tells you the amount"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(client, path: str, language: str = "sq") -> str:
    prefix = "/en" if language == "en" else ""
    response = client.get(prefix + path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def main_text(page: str) -> str:
    """The visible words of the page's main content, without tags."""
    main = page.split('id="main-content"', 1)[-1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def fee_cell(page: str, cell_id: str) -> str:
    match = re.search(rf'id="{cell_id}">(.*?)</dd>', page, re.S)
    assert match, cell_id
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip())


# --- descriptions, not research notes ------------------------------------------------------


@pytest.mark.parametrize("language", ["sq", "en"])
def test_no_service_page_shows_research_notes(catalogue, client, language):
    for code in CODES:
        text = main_text(page_of(client, url("services:service", code=code), language))
        lowered = text.casefold()
        said = [phrase for phrase in RESEARCH_PHRASES if phrase in lowered]
        assert not said, (code, language, said)
        spec = next(s for s in catalogue_data()["services"] if s["code"] == code)
        assert spec[f"description_{language}"][:40] in text, (code, language)


def test_the_sources_note_is_kept_for_staff_on_the_counter_page(catalogue, clerk, verified_client):
    client = verified_client(clerk)
    nid = with_check_letter("I05101990")
    client.post(
        url("services-staff:counter"),
        {
            "nid": nid,
            "first_name": "Gjon",
            "last_name": "Leka",
            "language": "sq",
            "identity_document": "id_card",
        },
    )
    page = client.get(url("services-staff:counter-apply", code="archive-copy")).content.decode()
    assert 'id="sources-note"' in page and "VKB 109/2019" in page


def test_who_may_apply_is_said_in_plain_words(catalogue, client):
    page = page_of(client, url("services:service", code="residence-certificate"), "en")
    assert fee_cell(page, "service-applicant") == "Residents (individuals)"
    page = page_of(client, url("services:service", code="sign-permit"), "en")
    assert fee_cell(page, "service-applicant") == "Businesses"
    page = page_of(client, url("services:service", code="archive-copy"), "sq")
    assert fee_cell(page, "service-applicant") == "Banorët dhe bizneset"


def test_a_service_filed_only_on_e_albania_links_there_instead_of_log_in(catalogue, citizen):
    client = Client()
    page = page_of(client, url("services:service", code="building-permit-review"), "en")
    assert "Log in to apply" not in page
    assert 'href="https://e-albania.al/eAlbaniaServices/UseService.aspx?service_code=6093"' in page
    assert "Apply on e-Albania" in page
    # Its fee is paid there, not at a counter here.
    assert "counter" not in fee_cell(page, "service-fee")
    assert 'id="fee-note"' not in page
    page = page_of(logged_in(citizen), url("services:service", code="building-permit-review"))
    assert "Fillo tani" not in page and "Start now" not in page
    response = logged_in(citizen).get(url("services:apply", code="building-permit-review"))
    assert response.status_code == 302
    assert response.url == url("services:service", code="building-permit-review")


# --- one fee, the same on every page ----------------------------------------------------------


def test_a_fee_reads_the_same_from_service_page_to_staff_case(
    catalogue, citizen, specialist, verified_client
):
    client = logged_in(citizen)
    page = page_of(client, url("services:service", code="family-certificate"), "en")
    assert fee_cell(page, "service-fee") == "50 ALL"
    # Before starting: the fee is paid at the counter, so "instant" is not promised online.
    assert "paid at the one-stop-shop counter" in page
    assert "As soon as you have paid the fee at the one-stop-shop counter" in page
    catalogue_page = page_of(client, url("services:catalogue"), "en")
    assert "Instant after payment" in catalogue_page

    case = submit(catalogue, citizen, "family-certificate")
    assert case.fee_due == 50 and not case.document_code
    receipt = page_of(client, url("services:receipt", number=case.number), "en")
    assert fee_cell(receipt, "receipt-fee") == "50 ALL — Not paid yet"
    case_page = page_of(client, url("services:case", number=case.number), "en")
    assert fee_cell(case_page, "case-fee") == "50 ALL — Not paid yet"
    staff = verified_client(specialist)
    staff_page = page_of(staff, url("services-staff:case", number=case.number), "en")
    assert fee_cell(staff_page, "staff-fee") == "50 ALL — Not paid yet"


@pytest.mark.parametrize("language", ["sq", "en"])
def test_an_unpublished_fee_is_never_called_free(
    catalogue, citizen, specialist, verified_client, language
):
    expected = UNKNOWN_FEE_EN if language == "en" else UNKNOWN_FEE_SQ
    client = logged_in(citizen)
    page = page_of(client, url("services:service", code="archive-copy"), language)
    assert fee_cell(page, "service-fee") == expected
    assert 'id="fee-note"' in page  # what to do about it, before starting

    # The review step of a draft.
    response = client.post(
        url("services:apply", code="archive-copy"),
        {"documents_wanted": "Vendimi i Këshillit nr. 12/2020", "copies": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = citizen_draft(citizen)
    review = page_of(client, url("services:draft-review", pk=draft.pk), language)
    assert fee_cell(review, "fee-due") == expected

    case = submit(
        catalogue,
        citizen,
        "archive-copy",
        data={"documents_wanted": "Vendimi i Këshillit nr. 12/2020", "copies": 1},
    )
    receipt = page_of(client, url("services:receipt", number=case.number), language)
    assert fee_cell(receipt, "receipt-fee") == expected
    case_page = page_of(client, url("services:case", number=case.number), language)
    assert fee_cell(case_page, "case-fee") == expected
    staff_page = page_of(
        verified_client(specialist), url("services-staff:case", number=case.number), language
    )
    assert fee_cell(staff_page, "staff-fee") == expected
    for shown in (page, review, receipt, case_page, staff_page):
        assert ">Free<" not in shown and ">Falas<" not in shown


def citizen_draft(citizen):
    from sportel.services.models import Application

    return Application.objects.filter(created_by=citizen, status="draft").latest("pk")


def test_a_free_service_says_free_everywhere(catalogue, citizen):
    client = logged_in(citizen)
    page = page_of(client, url("services:service", code="residence-certificate"), "en")
    assert fee_cell(page, "service-fee") == "Free"
    assert 'id="fee-note"' not in page
    case = submit(catalogue, citizen, "residence-certificate")
    receipt = page_of(client, url("services:receipt", number=case.number), "en")
    assert fee_cell(receipt, "receipt-fee") == "Free"


# --- deadlines ----------------------------------------------------------------------------------


def test_a_same_day_deadline_reads_the_same_on_the_public_page_and_the_counter(
    catalogue, client, clerk, verified_client
):
    page = page_of(client, url("services:service", code="burial-permit"), "en")
    assert fee_cell(page, "service-legal-deadline").startswith("The same working day")
    assert "Not set by law" not in page
    staff = verified_client(clerk)
    staff.post(
        url("services-staff:counter"),
        {
            "nid": with_check_letter("I05101991"),
            "first_name": "Agim",
            "last_name": "Berisha",
            "language": "sq",
            "identity_document": "id_card",
        },
    )
    counter = page_of(staff, url("services-staff:counter-apply", code="burial-permit"), "en")
    assert fee_cell(counter, "counter-legal-deadline").startswith("The same working day")


def test_a_case_without_a_legal_deadline_is_not_on_time_nor_suspended(
    catalogue, citizen, specialist, verified_client
):
    case = case_in_state(
        "awaiting_applicant",
        municipality=catalogue,
        citizen=citizen,
        specialist=specialist,
        code="economic-assistance",
    )
    assert case.legal_end is None and case.suspended_since
    assert case.deadline_state() == "no_deadline"
    staff_page = page_of(
        verified_client(specialist), url("services-staff:case", number=case.number), "en"
    )
    assert fee_cell(staff_page, "legal-end") == "No legal deadline"
    case_page = page_of(logged_in(citizen), url("services:case", number=case.number), "en")
    status = fee_cell(case_page, "case-status")
    assert "No legal deadline" in status and "On time" not in status


def test_service_page_without_legal_deadline_says_so(catalogue, client):
    page = page_of(client, url("services:service", code="economic-assistance"), "sq")
    assert fee_cell(page, "service-legal-deadline") == "Nuk ka afat ligjor"


# --- progress, dates ---------------------------------------------------------------------------


def test_a_closed_case_lists_only_the_steps_it_went_through(catalogue, citizen):
    case = submit(catalogue, citizen, "residence-certificate")
    case.refresh_from_db()
    assert not case.is_open
    page = page_of(logged_in(citizen), url("services:case", number=case.number), "en")
    progress = page.split('aria-label="Progress of the case"', 1)[1].split("</ol>", 1)[0]
    assert "Assigned to a specialist" not in progress
    assert "Waiting for information from you" not in progress
    assert "Request received" in progress


def test_dates_in_answers_are_written_in_the_readers_language(catalogue, citizen, specialist):
    case = submit(
        catalogue,
        citizen,
        "kindergarten-enrolment",
        data={"child_name": "Ema Krasniqi", "child_birth_date": "2023-05-14"},
    )
    client = logged_in(citizen)
    page = page_of(client, url("services:case", number=case.number), "en")
    assert "14 May 2023" in page and "2023-05-14" not in main_text(page)
    page = page_of(client, url("services:case", number=case.number), "sq")
    assert "14 maj 2023" in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("sq", "Kjo datë nuk mund të jetë në të ardhmen."),
        ("en", "This date cannot be in the future."),
    ],
)
def test_a_date_of_birth_in_the_future_is_refused(catalogue, citizen, language, message):
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    client = logged_in(citizen)
    prefix = "/en" if language == "en" else ""
    response = client.post(
        prefix + url("services:apply", code="kindergarten-enrolment"),
        {"child_name": "Ema Krasniqi", "child_birth_date": tomorrow},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    # Through the services too (the API's path): nothing is filed.
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError):
        submit(
            catalogue,
            citizen,
            "kindergarten-enrolment",
            data={"child_name": "Ema Krasniqi", "child_birth_date": tomorrow},
        )
    assert not Case.objects.exists()
    # Today is fine.
    response = client.post(
        prefix + url("services:apply", code="kindergarten-enrolment"),
        {"child_name": "Ema Krasniqi", "child_birth_date": local_today().isoformat()},
    )
    assert response.status_code == 302


def test_a_wrong_check_letter_at_the_counter_points_to_the_override(
    catalogue, clerk, verified_client
):
    nid = with_check_letter("I05101992")
    wrong = nid[:9] + ("A" if nid[9] != "A" else "B")
    page = verified_client(clerk).post(
        "/en" + url("services-staff:counter"),
        {"nid": wrong, "language": "sq", "identity_document": "id_card"},
    )
    text = page.content.decode()
    assert "tick “The number is correct as on the card”" in text
    assert "The number is correct as on the card" in text


def test_the_sources_note_is_on_the_administrators_version_page(catalogue, verified_client):
    from sportel.accounts.models import User
    from sportel.services.models import ServiceType

    operator = User.objects.create_superuser(
        "operator@test.sportel.al",
        password="a-long-test-password",
        email="operator@test.sportel.al",
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=operator, name="operator", confirmed=True)  # the admin's TOTP
    version = ServiceType.objects.get(municipality=catalogue, code="archive-copy").current_version
    client = verified_client(operator)
    response = client.get(f"/admin/services/servicetypeversion/{version.pk}/change/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode()).casefold()
    assert "burimet dhe shënimet e kërkimit" in page  # the field's label
    assert "vkb 109/2019" in page
