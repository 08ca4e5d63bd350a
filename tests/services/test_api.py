"""The services API as a client sees it: catalogue, applications, tracking, staff, tenancy."""

import pytest

from sportel.services import services, workflow
from sportel.services.models import Attachment
from tests.core.files import pdf, png_bomb

from .factories import INFO, CitizenFactory, submit

API = "/api/v1"


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", headers=headers)


# --- public catalogue --------------------------------------------------------------------------


def test_catalogue_lists_services_with_life_events_names_fee_deadline_channels(client, catalogue):
    response = client.get(f"{API}/municipalities/shkoder/services")
    assert response.status_code == 200
    services_by_code = {s["code"]: s for s in response.json()}
    assert len(services_by_code) >= 20
    info = services_by_code["public-information-request"]
    assert info["name"] == {
        "sq": "Kërkesë për informacion publik",
        "en": "Request for public information",
    }
    assert info["legal_deadline_days"] == 10
    assert info["channels"] == ["online", "counter", "kiosk"]
    assert info["fee"] == "0.00" or info["fee"] == 0
    assert {
        "code": "information",
        "name": {"sq": "Informacion dhe ankesa", "en": "Information and complaints"},
    } in info["life_events"]
    assert services_by_code["family-certificate"]["instant"] is True


def test_catalogue_filters_by_life_event(client, catalogue):
    codes = {
        s["code"]
        for s in client.get(f"{API}/municipalities/shkoder/services?life_event=moving-home").json()
    }
    assert {"resident-registration", "waste-tariff-transfer", "resident-parking-permit"} <= codes
    assert "taxi-licence" not in codes


def test_service_detail_has_form_statuses_and_documents(client, catalogue):
    body = client.get(f"{API}/municipalities/shkoder/services/economic-assistance").json()
    assert body["form_schema"]["required"] == ["household_size", "monthly_income", "address"]
    assert body["statuses"][0]["code"] == "submitted"
    assert body["required_documents"][0]["en"] == "Request to the social administrator"
    assert "57/2019" in body["legal_basis"]


def test_unknown_service_or_municipality_is_404(client, catalogue):
    assert client.get(f"{API}/municipalities/shkoder/services/nope").status_code == 404
    response = client.get(f"{API}/municipalities/atlantis/services")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- citizens ----------------------------------------------------------------------------------


def test_citizen_submits_with_idempotency_key_and_gets_the_same_case_twice(client, citizen):
    client.force_login(citizen)
    body = {"service": "public-information-request", "data": INFO}
    first = post(
        client, f"{API}/municipalities/shkoder/applications", body, **{"Idempotency-Key": "k-1"}
    )
    second = post(
        client, f"{API}/municipalities/shkoder/applications", body, **{"Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert first.json()["tracking_code"] == second.json()["tracking_code"]
    third = post(
        client, f"{API}/municipalities/shkoder/applications", body, **{"Idempotency-Key": "k-2"}
    )
    assert third.json()["number"] != first.json()["number"]


def test_anonymous_cannot_apply(client, catalogue):
    body = {"service": "public-information-request", "data": INFO}
    assert post(client, f"{API}/municipalities/shkoder/applications", body).status_code == 401


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This field is required."), ("sq", "Kjo fushë është e detyrueshme.")],
)
def test_form_errors_come_by_field_in_the_callers_language(client, citizen, language, message):
    client.force_login(citizen)
    response = post(
        client,
        f"{API}/municipalities/shkoder/applications",
        {"service": "public-information-request", "data": {"preferred_format": "email"}},
        **{"Accept-Language": language},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["information_description"]
    assert body["detail"]


def test_invalid_nid_at_the_counter_is_a_clear_400(client, catalogue, clerk):
    client.force_login(clerk)
    response = post(
        client,
        f"{API}/municipalities/shkoder/applications",
        {
            "service": "tax-clearance-certificate",
            "data": {"purpose": "x"},
            "channel": "counter",
            "walk_in": {
                "nid": "123",
                "first_name": "Gjon",
                "last_name": "Leka",
                "identity_document": "id_card",
            },
        },
        **{"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "personal number (NID) must be 10 characters" in response.json()["errors"]["nid"][0]


def test_draft_attachment_and_submit_through_the_api(client, citizen):
    client.force_login(citizen)
    draft = post(
        client,
        f"{API}/municipalities/shkoder/drafts",
        {"service": "public-information-request", "data": {"preferred_format": "paper"}},
    ).json()
    bad = client.post(
        f"{API}/municipalities/shkoder/drafts/{draft['id']}/attachments",
        {"file": _upload("notes.txt", b"just text")},
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 400
    assert "not a PDF, PNG or JPEG" in bad.json()["detail"]
    good = client.post(
        f"{API}/municipalities/shkoder/drafts/{draft['id']}/attachments",
        {"file": _upload("scan.pdf", pdf())},
    )
    assert good.status_code == 201
    assert good.json()["attachments"][0]["content_type"] == "application/pdf"
    retried = client.post(  # the same file again, e.g. a retry after a lost answer
        f"{API}/municipalities/shkoder/drafts/{draft['id']}/attachments",
        {"file": _upload("scan.pdf", pdf())},
    )
    assert retried.status_code == 201
    assert len(retried.json()["attachments"]) == 1
    case = post(
        client,
        f"{API}/municipalities/shkoder/applications",
        {
            "service": "public-information-request",
            "draft_id": draft["id"],
            "data": {"information_description": "Lista e lejeve 2025."},
        },
    )
    assert case.status_code == 201


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_unsafe_attachments_are_refused_through_the_api_and_nothing_is_kept(client, citizen):
    client.force_login(citizen)
    draft = post(
        client,
        f"{API}/municipalities/shkoder/drafts",
        {"service": "public-information-request", "data": {}},
    ).json()
    url = f"{API}/municipalities/shkoder/drafts/{draft['id']}/attachments"
    bomb = client.post(
        url, {"file": _upload("plan.png", png_bomb())}, headers={"Accept-Language": "en"}
    )
    assert bomb.status_code == 400
    assert (
        bomb.json()["detail"] == "plan.png has more than 50 million pixels; send a smaller picture."
    )
    script = pdf(
        catalog="/OpenAction 4 0 R ", objects=("<< /S /JavaScript /JS (app.alert\\(1\\)) >>",)
    )
    active = client.post(
        url, {"file": _upload("scan.pdf", script)}, headers={"Accept-Language": "sq"}
    )
    assert active.status_code == 400
    assert active.json()["detail"].startswith("scan.pdf përmban përmbajtje aktive (JS)")
    assert not Attachment.objects.filter(application_id=draft["id"]).exists()


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_my_applications_and_my_case_detail(client, citizen, specialist):
    case = submit(catalogue_municipality(citizen), citizen)
    services.add_note(case, actor=specialist, text="internal only")
    client.force_login(citizen)
    mine = client.get(f"{API}/me/applications").json()
    assert [c["number"] for c in mine] == [case.number]
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}").json()
    assert [e["action"] for e in detail["events"]] == ["submit"]
    assert detail["data"] == INFO
    client.force_login(CitizenFactory())
    assert client.get(f"{API}/municipalities/shkoder/applications/{case.number}").status_code == 404


def catalogue_municipality(_citizen):
    from sportel.core.models import Municipality

    return Municipality.objects.get(slug="shkoder")


def test_citizen_answers_a_request_and_sees_who_accessed_the_case(
    client, shkoder, citizen, specialist
):
    case = submit(shkoder, citizen)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.request_info(case, actor=specialist, message="Cili vit?")
    services.read_case(shkoder, case.number, actor=specialist)
    client.force_login(citizen)
    answered = post(
        client,
        f"{API}/municipalities/shkoder/applications/{case.number}/answer",
        {"message": "2025"},
    )
    assert answered.status_code == 200
    assert answered.json()["status"] == workflow.IN_PROGRESS
    accesses = client.get(
        f"{API}/municipalities/shkoder/applications/{case.number}/accesses"
    ).json()
    assert {"who": specialist.username, "role": "specialist", "action": "person.read"} in [
        {k: a[k] for k in ("who", "role", "action")} for a in accesses
    ]


def test_moving_home_through_the_api(client, citizen):
    client.force_login(citizen)
    response = post(
        client,
        f"{API}/municipalities/shkoder/life-events/moving-home",
        {
            "new_address": "Rruga Kolë Idromeno 7",
            "has_car": True,
            "vehicle_plate": "SH123AB",
            "consent": True,
        },
        **{"Idempotency-Key": "move"},
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["cases"]) == 3
    refused = post(
        client,
        f"{API}/municipalities/shkoder/life-events/moving-home",
        {"new_address": "Rruga Kolë Idromeno 7", "consent": False},
    )
    assert refused.status_code == 400 and "consent" in refused.json()["errors"]


# --- tracking --------------------------------------------------------------------------------


def test_tracking_shows_status_and_dates_without_personal_data(client, shkoder, citizen):
    case = submit(shkoder, citizen)
    response = client.get(f"{API}/track/{case.tracking_code_display}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == case.number and body["status"] == "submitted"
    assert body["legal_end"] == case.legal_end.isoformat()
    text = response.content.decode()
    for personal in (citizen.nid, citizen.full_name, citizen.email, "Buxheti"):
        assert personal not in text
    assert client.get(f"{API}/track/AAAA-BBBB-CCCC").status_code == 404


# --- staff -------------------------------------------------------------------------------------


def test_staff_queue_is_sorted_by_legal_end_and_filtered(
    verified_client, shkoder, citizen, specialist
):
    info = submit(shkoder, citizen)
    tax = submit(shkoder, citizen, "tax-clearance-certificate")
    client = verified_client(specialist)
    body = client.get(f"{API}/municipalities/shkoder/cases").json()
    assert [c["number"] for c in body["items"]] == [tax.number, info.number]
    assert body["count"] == 2
    filtered = client.get(
        f"{API}/municipalities/shkoder/cases?service=public-information-request"
    ).json()
    assert [c["number"] for c in filtered["items"]] == [info.number]
    assert "nid" not in str(body) and citizen.full_name not in str(body)


def test_staff_case_detail_is_audited_and_shows_internal_history(
    verified_client, shkoder, citizen, specialist
):
    from sportel.core.models import AuditEntry

    case = submit(shkoder, citizen)
    services.add_note(case, actor=specialist, text="internal only")
    client = verified_client(specialist)
    body = client.get(f"{API}/municipalities/shkoder/cases/{case.number}").json()
    assert body["applicant"]["nid"] == citizen.nid
    assert "internal only" in [e["text"] for e in body["events"]]
    # What this specialist may do now (withdrawing is the applicant's or the counter's).
    assert body["allowed_actions"] == ["assign", "note"]
    assert AuditEntry.objects.filter(action="person.read", actor=specialist).count() == 1


def test_staff_transitions_through_the_api(verified_client, shkoder, citizen, specialist):
    case = submit(shkoder, citizen)
    client = verified_client(specialist)
    url = f"{API}/municipalities/shkoder/cases/{case.number}/transitions"
    assert (
        post(client, url, {"action": "assign", "assignee": specialist.pk}).json()["status"]
        == "assigned"
    )
    assert post(client, url, {"action": "start"}).json()["status"] == "in_progress"
    extended = post(client, url, {"action": "extend", "days": 2, "reason": "Arkivi."})
    assert extended.status_code == 200
    illegal = post(client, url, {"action": "close"}, **{"Accept-Language": "en"})
    assert illegal.status_code == 409
    assert illegal.json() == {
        "detail": 'You cannot close a case that is "In progress".',
        "code": "illegal_transition",
        "errors": None,
    }
    missing = post(client, url, {"action": "reject", "reason": "Jo"})
    assert missing.status_code == 400
    assert post(client, url, {"action": "approve"}).json()["status"] == "approved"
    assert post(client, url, {"action": "fly"}).status_code == 400


def test_a_staff_note_resent_with_its_idempotency_key_is_written_once(
    verified_client, shkoder, citizen, specialist
):
    from sportel.core.models import AuditEntry
    from sportel.services.models import CaseEvent

    case = submit(shkoder, citizen)
    other_case = submit(shkoder, citizen)
    client = verified_client(specialist)
    url = f"{API}/municipalities/shkoder/cases/{case.number}/transitions"
    note = {"action": "note", "text": "Called the applicant: documents on Monday."}
    key = {"Idempotency-Key": "note-1", "Accept-Language": "en"}

    first = post(client, url, note, **key)
    assert first.status_code == 200, first.content
    assert "Idempotent-Replayed" not in first
    notes = CaseEvent.objects.filter(case=case, action="note")
    audits = AuditEntry.objects.count()
    assert notes.count() == 1

    # A retry after a time-out: the same answer, marked as a replay, and nothing written.
    again = post(client, url, note, **key)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert notes.count() == 1 and AuditEntry.objects.count() == audits

    # The same key with another note, another visibility, or for another case: refused.
    reused = "This Idempotency-Key was already used for another request"
    for other_url, body in (
        (url, {**note, "text": "Another note."}),
        (url, {**note, "public": True}),
        (f"{API}/municipalities/shkoder/cases/{other_case.number}/transitions", note),
    ):
        refused = post(client, other_url, body, **key)
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "idempotency_key_reused"
        assert refused.json()["detail"].startswith(reused)
    assert CaseEvent.objects.filter(action="note").count() == 1
    assert AuditEntry.objects.count() == audits

    # Another key is another note; no key, as before, a note each time.
    assert post(client, url, note, **{"Idempotency-Key": "note-2"}).status_code == 200
    assert post(client, url, note).status_code == 200
    assert post(client, url, note).status_code == 200
    assert notes.count() == 4
    # A key over the documented length is refused before anything is written.
    too_long = post(client, url, note, **{"Idempotency-Key": "k" * 101})
    assert too_long.status_code == 400 and too_long.json()["code"] == "too_long"
    assert notes.count() == 4


def test_the_same_note_key_from_another_clerk_is_their_own(
    verified_client, shkoder, citizen, specialist, make_staff
):
    from sportel.services.models import CaseEvent

    case = submit(shkoder, citizen)
    url = f"{API}/municipalities/shkoder/cases/{case.number}/transitions"
    note = {"action": "note", "text": "Seen."}
    colleague = make_staff(shkoder, "specialist")
    for user in (specialist, colleague):
        answer = post(verified_client(user), url, note, **{"Idempotency-Key": "same"})
        assert answer.status_code == 200 and "Idempotent-Replayed" not in answer
    assert CaseEvent.objects.filter(case=case, action="note").count() == 2


def test_staff_without_second_factor_is_refused(client, shkoder, citizen, specialist):
    submit(shkoder, citizen)
    client.force_login(specialist)
    assert client.get(f"{API}/municipalities/shkoder/cases").status_code == 403


def test_citizen_cannot_use_staff_endpoints(client, shkoder, citizen):
    case = submit(shkoder, citizen)
    client.force_login(citizen)
    assert client.get(f"{API}/municipalities/shkoder/cases").status_code == 403
    assert client.get(f"{API}/municipalities/shkoder/cases/{case.number}").status_code == 403


# --- tenancy: Lezhë staff on every Shkodër case endpoint --------------------------------------


def test_lezhe_staff_get_403_on_every_shkoder_case_endpoint(
    verified_client, shkoder, lezhe_catalogue, citizen, lezhe_specialist, lezhe_clerk
):
    case = submit(shkoder, citizen)
    for staff in (lezhe_specialist, lezhe_clerk):
        client = verified_client(staff)
        base = f"{API}/municipalities/shkoder"
        responses = [
            client.get(f"{base}/cases"),
            client.get(f"{base}/cases/{case.number}"),
            post(
                client,
                f"{base}/cases/{case.number}/transitions",
                {"action": "assign", "assignee": staff.pk},
            ),
            post(
                client, f"{base}/cases/{case.number}/transitions", {"action": "note", "text": "x"}
            ),
            post(
                client,
                f"{base}/applications",
                {
                    "service": "tax-clearance-certificate",
                    "data": {"purpose": "x"},
                    "channel": "counter",
                    "walk_in": {
                        "nid": "H85412037N",
                        "first_name": "G",
                        "last_name": "L",
                        "identity_document": "id_card",
                    },
                },
            ),
        ]
        assert [r.status_code for r in responses] == [403, 403, 403, 403, 403]
        # Through their own municipality's path, the Shkodër case does not exist.
        assert client.get(f"{API}/municipalities/lezhe/cases/{case.number}").status_code == 404
        own = client.get(f"{API}/municipalities/lezhe/cases").json()
        assert own["count"] == 0
    case.refresh_from_db()
    assert case.status == workflow.SUBMITTED and case.events.count() == 1
