"""Applications and case work through services.py: what a citizen, a clerk and a specialist get."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from sportel.core.models import AuditEntry, Notification, Person
from sportel.documents.models import IssuedDocument
from sportel.services import selectors, services, workflow
from sportel.services.catalogue import publish_version
from sportel.services.models import (
    Application,
    AssignmentRule,
    Attachment,
    Bundle,
    Case,
    ServiceType,
)

from .factories import INFO, CitizenFactory, new_nipt, submit


def counts():
    return (
        Case.objects.count(),
        Application.objects.count(),
        Person.objects.count(),
        AuditEntry.objects.count(),
        Attachment.objects.count(),
        Notification.objects.count(),
    )


def png(exif: bool = False) -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCamera"  # Make
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


# --- submission --------------------------------------------------------------------------------


def test_online_submission_opens_a_numbered_case_with_receipt_data(shkoder, citizen):
    case = submit(shkoder, citizen)
    assert case.number == "SHK-2026-000001"
    assert case.status == workflow.SUBMITTED
    assert len(case.tracking_code) == 12 and case.tracking_code.isalnum()
    assert case.channel == "online" and case.clerk is None
    assert case.applicant_user == citizen
    assert case.applicant_person.nid == citizen.nid
    assert case.legal_end is not None
    assert case.application.status == Application.Status.SUBMITTED
    assert case.events.get().action == "submit"
    assert AuditEntry.objects.filter(action="case.submit", object_id=str(case.pk)).exists()


def test_numbers_are_sequential_per_municipality(shkoder, lezhe_catalogue, citizen):
    a = submit(shkoder, citizen)
    b = submit(shkoder, citizen)
    c = submit(lezhe_catalogue, citizen)
    assert b.seq == a.seq + 1
    assert c.number.startswith("LEZ-") and c.seq == 1


def test_same_idempotency_key_gives_the_same_case(shkoder, citizen):
    first = submit(shkoder, citizen, idempotency_key="abc-123")
    before = counts()
    again = submit(shkoder, citizen, idempotency_key="abc-123")
    assert again.pk == first.pk
    assert counts() == before


def test_another_account_with_the_same_key_gets_its_own_case(shkoder, citizen):
    other = CitizenFactory()
    mine = submit(shkoder, citizen, idempotency_key="same")
    theirs = submit(shkoder, other, idempotency_key="same")
    assert mine.pk != theirs.pk


def test_missing_field_is_refused_in_both_languages_and_nothing_is_written(shkoder, citizen):
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as en:
        submit(shkoder, citizen, data={"preferred_format": "email"})
    with translation.override("sq"), pytest.raises(ValidationError) as sq:
        submit(shkoder, citizen, data={"preferred_format": "email"})
    assert "information_description" in en.value.message_dict
    assert (
        en.value.message_dict["information_description"]
        != sq.value.message_dict["information_description"]
    )
    assert counts() == before


def test_a_value_outside_the_form_is_refused(shkoder, citizen):
    with pytest.raises(ValidationError) as refused:
        submit(shkoder, citizen, data={**INFO, "preferred_format": "pigeon"})
    assert "preferred_format" in refused.value.message_dict


def test_a_channel_the_service_does_not_offer_is_refused(shkoder, citizen):
    with pytest.raises(ValidationError) as refused:
        submit(shkoder, citizen, "civil-record-certificate", channel="kiosk", data={})
    assert "channel" in refused.value.message_dict


def test_a_substantial_service_needs_the_personal_number(shkoder, catalogue):
    user = CitizenFactory(nid="", nid_verified=False)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        submit(shkoder, user, "tax-clearance-certificate")
    assert refused.value.code == "assurance"
    assert counts() == before
    # A low-assurance service is open to a confirmed account without one.
    assert submit(shkoder, user).status == workflow.SUBMITTED


def test_a_business_service_needs_a_nipt(shkoder, citizen):
    with pytest.raises(ValidationError) as refused:
        submit(
            shkoder,
            citizen,
            "sign-permit",
            data={
                "location": "Rruga Kolë Idromeno 3",
                "sign_text": "Kafe",
                "width_m": 2,
                "height_m": 1,
            },
        )
    assert "nipt" in refused.value.message_dict
    case = submit(
        shkoder,
        citizen,
        "sign-permit",
        data={
            "location": "Rruga Kolë Idromeno 3",
            "sign_text": "Kafe",
            "width_m": 2,
            "height_m": 1,
        },
        business={"nipt": new_nipt(), "name": "Kafe Test"},
    )
    assert case.applicant_business.name == "Kafe Test"
    # Online a typed NIPT is a claim: it does not make the applicant the business's
    # representative (only a clerk who saw the papers does, at the counter).
    assert case.applicant_person not in case.applicant_business.representatives.all()


# --- counter -----------------------------------------------------------------------------------


WALK_IN = {
    "nid": "H85412037N",
    "first_name": "Gjon",
    "last_name": "Leka",
    "phone": "+355691234567",
    "identity_document": "id_card",
}


def test_clerk_files_for_a_walk_in_identified_by_nid(shkoder, catalogue, clerk):
    case = services.submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "Tender"},
        actor=clerk,
        channel="counter",
        walk_in=WALK_IN,
    )
    assert case.channel == "counter" and case.clerk == clerk
    assert case.applicant_person.nid == "H85412037N"
    assert case.applicant_user is None
    assert AuditEntry.objects.get(action="case.submit").actor_role == "clerk"


def test_a_walk_in_with_only_a_phone_is_told_by_sms_in_the_language_they_asked_for(
    shkoder, catalogue, clerk
):
    case = services.submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "Tender"},
        actor=clerk,
        channel="counter",
        walk_in={**WALK_IN, "language": "en"},
    )
    [sms] = Notification.objects.filter(person=case.applicant_person)
    assert (sms.channel, sms.recipient, sms.language) == ("sms", "+355691234567", "en")
    assert case.number in sms.body and "received" in sms.body.lower()


def test_counter_refuses_an_invalid_nid_and_writes_nothing(shkoder, catalogue, clerk):
    before = counts()
    for nid in ("12345", "J1234567AB"):
        with pytest.raises(ValidationError) as refused:
            services.submit_application(
                shkoder,
                service="tax-clearance-certificate",
                data={"purpose": "x"},
                actor=clerk,
                channel="counter",
                walk_in={**WALK_IN, "nid": nid},
            )
        assert "nid" in refused.value.message_dict
    assert counts() == before


def test_a_wrong_check_letter_needs_the_clerks_override(shkoder, catalogue, clerk):
    wrong = "H85412037A"
    with pytest.raises(ValidationError) as refused:
        services.submit_application(
            shkoder,
            service="tax-clearance-certificate",
            data={"purpose": "x"},
            actor=clerk,
            channel="counter",
            walk_in={**WALK_IN, "nid": wrong},
        )
    assert refused.value.error_dict["nid"][0].code == "check_letter"
    case = services.submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "x"},
        actor=clerk,
        channel="counter",
        walk_in={**WALK_IN, "nid": wrong},
        override_check=True,
    )
    assert case.applicant_person.nid_check_overridden


def test_a_citizen_cannot_use_the_counter_channel(shkoder, citizen):
    with pytest.raises(PermissionDenied):
        submit(shkoder, citizen, channel="counter", walk_in=WALK_IN)


def test_lezhe_clerk_cannot_file_at_the_shkoder_counter(shkoder, catalogue, lezhe_clerk):
    with pytest.raises(PermissionDenied):
        services.submit_application(
            shkoder,
            service="tax-clearance-certificate",
            data={"purpose": "x"},
            actor=lezhe_clerk,
            channel="counter",
            walk_in=WALK_IN,
        )


# --- drafts and attachments ---------------------------------------------------------------------


def test_draft_then_attachment_then_submit(shkoder, citizen):
    draft = services.save_draft(
        shkoder,
        service="public-information-request",
        actor=citizen,
        data={"preferred_format": "paper", "bogus": 1},
    )
    assert draft.data == {"preferred_format": "paper"}
    services.add_attachment(draft, actor=citizen, upload=SimpleUploadedFile("plan.png", png()))
    case = services.submit_application(
        shkoder,
        service="public-information-request",
        actor=citizen,
        draft=draft,
        data={"information_description": "Vendimet e këshillit për 2025."},
    )
    assert case.application_id == draft.pk
    assert case.application.data["preferred_format"] == "paper"
    assert case.application.attachments.count() == 1


def test_a_draft_is_only_its_owners(shkoder, citizen):
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    with pytest.raises(PermissionDenied):
        services.add_attachment(
            draft, actor=CitizenFactory(), upload=SimpleUploadedFile("a.png", png())
        )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("virus.exe", b"MZ\x90\x00 not a document", "PDF, PNG or JPEG"),
        ("fake.pdf", b"hello, I am text", "PDF, PNG or JPEG"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        ("cut.pdf", b"%PDF-1.7\n1 0 obj\n", "complete PDF"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_bad_attachment_is_refused_with_its_reason(shkoder, citizen, name, content, reason):
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.add_attachment(draft, actor=citizen, upload=SimpleUploadedFile(name, content))
    assert reason in refused.value.message_dict["attachments"][0]
    assert name in refused.value.message_dict["attachments"][0]
    assert draft.attachments.count() == 0


def test_a_too_large_attachment_is_refused(shkoder, citizen, settings):
    settings.SPORTEL_MAX_UPLOAD_BYTES = 1024 * 1024
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.add_attachment(draft, actor=citizen, upload=SimpleUploadedFile("big.pdf", big))
    assert "larger than 1 MB" in refused.value.message_dict["attachments"][0]


def test_an_image_is_reencoded_without_its_metadata(shkoder, citizen):
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    photo = png(exif=True)
    assert b"SecretCamera" in photo
    attachment = services.add_attachment(
        draft, actor=citizen, upload=SimpleUploadedFile("photo.jpg", photo)
    )
    stored = attachment.file.read()
    assert attachment.content_type == "image/jpeg"
    assert b"SecretCamera" not in stored
    assert Image.open(io.BytesIO(stored)).size == (8, 8)


def test_a_file_is_kept_and_served_under_the_name_of_what_it_is(
    shkoder, citizen, specialist, verified_client
):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format="PNG")
    draft = services.save_draft(
        shkoder, service="public-information-request", actor=citizen, data={}
    )
    attachment = services.add_attachment(
        draft, actor=citizen, upload=SimpleUploadedFile("scan.pdf", out.getvalue())
    )
    assert attachment.original_name == "scan.png"
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png")
    case = services.submit_application(
        shkoder,
        service="public-information-request",
        actor=citizen,
        draft=draft,
        data={"information_description": "Vendimet e këshillit.", "preferred_format": "paper"},
    )
    client = verified_client(specialist)
    downloaded = client.get(f"/shkoder/staff/cases/{case.number}/attachments/{attachment.pk}/")
    assert downloaded.status_code == 200, downloaded
    assert downloaded["Content-Type"] == "image/png"
    assert 'filename="scan.png"' in downloaded["Content-Disposition"]


# --- instant services -------------------------------------------------------------------------


def test_instant_certificate_goes_from_application_to_sealed_document_in_one_call(shkoder, citizen):
    case = submit(shkoder, citizen, "residence-certificate")
    assert case.status == workflow.CLOSED
    assert case.decision == "approved"
    document = IssuedDocument.objects.get(code=case.document_code)
    assert document.case_reference == case.number
    assert document.document_type == "residence_certificate"
    assert document.municipality == shkoder


def test_instant_service_with_a_fee_waits_for_payment_then_issues(shkoder, citizen, clerk):
    case = submit(shkoder, citizen, "family-certificate")
    assert case.status == workflow.APPROVED
    assert case.fee_due == 50 and not case.fee_paid
    assert not case.document_code
    services.mark_fee_paid(case, actor=clerk, receipt="Arka 17")
    assert case.fee_paid and case.fee_paid_by == clerk
    assert case.status == workflow.CLOSED
    assert IssuedDocument.objects.filter(code=case.document_code).exists()


def test_at_the_counter_a_paid_instant_certificate_is_issued_at_once(shkoder, catalogue, clerk):
    case = services.submit_application(
        shkoder,
        service="family-certificate",
        data={},
        actor=clerk,
        channel="counter",
        walk_in=WALK_IN,
        fee_paid=True,
    )
    assert case.status == workflow.CLOSED and case.document_code


def test_instant_check_failing_leaves_the_case_to_a_specialist(shkoder, catalogue):
    # An account whose NID nobody verified: a typed number is a claim (decision 0010).
    user = CitizenFactory(nid_verified=False)
    case = submit(shkoder, user, "residence-certificate")
    assert case.status == workflow.SUBMITTED
    note = case.events.get(action="note")
    assert note.visibility == "internal" and "identity not proven" in note.text


def test_only_a_clerk_marks_a_fee_paid_and_only_once(shkoder, citizen, clerk, specialist):
    case = submit(shkoder, citizen, "family-certificate")
    with pytest.raises(PermissionDenied):
        services.mark_fee_paid(case, actor=specialist)
    services.mark_fee_paid(case, actor=clerk)
    with pytest.raises(ValidationError):
        services.mark_fee_paid(case, actor=clerk)


def test_a_document_is_not_issued_before_the_fee_is_paid(
    shkoder, catalogue, specialist, clerk, citizen
):
    # tax clearance has no fee in the catalogue: give this version one.
    service = ServiceType.objects.get(municipality=shkoder, code="tax-clearance-certificate")
    values = {**version_values_of(service), "fee": 300}
    publish_version(service, values)
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.decide(case, actor=specialist, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.issue_document(case, actor=specialist)
    assert refused.value.code == "fee_unpaid"
    services.mark_fee_paid(case, actor=clerk)
    services.issue_document(case, actor=specialist)
    assert case.status == workflow.DOCUMENT_ISSUED


def version_values_of(service):
    from sportel.services.catalogue import VERSION_FIELDS

    return {f: getattr(service.current_version, f) for f in VERSION_FIELDS}


# --- case work ---------------------------------------------------------------------------------


def test_assignment_rule_per_unit_beats_the_default(shkoder, citizen, make_staff):
    default, local = make_staff(shkoder, "specialist"), make_staff(shkoder, "specialist")
    service = ServiceType.objects.get(municipality=shkoder, code="public-information-request")
    velipoje = shkoder.units.get(slug="velipoje")
    AssignmentRule.objects.create(municipality=shkoder, service_type=service, assignee=default)
    AssignmentRule.objects.create(
        municipality=shkoder, service_type=service, unit=velipoje, assignee=local
    )
    assert submit(shkoder, citizen, unit=velipoje).assignee == local
    case = submit(shkoder, citizen)
    assert case.assignee == default and case.status == workflow.ASSIGNED
    assert case.events.get(action="assign").actor is None


def test_cases_are_assigned_only_to_specialists_of_the_municipality(
    shkoder, citizen, specialist, clerk, lezhe_specialist
):
    case = submit(shkoder, citizen)
    for wrong in (clerk, lezhe_specialist):
        with pytest.raises(ValidationError):
            services.assign(case, actor=specialist, assignee=wrong)
    with pytest.raises(PermissionDenied):
        services.assign(case, actor=lezhe_specialist, assignee=lezhe_specialist)
    assert case.status == workflow.SUBMITTED


def test_request_answer_and_approval_notify_the_applicant_in_their_language(
    shkoder, citizen_en, specialist
):
    case = submit(shkoder, citizen_en)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.request_info(case, actor=specialist, message="Which year?")
    services.answer_info(case, actor=citizen_en, message="2025")
    services.decide(case, actor=specialist, approve=True)
    subjects = list(
        Notification.objects.filter(user=citizen_en)
        .order_by("pk")
        .values_list("subject", flat=True)
    )
    # submitted, awaiting_applicant and approved notify; assigned and in_progress do not.
    assert subjects == [
        f"{case.number}: Request received",
        f"{case.number}: Waiting for information from you",
        f"{case.number}: Approved",
    ]
    body = Notification.objects.filter(user=citizen_en).last().body
    assert case.tracking_code_display in body and "Hello" in body


def test_albanian_applicant_gets_albanian_notifications(shkoder, citizen):
    case = submit(shkoder, citizen)
    assert Notification.objects.get(user=citizen).subject == f"{case.number}: Kërkesa u mor"


def test_only_the_applicant_or_the_counter_answers_a_request(shkoder, citizen, specialist, clerk):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.request_info(case, actor=specialist, message="Kontrata?")
    with pytest.raises(PermissionDenied):
        services.answer_info(case, actor=CitizenFactory(), message="hack")
    services.answer_info(case, actor=clerk, message="Solli kontratën në sportel.")
    assert case.status == workflow.IN_PROGRESS


def test_a_rejection_needs_reason_and_legal_basis(shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    with pytest.raises(ValidationError):
        services.decide(case, actor=specialist, approve=False, reason="Jo.")
    assert case.status == workflow.IN_PROGRESS
    services.decide(
        case,
        actor=specialist,
        approve=False,
        reason="I klasifikuar.",
        legal_basis="L 119/2014 neni 17",
    )
    event = case.events.get(action="reject")
    assert event.data["legal_basis"] == "L 119/2014 neni 17" and event.text == "I klasifikuar."


def test_notes_are_internal_unless_public(shkoder, citizen, clerk):
    case = submit(shkoder, citizen)
    services.add_note(case, actor=clerk, text="Telefonoi në sportel.")
    services.add_note(case, actor=clerk, text="Dokumenti do të vijë me postë.", public=True)
    public = [e.text for e in selectors.timeline(case)]
    everything = [e.text for e in selectors.timeline(case, public_only=False)]
    assert "Dokumenti do të vijë me postë." in public
    assert "Telefonoi në sportel." not in public and "Telefonoi në sportel." in everything


def test_an_approved_case_with_a_document_cannot_close_before_issuing(shkoder, citizen, specialist):
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.decide(case, actor=specialist, approve=True)
    with pytest.raises(ValidationError):
        services.close(case, actor=specialist)
    assert case.status == workflow.APPROVED


def test_a_clerk_cannot_decide(shkoder, citizen, clerk, specialist):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    with pytest.raises(PermissionDenied):
        services.decide(case, actor=clerk, approve=True)


# --- staff reads and 'who accessed my case' ---------------------------------------------------


def test_a_staff_read_of_a_case_is_audited_and_shown_to_the_applicant(shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    read = services.read_case(shkoder, case.number, actor=specialist)
    assert read.pk == case.pk
    entry = AuditEntry.objects.get(action="person.read")
    assert entry.actor == specialist and entry.subject == case.applicant_person
    accesses = list(selectors.case_accesses(case))
    assert [a.action for a in accesses] == ["person.read"]


def test_lezhe_staff_cannot_read_a_shkoder_case(shkoder, citizen, lezhe_specialist, lezhe):
    case = submit(shkoder, citizen)
    with pytest.raises(PermissionDenied):
        services.read_case(shkoder, case.number, actor=lezhe_specialist)
    with pytest.raises(Case.DoesNotExist):
        services.read_case(lezhe, case.number, actor=lezhe_specialist)


def test_tracking_code_finds_the_case_however_it_is_typed(shkoder, citizen):
    case = submit(shkoder, citizen)
    typed = case.tracking_code_display.lower().replace("-", " ")
    assert selectors.case_by_tracking_code(typed) == case
    assert selectors.case_by_tracking_code("0000-0000-0000") is None


def test_my_applications_lists_only_mine(shkoder, citizen):
    mine = submit(shkoder, citizen)
    submit(shkoder, CitizenFactory())
    assert list(selectors.cases_of(citizen)) == [mine]
    assert selectors.case_of(citizen, shkoder, mine.number) == mine


def test_staff_queue_sorts_by_legal_end_and_filters(shkoder, citizen, specialist):
    info = submit(shkoder, citizen)  # 10 working days
    tax = submit(shkoder, citizen, "tax-clearance-certificate")  # 1 working day
    assistance = submit(
        shkoder, citizen, "economic-assistance", unit=shkoder.units.get(slug="velipoje")
    )  # no legal deadline
    services.assign(info, actor=specialist, assignee=specialist)
    assert list(selectors.staff_queue(shkoder)) == [tax, info, assistance]
    assert list(selectors.staff_queue(shkoder, unit="velipoje")) == [assistance]
    assert list(selectors.staff_queue(shkoder, service="economic-assistance")) == [assistance]
    assert list(selectors.staff_queue(shkoder, status="assigned")) == [info]
    assert list(selectors.staff_queue(shkoder, assignee=specialist.pk)) == [info]
    assert list(selectors.staff_queue(shkoder, assignee="none")) == [tax, assistance]


# --- versions, bundle -------------------------------------------------------------------------


def test_a_new_version_does_not_change_open_cases(shkoder, citizen):
    old = submit(shkoder, citizen)
    service = ServiceType.objects.get(municipality=shkoder, code="public-information-request")
    publish_version(service, {**version_values_of(service), "legal_deadline_days": 15})
    new = submit(shkoder, citizen)
    old.refresh_from_db()
    assert old.service_version.number == 1 and old.service_version.legal_deadline_days == 10
    assert new.service_version.number == 2 and new.legal_end > old.legal_end


def test_moving_home_opens_every_implied_case_with_one_consent(shkoder, citizen):
    bundle = services.open_moving_home_bundle(
        shkoder,
        actor=citizen,
        new_address="Rruga Kolë Idromeno 7",
        has_car=True,
        vehicle_plate="sh123ab",
        consent=True,
        idempotency_key="move-1",
    )
    cases = selectors.bundle_overview(bundle)
    assert [c.service_type.code for c in cases] == [
        "resident-registration",
        "waste-tariff-transfer",
        "resident-parking-permit",
    ]
    assert cases[2].application.data["vehicle_plate"] == "SH123AB"
    assert {c.applicant_user for c in cases} == {citizen}
    again = services.open_moving_home_bundle(
        shkoder,
        actor=citizen,
        new_address="Rruga Kolë Idromeno 7",
        has_car=True,
        vehicle_plate="SH123AB",
        consent=True,
        idempotency_key="move-1",
    )
    assert again.pk == bundle.pk and Case.objects.count() == 3


def test_moving_home_without_a_car_opens_no_parking_permit(shkoder, citizen):
    bundle = services.open_moving_home_bundle(
        shkoder, actor=citizen, new_address="Rruga Kolë Idromeno 7", consent=True
    )
    assert len(selectors.bundle_overview(bundle)) == 2


def test_moving_home_without_consent_opens_nothing(shkoder, citizen):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        services.open_moving_home_bundle(
            shkoder, actor=citizen, new_address="Rruga 7", consent=False
        )
    assert "consent" in refused.value.message_dict
    assert counts() == before and Bundle.objects.count() == 0


def test_moving_home_with_a_bad_plate_opens_nothing(shkoder, citizen):
    before = counts()
    with pytest.raises(ValidationError):
        services.open_moving_home_bundle(
            shkoder,
            actor=citizen,
            new_address="Rruga Kolë Idromeno 7",
            has_car=True,
            vehicle_plate="not a plate!",
            consent=True,
        )
    assert counts() == before


def test_an_invalid_nid_is_explained_in_both_languages(shkoder, catalogue, clerk):
    messages = {}
    for language in ("sq", "en"):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            services.submit_application(
                shkoder,
                service="tax-clearance-certificate",
                data={"purpose": "x"},
                actor=clerk,
                channel="counter",
                walk_in={**WALK_IN, "nid": "J1234"},
            )
        messages[language] = refused.value.message_dict["nid"][0]
    assert "10 characters" in messages["en"]
    assert "10 karaktere" in messages["sq"]


def test_the_request_for_information_reaches_the_applicant_with_its_text(
    shkoder, citizen, specialist
):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.request_info(case, actor=specialist, message="Dërgoni kontratën e qirasë.")
    notification = Notification.objects.filter(user=citizen).order_by("pk").last()
    assert notification.subject == f"{case.number}: Presim informacion nga ju"
    assert "Dërgoni kontratën e qirasë." in notification.body
    assert f"/track/{case.tracking_code}" in notification.body
    assert "\n\n\n" not in notification.body
