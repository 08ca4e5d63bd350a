"""The services pages through Django's test client: what a citizen, a clerk and a specialist
see and can do, on SQLite and PostgreSQL."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from sportel.core.identifiers import with_check_letter
from sportel.core.models import AuditEntry, Person
from sportel.services import services, workflow
from sportel.services.models import Application, Case, CaseEvent

from .factories import CitizenFactory, case_in_state, submit


def url(name, municipality="shkoder", **kwargs):
    """The Albanian (unprefixed) URL, whatever language the last request left active."""
    with translation.override("sq"):
        return reverse(name, kwargs={"municipality_slug": municipality, **kwargs})


def sq_reverse(name, **kwargs):
    with translation.override("sq"):
        return reverse(name, kwargs=kwargs or None)


def verify_url(case):
    return sq_reverse("documents:verify-code", code=case.document_code)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_factory_citizen_is_stored_with_its_password_and_stays_logged_in(shkoder):
    # factory.django.Password hashes before the INSERT: the stored row has the password, so the
    # session's auth hash (derived from it) matches on the next request.
    citizen = CitizenFactory()
    stored = type(citizen).objects.get(pk=citizen.pk)
    assert stored.password == citizen.password
    assert stored.check_password("a-long-test-password")
    client = Client()
    client.force_login(citizen)  # the session keeps a hash of the in-memory password
    response = client.get(url("services:mine"))
    assert response.status_code == 200  # not sent back to the login page


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# --- catalogue and service page ------------------------------------------------------------------


def test_catalogue_lists_services_under_each_life_event(catalogue, client):
    page = client.get(url("services:catalogue")).content.decode()
    assert "Ndërrimi i banesës" in page  # moving home
    assert "Vërtetim" in page
    assert url("services:service", code="resident-parking-permit") in page


def test_search_finds_services_without_javascript_in_both_languages(catalogue, client):
    page = client.get(url("services:catalogue"), {"q": "parkim"}).content.decode()
    assert url("services:service", code="resident-parking-permit") in page
    page = client.get("/en" + url("services:catalogue"), {"q": "parking"}).content.decode()
    assert "1 service found" in page
    assert "/en" + url("services:service", code="resident-parking-permit") in page


def test_service_page_shows_fee_deadline_channels_and_documents_before_starting(catalogue, client):
    page = client.get("/en" + url("services:service", code="family-certificate")).content.decode()
    assert "50 ALL" in page
    assert "Online" in page and "At the counter" in page
    assert "Log in to apply" in page
    info = client.get(url("services:service", code="public-information-request")).content.decode()
    assert "10 ditë pune" in info  # law 119/2014


def test_other_municipality_has_its_own_catalogue_and_unknown_services_404(lezhe_catalogue, client):
    assert (
        client.get(url("services:service", "lezhe", code="residence-certificate")).status_code
        == 200
    )
    assert client.get(url("services:service", code="no-such-service")).status_code == 404


# --- applying online ---------------------------------------------------------------------------


def test_citizen_applies_in_steps_with_a_draft_and_gets_a_receipt(citizen):
    client = logged_in(citizen)
    start = url("services:apply", code="public-information-request")
    # Errors next to the field, in Albanian by default.
    response = client.post(start, {"continue": "1"})
    assert response.status_code == 200
    assert "Kjo fushë është e domosdoshme" in response.content.decode()
    assert not Application.objects.exists()
    # Save a draft with only part of the answers, come back later.
    response = client.post(
        start, {"save": "1", "information_description": "Buxheti i ndriçimit 2026"}
    )
    draft = Application.objects.get(created_by=citizen)
    assert response.url == url("services:draft-details", pk=draft.pk)
    again = client.get(response.url).content.decode()
    assert "Buxheti i ndriçimit 2026" in again
    assert (
        url("services:draft-details", pk=draft.pk)
        in client.get(url("services:mine")).content.decode()
    )
    # Continue with complete answers.
    response = client.post(
        url("services:draft-details", pk=draft.pk),
        {
            "continue": "1",
            "information_description": "Buxheti i ndriçimit 2026",
            "preferred_format": "email",
        },
    )
    assert response.url == url("services:draft-attachments", pk=draft.pk)
    # A file that is not a PDF, PNG or JPEG is refused with the reason, next to the field.
    refused = client.post(response.url, {"file": upload("notes.txt", b"hello")})
    assert refused.status_code == 200
    assert (
        "notes.txt nuk është skedar PDF, PNG ose JPEG; vetëm këto pranohen."
        in refused.content.decode()
    )
    assert not draft.attachments.exists()
    attached = client.post(response.url, {"file": upload("kerkesa.png", png_bytes())}, follow=True)
    assert "kerkesa.png" in attached.content.decode()
    assert draft.attachments.count() == 1
    review = client.get(url("services:draft-review", pk=draft.pk)).content.decode()
    assert "Buxheti i ndriçimit 2026" in review and "kerkesa.png" in review
    response = client.post(url("services:draft-review", pk=draft.pk))
    case = Case.objects.get(application=draft)
    assert response.url == url("services:receipt", number=case.number)
    receipt = client.get(response.url).content.decode()
    assert case.number in receipt and case.tracking_code_display in receipt
    assert case.channel == "online"
    # Submitting the same draft again (a double click) gives the same case.
    again = client.post(url("services:draft-review", pk=draft.pk))
    assert again.url == url("services:receipt", number=case.number)
    assert Case.objects.count() == 1


def test_form_errors_are_shown_in_english_on_the_english_page(citizen):
    client = logged_in(citizen)
    response = client.post(
        "/en" + url("services:apply", code="economic-assistance"),
        {"continue": "1", "household_size": "many"},
    )
    page = response.content.decode()
    assert "This field is required." in page
    assert 'id="id_household_size_error"' in page or "Enter a whole number" in page


def test_fee_is_shown_on_review_and_recorded_on_the_case(citizen):
    client = logged_in(citizen)
    response = client.post(
        url("services:apply", code="tax-clearance-certificate"),
        {"continue": "1", "purpose": "Tender"},
    )
    pk = Application.objects.get().pk
    assert response.url == url("services:draft-attachments", pk=pk)
    review = client.get(url("services:draft-review", pk=pk))
    assert review.status_code == 200
    submitted = client.post(url("services:draft-review", pk=pk))
    case = Case.objects.get()
    assert submitted.url == url("services:receipt", number=case.number)
    assert case.fee_due == (case.service_version.fee or 0)


def test_instant_certificate_is_issued_on_submission_with_a_link_to_the_sealed_pdf(citizen):
    client = logged_in(citizen)
    client.post(
        url("services:apply", code="residence-certificate"),
        {"continue": "1", "purpose": "Për bankën"},
    )
    pk = Application.objects.get().pk
    response = client.post(url("services:draft-review", pk=pk))
    case = Case.objects.get()
    assert case.status == workflow.CLOSED and case.document_code
    receipt = client.get(response.url).content.decode()
    assert verify_url(case) in receipt
    pdf = client.get(url("services:case-document", number=case.number))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_citizen_without_a_personal_number_is_told_before_the_form(catalogue):
    user = CitizenFactory(nid="", nid_verified=False)
    client = logged_in(user)
    page = client.get(url("services:service", code="residence-certificate")).content.decode()
    assert sq_reverse("accounts:nid") in page
    response = client.get(url("services:apply", code="residence-certificate"))
    assert response.status_code == 302


def test_someone_elses_draft_and_case_are_not_found(shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    other = logged_in(CitizenFactory())
    assert other.get(url("services:case", number=case.number)).status_code == 404
    assert other.get(url("services:receipt", number=case.number)).status_code == 404
    assert other.get(url("services:draft-details", pk=draft.pk)).status_code == 404


# --- after submission ------------------------------------------------------------------------


def test_my_applications_show_status_and_expected_date(shkoder, citizen):
    case = submit(shkoder, citizen)
    page = logged_in(citizen).get(url("services:mine")).content.decode()
    assert case.number in page
    assert "Kërkesa u mor" in page


def test_tracking_by_code_shows_status_and_dates_but_no_personal_data(shkoder, citizen, client):
    case = submit(shkoder, citizen)
    page = client.get(url("tracking:track"), {"code": case.tracking_code_display.lower()})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Kërkesa u mor" in text
    assert citizen.full_name not in text and citizen.nid not in text and case.number not in text
    # The same code under another municipality's address finds nothing.
    assert (
        client.get(url("tracking:track", "lezhe"), {"code": case.tracking_code}).status_code == 404
    )
    assert client.get(url("tracking:track"), {"code": "AAAA-BBBB-CCCC"}).status_code == 404


def test_notification_tracking_link_leads_to_the_municipality_tracking_page(
    shkoder, citizen, client
):
    case = submit(shkoder, citizen)
    response = client.get(f"/track/{case.tracking_code}")
    assert response.url == url("tracking:track") + f"?code={case.tracking_code}"


def test_specialist_asks_for_information_and_the_citizen_answers_on_the_case_page(
    shkoder, citizen, specialist, verified_client
):
    case = case_in_state(
        workflow.AWAITING_APPLICANT, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    staff = verified_client(specialist)
    assert staff.get(url("services-staff:case", number=case.number)).status_code == 200
    client = logged_in(citizen)
    page = client.get(url("services:case", number=case.number)).content.decode()
    assert "Më shumë të dhëna." in page
    # Who accessed my case: the specialist's read of the case file.
    assert specialist.full_name in page
    # An empty answer is refused next to the field; nothing changes.
    response = client.post(url("services:case-answer", number=case.number), {"message": ""})
    assert response.status_code == 200
    assert "Shkruani një përgjigje ose bashkëngjitni një skedar." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == workflow.AWAITING_APPLICANT
    response = client.post(
        url("services:case-answer", number=case.number),
        {"message": "Për të gjithë bashkinë.", "file": upload("shtese.png", png_bytes())},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == workflow.IN_PROGRESS
    assert case.application.attachments.count() == 1


def test_citizen_withdraws_an_open_case(shkoder, citizen):
    case = submit(shkoder, citizen)
    client = logged_in(citizen)
    withdraw = url("services:case-withdraw", number=case.number)
    assert withdraw in client.get(url("services:case", number=case.number)).content.decode()
    response = client.post(withdraw, {"reason": "x"}, follow=True)
    assert Case.objects.get(pk=case.pk).status == workflow.WITHDRAWN
    # The case page the citizen lands on says so, and offers withdrawing no more.
    assert "Kërkesa juaj u tërhoq." in response.content.decode()
    assert withdraw not in response.content.decode()


def test_moving_home_asks_once_and_opens_every_case_with_one_consent(catalogue, citizen):
    client = logged_in(citizen)
    form = {
        "new_address": "Rruga Kolë Idromeno 7",
        "household_members": "2",
        "has_car": "on",
        "vehicle_plate": "SH123AB",
        "idempotency_key": "k1",
    }
    refused = client.post(url("services:moving-home"), form)
    assert refused.status_code == 200 and not Case.objects.exists()
    response = client.post(url("services:moving-home"), {**form, "consent": "on"})
    assert response.status_code == 302
    overview = client.get(response.url).content.decode()
    cases = Case.objects.filter(applicant_user=citizen)
    assert cases.count() == 3
    for case in cases:
        assert case.number in overview
    # The same form posted twice opens nothing more.
    client.post(url("services:moving-home"), {**form, "consent": "on"})
    assert Case.objects.count() == 3


# --- kiosk --------------------------------------------------------------------------------------


def test_kiosk_files_through_the_kiosk_channel_with_the_large_touch_layout(citizen):
    client = logged_in(citizen)
    page = client.get(url("kiosk:catalogue")).content.decode()
    assert "sportel-kiosk" in page
    assert url("kiosk:service", code="building-permit-review") not in page  # online only
    client.post(url("kiosk:apply", code="residence-certificate"), {"continue": "1", "purpose": "x"})
    pk = Application.objects.get().pk
    response = client.post(url("kiosk:draft-review", pk=pk))
    case = Case.objects.get()
    assert case.channel == "kiosk"
    assert response.url == url("kiosk:receipt", number=case.number)
    assert "sportel-kiosk" in client.get(response.url).content.decode()
    # A shared screen: finishing logs the applicant out for the next person.
    client.post(url("kiosk:finish"))
    assert client.get(url("kiosk:receipt", number=case.number)).status_code == 302


# --- counter ------------------------------------------------------------------------------------


def test_clerk_serves_a_walk_in_from_nid_to_printed_receipt_and_fee(
    catalogue, clerk, verified_client
):
    client = verified_client(clerk)
    counter = url("services-staff:counter")
    # A malformed NID is refused with the reason.
    page = client.post(
        counter, {"nid": "123", "language": "sq", "identity_document": "id_card"}
    ).content.decode()
    assert "duhet të ketë 10 karaktere" in page
    # A wrong check letter is a warning the clerk must confirm.
    nid = with_check_letter("I05101999")
    wrong = nid[:9] + ("A" if nid[9] != "A" else "B")
    page = client.post(
        counter, {"nid": wrong, "language": "sq", "identity_document": "id_card"}
    ).content.decode()
    assert "confirm_check_letter" in page
    # Unknown person: names needed, then registered.
    page = client.post(
        counter, {"nid": nid, "language": "sq", "identity_document": "id_card"}
    ).content.decode()
    assert "Ky person nuk është ende në regjistër: shkruani emrin dhe mbiemrin." in page
    response = client.post(
        counter,
        {
            "nid": nid,
            "first_name": "Gjon",
            "last_name": "Leka",
            "language": "sq",
            "identity_document": "id_card",
        },
    )
    assert response.url == url("services-staff:counter-services")
    assert Person.objects.filter(municipality=catalogue, nid=nid).exists()
    assert "Gjon Leka" in client.get(response.url).content.decode()
    apply = url("services-staff:counter-apply", code="family-certificate")
    assert "50 ALL" in client.get(apply).content.decode()
    response = client.post(apply, {"purpose": "Për shkollën", "idempotency_key": "c1"})
    case = Case.objects.get()
    assert response.url == url("services-staff:counter-receipt", number=case.number)
    assert case.channel == "counter" and case.clerk == clerk
    assert case.applicant_person.nid == nid
    receipt = client.get(response.url).content.decode()
    assert case.number in receipt and "Gjon Leka" in receipt
    # The same form posted again (double click) files nothing more.
    client.post(apply, {"purpose": "Për shkollën", "idempotency_key": "c1"})
    assert Case.objects.count() == 1
    # Fee paid at the counter: the instant certificate is then issued.
    client.post(
        url("services-staff:case-action", number=case.number, action="mark_fee_paid"),
        {"receipt": "A-1", "next": "receipt"},
    )
    case.refresh_from_db()
    assert case.fee_paid and case.fee_paid_by == clerk
    assert case.document_code


def test_walk_in_with_a_confirmed_wrong_check_letter_is_registered_as_overridden(
    catalogue, clerk, verified_client
):
    client = verified_client(clerk)
    nid = with_check_letter("I05101998")
    wrong = nid[:9] + ("A" if nid[9] != "A" else "B")
    client.post(
        url("services-staff:counter"),
        {
            "nid": wrong,
            "confirm_check_letter": "on",
            "identity_document": "id_card",
            "first_name": "Ana",
            "last_name": "Gjini",
            "language": "en",
        },
    )
    assert Person.objects.get(nid=wrong).nid_check_overridden


def test_counter_needs_a_walk_in_first(catalogue, clerk, verified_client):
    client = verified_client(clerk)
    response = client.get(url("services-staff:counter-apply", code="family-certificate"))
    assert response.url == url("services-staff:counter")


def test_a_specialist_has_no_counter(catalogue, specialist, verified_client):
    assert verified_client(specialist).get(url("services-staff:counter")).status_code == 403


# --- back office ----------------------------------------------------------------------------


def test_queue_sorts_by_legal_end_filters_and_tags(shkoder, citizen, specialist, verified_client):
    info = submit(shkoder, citizen, "public-information-request")
    eco = submit(shkoder, citizen, "economic-assistance")
    client = verified_client(specialist)
    page = client.get(url("services-staff:queue")).content.decode()
    # Cases without a legal end come last.
    first, second = sorted([info, eco], key=lambda c: (c.legal_end is None, c.legal_end, c.pk))
    assert page.index(first.number) < page.index(second.number)
    assert "Në kohë" in page
    filtered = client.get(url("services-staff:queue"), {"service": "economic-assistance"})
    assert eco.number in filtered.content.decode()
    assert info.number not in filtered.content.decode()
    mine = client.get(url("services-staff:queue"), {"assignee": "none"}).content.decode()
    assert info.number in mine


def test_queue_of_lezhe_does_not_show_shkoder_cases(
    shkoder, lezhe, citizen, lezhe_specialist, verified_client
):
    case = submit(shkoder, citizen)
    page = verified_client(lezhe_specialist).get(url("services-staff:queue", "lezhe"))
    assert case.number not in page.content.decode()
    assert (
        verified_client(lezhe_specialist)
        .get(url("services-staff:case", "lezhe", number=case.number))
        .status_code
        == 404
    )


def test_case_file_read_is_audited(shkoder, citizen, specialist, verified_client):
    case = submit(shkoder, citizen)
    before = AuditEntry.objects.filter(action="person.read").count()
    page = verified_client(specialist).get(url("services-staff:case", number=case.number))
    assert citizen.nid in page.content.decode()
    assert AuditEntry.objects.filter(action="person.read").count() == before + 1


def test_specialist_works_a_case_from_assignment_to_closure(
    shkoder, citizen, specialist, verified_client
):
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    client = verified_client(specialist)

    def act(action, said="", **data):
        response = client.post(
            url("services-staff:case-action", number=case.number, action=action), data
        )
        if said:  # done: back on the case file, which says so
            assert response.status_code == 302
            assert said in client.get(response.url).content.decode()
        return response

    act("assign", "Kërkesa u caktua.", assignee=str(specialist.pk))
    act("start", "Puna për kërkesën filloi.")
    assert Case.objects.get(pk=case.pk).status == workflow.IN_PROGRESS
    # A request without a message is refused next to the field.
    refused = act("request_info", message="")
    assert refused.status_code == 400
    assert Case.objects.get(pk=case.pk).status == workflow.IN_PROGRESS
    act("request_info", "afati është ndalur", message="Dërgoni NIPT-in.")
    assert Case.objects.get(pk=case.pk).status == workflow.AWAITING_APPLICANT
    services.answer_info(Case.objects.get(pk=case.pk), actor=citizen, message="OK")
    act("note", "Shënimi u shtua.", text="Kontrolluar në regjistër.")
    act("note", "Shënimi u shtua.", text="Po e përpunojmë.", public="on")
    act("approve", "Kërkesa u miratua.")
    case.refresh_from_db()
    assert case.status == workflow.APPROVED and not case.fee_due
    response = act("issue_document", "Dokumenti u lëshua dhe u vulos.")
    case.refresh_from_db()
    assert case.status == workflow.DOCUMENT_ISSUED
    page = client.get(url("services-staff:case", number=case.number)).content.decode()
    assert verify_url(case) in page
    assert client.get(url("services-staff:case-document", number=case.number)).status_code == 200
    act("close", "Kërkesa u mbyll.")
    assert Case.objects.get(pk=case.pk).status == workflow.CLOSED
    assert response.status_code == 302
    # The applicant sees the public note, never the internal one.
    citizen_page = logged_in(citizen).get(url("services:case", number=case.number)).content.decode()
    assert "Po e përpunojmë." in citizen_page
    assert "Kontrolluar në regjistër." not in citizen_page


def test_illegal_action_shows_a_clear_error_and_changes_nothing(
    shkoder, citizen, specialist, verified_client
):
    case = submit(shkoder, citizen)
    events = CaseEvent.objects.filter(case=case).count()
    client = verified_client(specialist)
    response = client.post(
        url("services-staff:case-action", number=case.number, action="approve"), follow=True
    )
    assert response.redirect_chain[-1][0] == url("services-staff:case", number=case.number)
    assert "Nuk mund të miratoni një kërkesë që është „Dorëzuar“." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == workflow.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == events


def test_clerk_cannot_decide_a_case(shkoder, citizen, specialist, clerk, verified_client):
    case = case_in_state(
        workflow.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    client = verified_client(clerk)
    page = client.get(url("services-staff:case", number=case.number)).content.decode()
    assert 'value="approve"' not in page
    assert "/approve/" not in page
    response = client.post(
        url("services-staff:case-action", number=case.number, action="approve"), follow=True
    )
    assert "Nuk keni leje ta bëni këtë në këtë bashki." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == workflow.IN_PROGRESS


def test_rejection_needs_reason_and_legal_basis(shkoder, citizen, specialist, verified_client):
    case = case_in_state(
        workflow.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    client = verified_client(specialist)
    action = url("services-staff:case-action", number=case.number, action="reject")
    refused = client.post(action, {"reason": "Jo"})
    assert refused.status_code == 400
    assert "Kjo fushë është e domosdoshme." in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == workflow.IN_PROGRESS
    done = client.post(
        action, {"reason": "Jo", "legal_basis": "Ligji 119/2014, neni 17"}, follow=True
    )
    assert "Kërkesa u refuzua." in done.content.decode()
    assert Case.objects.get(pk=case.pk).status == workflow.REJECTED


def test_extension_beyond_the_maximum_is_refused(shkoder, citizen, specialist, verified_client):
    case = case_in_state(
        workflow.IN_PROGRESS, municipality=shkoder, citizen=citizen, specialist=specialist
    )
    client = verified_client(specialist)
    action = url("services-staff:case-action", number=case.number, action="extend")
    legal_end = case.legal_end
    response = client.post(action, {"days": "50", "reason": "Arkiv"})
    # Redisplayed with the reason next to the field, nothing changed.
    assert response.status_code == 400
    assert "Më së shumti 5 ditë pune zgjatje; mbeten 5." in response.content.decode()
    assert Case.objects.get(pk=case.pk).legal_end == legal_end


@pytest.mark.parametrize("name", ["services:catalogue", "services:mine", "tracking:track"])
def test_municipality_home_links_to_services(name, shkoder, client):
    page = client.get(url("municipality-home")).content.decode()
    assert url(name) in page


def test_staff_home_links_to_counter_and_cases(shkoder, clerk, verified_client):
    from sportel.services.web_links import register_links

    # tests/accounts/test_staff.py empties the shared registry after its own test; registering
    # again is idempotent and makes this test independent of the order tests run in.
    register_links()
    page = verified_client(clerk).get(url("staff:home")).content.decode()
    assert url("services-staff:counter") in page and url("services-staff:queue") in page


def test_queue_tags_cases_due_soon_and_overdue_as_time_passes(
    shkoder, citizen, specialist, verified_client
):
    import datetime as dt

    import time_machine

    from sportel.core.calendar import TIRANE

    case = submit(shkoder, citizen)  # public information: 10 working days

    def tag_on(day):
        moment = dt.datetime.combine(day, dt.time(10), tzinfo=TIRANE)
        with time_machine.travel(moment, tick=False):
            # A fresh login each day: a staff session lasts hours, not weeks.
            client = verified_client(specialist)
            page = client.get(url("services-staff:queue")).content.decode()
        row = page[page.index(case.number) :]
        return row[: row.index("</tr>")]

    assert "govuk-tag--green" in tag_on(case.submitted_at.astimezone(TIRANE).date())
    assert "govuk-tag--yellow" in tag_on(case.legal_end)
    assert "govuk-tag--red" in tag_on(case.legal_end + dt.timedelta(days=1))


def test_the_account_page_leads_to_my_applications_and_the_services(client, citizen, shkoder):
    """Not a dead end (issue 8 §3): before any application it points to the municipalities;
    after one, to that municipality's "my applications" and services."""
    client.force_login(citizen)
    html = client.get("/en/account/").content.decode()
    assert "You have not applied for anything yet." in html
    assert 'href="/en/"' in html
    submit(shkoder, citizen)
    html = client.get("/en/account/").content.decode()
    listed = html.split('id="account-municipalities"')[1].split("</ul>")[0]
    assert "Shkodër" in listed
    assert 'href="/en/shkoder/services/mine/"' in listed
    assert 'href="/en/shkoder/services/"' in listed
