"""A certificate about a person is issued only to an account proven to be that person (issue 8
§1). The attack the probe found — type someone else's personal number on the account page, then
ask for their residence or family certificate — fails online, at a kiosk and through the API, and
nothing is issued; the case waits for staff. The register keeps the real person's details."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sportel.accounts import identity
from sportel.accounts import services as accounts_services
from sportel.core.models import Notification, Person
from sportel.core.services import register_person
from sportel.documents.models import IssuedDocument
from sportel.documents.services import holder_pseudonym
from sportel.services import services, workflow
from sportel.services.models import Application, Case

from .factories import CitizenFactory, new_nid, submit

VICTIM = {"first_name": "Vera", "last_name": "Shiroka", "phone": "+355691111111"}


@pytest.fixture
def victim(catalogue, clerk):
    """A resident in Shkodër's register (she applied at the counter once)."""
    return register_person(
        catalogue, nid=new_nid(), actor=clerk, email="vera@example.al", **VICTIM
    ).obj


@pytest.fixture
def attacker(catalogue, victim):
    """A fresh account that typed the victim's personal number on its account page."""
    user = CitizenFactory(
        nid="",
        nid_verified=False,
        nid_verified_via="",
        full_name="Vera Shiroka",
        on_the_register=False,
    )
    accounts_services.link_nid(user, victim.nid)
    user.refresh_from_db()
    assert user.nid == victim.nid and not user.nid_verified
    return user


def _nothing_issued(case):
    case.refresh_from_db()
    assert not case.document_code
    assert case.status == workflow.SUBMITTED
    assert not IssuedDocument.objects.exists()
    assert case.applicant_person.nid is None  # never the victim's register entry
    note = case.events.get(action="note")
    assert note.visibility == "internal"
    assert "identity" in note.text


@pytest.mark.parametrize("channel", ["online", "kiosk"])
def test_a_typed_personal_number_gets_no_certificate_in_that_name(attacker, victim, channel):
    case = submit(victim.municipality, attacker, "residence-certificate", channel=channel)
    _nothing_issued(case)
    # Trying again (the person is now "on record") changes nothing.
    again = submit(victim.municipality, attacker, "residence-certificate", channel=channel)
    _nothing_issued(again)


def test_the_attack_fails_through_the_api(attacker, victim, client):
    client.force_login(attacker)
    response = client.post(
        "/api/v1/municipalities/shkoder/applications",
        {"service": "residence-certificate", "data": {"purpose": "Për bankën"}},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == workflow.SUBMITTED
    assert not body.get("document_code")
    assert not IssuedDocument.objects.exists()


def test_a_family_certificate_in_someone_elses_name_cannot_be_approved_or_issued(
    attacker, victim, specialist
):
    case = submit(victim.municipality, attacker, "family-certificate")
    assert case.status == workflow.SUBMITTED
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    with pytest.raises(ValidationError) as refused:
        services.decide(case, actor=specialist, approve=True)
    assert refused.value.code == "identity_unproven"
    case.refresh_from_db()
    assert case.status == workflow.IN_PROGRESS and not case.decision
    assert not IssuedDocument.objects.exists()


def test_the_register_keeps_the_real_persons_details(attacker, victim):
    submit(victim.municipality, attacker, "residence-certificate")
    victim.refresh_from_db()
    assert victim.user_id is None
    assert (victim.email, victim.phone) == ("vera@example.al", "+355691111111")
    assert Person.objects.filter(nid=victim.nid).count() == 1


def test_a_typed_number_creates_no_register_entry_with_that_number(catalogue):
    stranger_nid = new_nid()
    user = CitizenFactory(
        nid=stranger_nid, nid_verified=False, nid_verified_via="", on_the_register=False
    )
    submit(catalogue, user, "residence-certificate")
    assert not Person.objects.filter(nid=stranger_nid).exists()


def test_once_verified_at_the_counter_the_waiting_case_is_the_persons_and_can_be_issued(
    attacker, victim, clerk, specialist, django_capture_on_commit_callbacks
):
    # Here the "attacker" really is Vera: she proves it with her identity card at the counter.
    case = submit(victim.municipality, attacker, "family-certificate")
    code = identity.new_counter_code(attacker)
    with django_capture_on_commit_callbacks(execute=True):
        identity.verify_at_counter(
            victim.municipality,
            clerk=clerk,
            code=code,
            nid=victim.nid,
            document="id_card",
            document_seen=True,
        )
    case.refresh_from_db()
    assert case.applicant_person_id == victim.pk
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.decide(case, actor=specialist, approve=True)
    services.mark_fee_paid(case, actor=clerk)
    services.issue_document(case, actor=specialist)
    case.refresh_from_db()
    assert case.status == workflow.DOCUMENT_ISSUED and case.document_code
    document = IssuedDocument.objects.get(code=case.document_code)
    assert document.holder_pseudonym == holder_pseudonym(victim.municipality, victim)


def test_a_counter_verified_account_gets_its_instant_certificate_online(
    catalogue, clerk, django_capture_on_commit_callbacks
):
    user = CitizenFactory(nid="", nid_verified=False, nid_verified_via="", on_the_register=False)
    nid = new_nid()
    # She is in the civil register with her address (what a residence certificate states).
    register_person(
        catalogue,
        nid=nid,
        actor=clerk,
        first_name="Vera",
        last_name="Shiroka",
        address="Rruga Kolë Idromeno 12",
    )
    with django_capture_on_commit_callbacks(execute=True):
        identity.verify_at_counter(
            catalogue,
            clerk=clerk,
            code=identity.new_counter_code(user),
            nid=nid,
            document="passport",
            document_seen=True,
        )
    user.refresh_from_db()
    case = submit(catalogue, user, "residence-certificate")
    assert case.status == workflow.CLOSED and case.document_code
    assert case.applicant_person.nid == nid


def test_at_the_counter_the_clerk_states_the_document_seen(catalogue, clerk):
    walk_in = {
        "nid": new_nid(),
        "first_name": "Gjon",
        "last_name": "Leka",
        "address": "Rruga Kolë Idromeno 12",
    }
    with pytest.raises(ValidationError) as refused:
        services.submit_application(
            catalogue,
            service="residence-certificate",
            data={"purpose": "Për bankën"},
            actor=clerk,
            channel="counter",
            walk_in=walk_in,
        )
    assert "identity_document" in refused.value.message_dict
    case = services.submit_application(
        catalogue,
        service="residence-certificate",
        data={"purpose": "Për bankën"},
        actor=clerk,
        channel="counter",
        walk_in={**walk_in, "identity_document": "id_card"},
    )
    assert case.identity_document == "id_card"
    assert case.status == workflow.CLOSED and case.document_code


def test_the_resident_is_told_why_the_application_waits_and_how_to_verify(attacker, victim, client):
    case = submit(victim.municipality, attacker, "residence-certificate")
    client.force_login(attacker)
    receipt = client.get(f"/en/shkoder/services/cases/{case.number}/receipt/").content.decode()
    assert "Your identity is not verified yet" in receipt
    assert 'href="/en/account/identity/"' in receipt
    page = client.get(f"/shkoder/services/cases/{case.number}/").content.decode()
    assert "Identiteti juaj nuk është verifikuar ende" in page


def test_the_staff_case_file_shows_who_filed_and_that_the_identity_is_a_claim(
    attacker, victim, specialist, verified_client
):
    case = submit(victim.municipality, attacker, "residence-certificate")
    page = verified_client(specialist).get(f"/en/shkoder/staff/cases/{case.number}/")
    html = page.content.decode()
    assert f"the account {attacker.username}" in html
    assert "not proven" in html
    assert f"typed the personal number {victim.nid}: a claim" in html


def test_the_staff_history_says_automatic_where_no_person_acted(
    attacker, victim, specialist, verified_client
):
    case = submit(victim.municipality, attacker, "residence-certificate")
    html = verified_client(specialist).get(f"/shkoder/staff/cases/{case.number}/").content.decode()
    history = html.split('id="case-history"')[1]
    assert "Automatikisht" in history
    assert "— system" not in html


@pytest.mark.parametrize("namespace", ["services", "kiosk"])
def test_the_attack_fails_through_the_online_and_kiosk_pages(attacker, victim, client, namespace):
    """The pages a resident uses (online, and the kiosk's own login and forms) file the case and
    issue nothing: no document to download, print or send."""

    def url(name, **kwargs):
        return reverse(f"{namespace}:{name}", kwargs={"municipality_slug": "shkoder", **kwargs})

    if namespace == "kiosk":
        login = reverse("kiosk-accounts:login", kwargs={"municipality_slug": "shkoder"})
        response = client.post(
            login, {"username": attacker.username, "password": "a-long-test-password"}
        )
        assert response.status_code == 302
    else:
        client.force_login(attacker)
    client.post(url("apply", code="residence-certificate"), {"continue": "1", "purpose": "Banka"})
    draft = Application.objects.get(created_by=attacker)
    response = client.post(url("draft-review", pk=draft.pk))
    assert response.status_code == 302
    case = Case.objects.get(applicant_user=attacker)
    _nothing_issued(case)
    receipt = client.get(response.url).content.decode()
    assert "Identiteti juaj nuk është verifikuar ende" in receipt
    if namespace == "kiosk":
        assert client.get(url("document", number=case.number)).status_code == 404
        assert client.post(url("send-document", number=case.number)).status_code == 404
        assert not Notification.objects.filter(template="services_document_link").exists()
    else:
        assert client.get(url("case-document", number=case.number)).status_code == 404
    assert not IssuedDocument.objects.exists()


def test_the_staff_case_file_says_how_the_identity_was_proven(
    attacker, victim, clerk, specialist, verified_client, django_capture_on_commit_callbacks
):
    """Online after a counter check: who checked, where, when and which document; at the
    counter: the clerk who filed it for the person in front of them, and the document seen."""
    online = submit(victim.municipality, attacker, "family-certificate")
    with django_capture_on_commit_callbacks(execute=True):
        identity.verify_at_counter(
            victim.municipality,
            clerk=clerk,
            code=identity.new_counter_code(attacker),
            nid=victim.nid,
            document="passport",
            document_seen=True,
        )
    staff = verified_client(specialist)
    html = staff.get(f"/en/shkoder/staff/cases/{online.number}/").content.decode()
    filed = html.split('id="filed-by"')[1].split("</dd>")[0]
    assert f"the account {attacker.username}" in filed
    proof = html.split('id="identity"')[1].split("</dd>")[0]
    assert "proven" in proof and "not proven" not in proof
    clerk_name = clerk.full_name or clerk.username
    assert f"at the counter by {clerk_name} (Shkodër)" in proof
    assert "document seen: Passport" in proof
    assert victim.nid in html.split('id="applicant"')[1].split("</dd>")[0]

    walk_in = services.submit_application(
        victim.municipality,
        service="family-certificate",
        data={"purpose": "Për bankën"},
        actor=clerk,
        channel="counter",
        walk_in={"nid": victim.nid, **VICTIM, "identity_document": "id_card"},
    )
    html = staff.get(f"/en/shkoder/staff/cases/{walk_in.number}/").content.decode()
    filed = html.split('id="filed-by"')[1].split("</dd>")[0]
    assert f"{clerk_name} at the counter, for the person in front of them" in filed
    proof = html.split('id="identity"')[1].split("</dd>")[0]
    assert "the clerk saw the identity card" in proof


def test_a_resident_cannot_pose_as_a_clerk_at_the_counter_through_the_api(attacker, victim, client):
    """The counter channel is where a clerk states the identity document seen: an account
    without the counter role that claims it (with the victim as the walk-in) is refused and
    nothing is filed or issued."""
    client.force_login(attacker)
    response = client.post(
        "/api/v1/municipalities/shkoder/applications",
        {
            "service": "residence-certificate",
            "data": {"purpose": "Për bankën"},
            "channel": "counter",
            "walk_in": {
                "nid": victim.nid,
                "first_name": "Vera",
                "last_name": "Shiroka",
                "identity_document": "id_card",
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Case.objects.exists() and not IssuedDocument.objects.exists()
