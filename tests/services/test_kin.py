"""A parent or guardian with a relationship a clerk verified obtains their minor child's
certificate online, at a kiosk and through the API, where the service allows it (issue 8 §1);
everything else about another person waits for staff."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from sportel.accounts import kin
from sportel.accounts import services as accounts_services
from sportel.core.models import Person
from sportel.core.services import register_person
from sportel.documents.models import IssuedDocument
from sportel.documents.services import holder_pseudonym
from sportel.services import services, workflow
from sportel.services.models import Application, Case, ServiceTypeVersion

from .factories import CitizenFactory, new_nid, submit

CHILD_BORN = dt.date(2015, 3, 27)


@pytest.fixture
def child(catalogue, clerk):
    """A minor in Shkodër's register (no account of her own)."""
    return register_person(
        catalogue,
        nid=new_nid(),
        first_name="Ema",
        last_name="Hoxha",
        birth_date=CHILD_BORN,
        address="Rruga Kolë Idromeno 12",
        actor=clerk,
    ).obj


@pytest.fixture
def parent(catalogue):
    """An account proven by the national eID (in the register too)."""
    return CitizenFactory(full_name="Arta Hoxha")


def _record(municipality, clerk, parent, child, **kwargs):
    values = {
        "clerk": clerk,
        "parent_nid": parent.nid,
        "child_nid": child.nid,
        "kind": "parent",
        "document": "birth_cert",
        "document_number": "AL-2015-00412",
        "document_seen": True,
        **kwargs,
    }
    return kin.record_relationship(municipality, **values)


@pytest.fixture
def relationship(catalogue, clerk, parent, child):
    return _record(catalogue, clerk, parent, child)


def _allow(code: str, municipality) -> None:
    """The municipality lets a parent obtain this service's document for a minor (the shipped
    catalogue does not for the residence certificate). Set before any case uses the version."""
    ServiceTypeVersion.objects.filter(municipality=municipality, service_type__code=code).update(
        allows_relationship=True
    )


def _issued_for_child(case, child):
    case.refresh_from_db()
    assert case.status == workflow.CLOSED and case.document_code
    assert case.applicant_person_id == child.pk
    document = IssuedDocument.objects.get(code=case.document_code)
    assert document.holder_pseudonym == holder_pseudonym(child.municipality, child)


def _waits(case, *, about=None):
    case.refresh_from_db()
    assert case.status == workflow.SUBMITTED
    assert not case.document_code
    assert not IssuedDocument.objects.exists()
    note = case.events.get(action="note")
    assert note.visibility == "internal" and "identity" in note.text
    if about is not None:
        assert case.applicant_person_id == about.pk


def test_the_catalogue_allows_relationships_for_family_and_civil_status_certificates(catalogue):
    allowed = set(
        ServiceTypeVersion.objects.filter(
            municipality=catalogue, allows_relationship=True
        ).values_list("service_type__code", flat=True)
    )
    assert allowed == {"family-certificate", "personal-certificate", "civil-record-certificate"}


@pytest.mark.parametrize("channel", ["online", "kiosk"])
def test_a_parent_with_a_verified_relationship_gets_the_childs_certificate_at_once(
    catalogue, parent, child, relationship, channel
):
    _allow("residence-certificate", catalogue)
    case = submit(
        catalogue, parent, "residence-certificate", channel=channel, on_behalf_of=child.nid
    )
    _issued_for_child(case, child)
    assert case.applicant_user_id == parent.pk and case.on_behalf_nid == child.nid


def test_the_family_certificate_for_the_child_is_decided_online_and_issued_once_paid(
    catalogue, parent, child, relationship, clerk
):
    case = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    case.refresh_from_db()
    assert case.status == workflow.APPROVED and case.decision == "approved"
    services.mark_fee_paid(case, actor=clerk)
    _issued_for_child(case, child)


def test_a_service_that_does_not_allow_relationships_waits_for_staff(
    catalogue, parent, child, relationship, specialist
):
    case = submit(catalogue, parent, "residence-certificate", on_behalf_of=child.nid)
    _waits(case, about=child)
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    with pytest.raises(ValidationError) as refused:
        services.decide(case, actor=specialist, approve=True)
    assert refused.value.code == "identity_unproven"


def test_a_revoked_relationship_grants_nothing(catalogue, parent, child, relationship, clerk):
    kin.revoke_relationship(
        catalogue, clerk=clerk, relationship_id=relationship.pk, reason="Gabim në dokument"
    )
    case = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    _waits(case, about=child)


def test_a_child_who_turned_18_is_no_longer_applied_for(catalogue, parent, child, relationship):
    with time_machine.travel(dt.datetime(2033, 3, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        case = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    _waits(case, about=child)
    # The day before the birthday it still counted.
    with time_machine.travel(dt.datetime(2033, 3, 26, 9, 0, tzinfo=dt.UTC), tick=False):
        assert kin.active_relationship(parent, child) == relationship


def test_without_a_verified_relationship_a_typed_childs_number_is_a_claim(catalogue, child):
    """No relationship was recorded: the case is the parent's own, never the child's register
    entry, and it waits."""
    stranger_parent = CitizenFactory()
    case = submit(catalogue, stranger_parent, "family-certificate", on_behalf_of=child.nid)
    case.refresh_from_db()
    assert case.on_behalf_nid == child.nid
    assert case.applicant_person.nid == stranger_parent.nid
    _waits(case)


def test_an_account_no_longer_proven_to_be_the_parent_gets_nothing(
    catalogue, parent, child, relationship
):
    """The relationship was recorded for the person with the parent's number, not for whoever
    holds the account later (the account re-proven as someone else)."""
    from sportel.accounts.models import User

    User.objects.filter(pk=parent.pk).update(nid=new_nid())
    parent.refresh_from_db()
    case = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    _waits(case, about=child)


def test_the_attacker_typing_a_strangers_number_still_gets_nothing(catalogue, child, clerk):
    """Issue 8's attack, now aimed at a minor: type the child's number on the account, or name
    the child as the person applied for. Nothing is issued, the register entry is not reached."""
    attacker = CitizenFactory(
        nid="", nid_verified=False, nid_verified_via="", on_the_register=False
    )
    accounts_services.link_nid(attacker, child.nid)
    attacker.refresh_from_db()
    for on_behalf in ("", child.nid):
        case = submit(catalogue, attacker, "family-certificate", on_behalf_of=on_behalf)
        _waits(case)
        assert case.applicant_person.nid is None
    # Nor can a clerk record a relationship for an account that is not proven.
    with pytest.raises(ValidationError) as refused:
        kin.record_relationship(
            catalogue,
            clerk=clerk,
            parent_nid=child.nid,
            child_nid=new_nid(),
            child_first_name="X",
            child_last_name="Y",
            child_birth_date=CHILD_BORN,
            kind="parent",
            document="birth_cert",
            document_number="1",
            document_seen=True,
        )
    assert "parent_nid" in refused.value.error_dict
    assert not Person.objects.filter(user=attacker, nid=child.nid).exists()


def test_the_api_issues_to_the_parent_and_refuses_a_bad_number(
    catalogue, parent, child, relationship, client
):
    _allow("residence-certificate", catalogue)
    client.force_login(parent)
    url = "/api/v1/municipalities/shkoder/applications"
    response = client.post(
        url,
        {
            "service": "residence-certificate",
            "data": {"purpose": "Për shkollën"},
            "on_behalf_of": child.nid,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == workflow.CLOSED and body["document_code"]
    _issued_for_child(Case.objects.get(number=body["number"]), child)
    bad = client.post(
        url,
        {"service": "residence-certificate", "data": {"purpose": "x"}, "on_behalf_of": "123"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "on_behalf_of" in bad.content.decode()


def test_the_api_without_a_relationship_files_and_waits(catalogue, child, client):
    other = CitizenFactory()
    client.force_login(other)
    response = client.post(
        "/api/v1/municipalities/shkoder/applications",
        {
            "service": "family-certificate",
            "data": {"purpose": "Për shkollën"},
            "on_behalf_of": child.nid,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == workflow.SUBMITTED
    assert not IssuedDocument.objects.exists()


@pytest.mark.parametrize("namespace", ["services", "kiosk"])
def test_the_parent_chooses_the_child_on_the_review_page(
    catalogue, parent, child, relationship, namespace
):
    _allow("residence-certificate", catalogue)
    client = Client()

    def url(name, **kwargs):
        return reverse(f"{namespace}:{name}", kwargs={"municipality_slug": "shkoder", **kwargs})

    if namespace == "kiosk":
        login = reverse("kiosk-accounts:login", kwargs={"municipality_slug": "shkoder"})
        client.post(login, {"username": parent.username, "password": "a-long-test-password"})
    else:
        client.force_login(parent)
    client.post(url("apply", code="residence-certificate"), {"continue": "1", "purpose": "Banka"})
    draft = Application.objects.get(created_by=parent)
    review = client.get(url("draft-review", pk=draft.pk)).content.decode()
    assert "Për kë është ky aplikim?" in review
    assert f"Ema Hoxha ({child.nid})" in review
    # The review page names the child; choosing her files the case about her and issues it.
    response = client.post(url("draft-review", pk=draft.pk), {"on_behalf_of": child.nid})
    assert response.status_code == 302
    _issued_for_child(Case.objects.get(applicant_user=parent), child)


def test_the_staff_case_file_says_on_whose_behalf_and_by_which_relationship(
    catalogue, parent, child, relationship, clerk, specialist, verified_client
):
    waiting = submit(catalogue, parent, "residence-certificate", on_behalf_of=child.nid)
    decided = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    staff = verified_client(specialist)
    html = staff.get(f"/en/shkoder/staff/cases/{decided.number}/").content.decode()
    row = html.split('id="on-behalf"')[1].split("</dd>")[0]
    assert f"Ema Hoxha ({child.nid})" in row and "verified relationship" in row
    clerk_name = clerk.full_name or clerk.username
    assert f"Parent; verified by {clerk_name} from the Birth certificate no. AL-2015-00412" in row
    html = staff.get(f"/shkoder/staff/cases/{waiting.number}/").content.decode()
    row = html.split('id="on-behalf"')[1].split("</dd>")[0]
    assert "asnjë lidhje në fuqi" in row
    assert "Ky shërbim i lëshohet online vetëm personit që emërton." in row
    api = staff.get(f"/api/v1/municipalities/shkoder/cases/{decided.number}").json()
    assert api["identity"]["on_behalf_of"] == {
        "nid": child.nid,
        "relationship": "parent",
        "relationship_in_force": True,
        "service_allows_relationship": True,
    }


def test_a_case_filed_before_the_relationship_becomes_the_childs_once_a_clerk_records_it(
    catalogue, parent, child, clerk, specialist, django_capture_on_commit_callbacks
):
    case = submit(catalogue, parent, "family-certificate", on_behalf_of=child.nid)
    case.refresh_from_db()
    assert case.applicant_person.nid == parent.nid
    with django_capture_on_commit_callbacks(execute=True):
        _record(catalogue, clerk, parent, child)
    case.refresh_from_db()
    assert case.applicant_person_id == child.pk
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    services.decide(case, actor=specialist, approve=True)
    services.mark_fee_paid(case, actor=clerk)
    services.issue_document(case, actor=specialist)
    case.refresh_from_db()
    assert case.status == workflow.DOCUMENT_ISSUED


def test_the_receipt_says_why_an_application_for_a_child_waits(
    catalogue, parent, child, relationship, client
):
    client.force_login(parent)
    slug = {"municipality_slug": "shkoder"}
    client.post(
        reverse("services:apply", kwargs={**slug, "code": "residence-certificate"}),
        {"continue": "1", "purpose": "Banka"},
    )
    draft = Application.objects.get(created_by=parent)
    response = client.post(
        reverse("services:draft-review", kwargs={**slug, "pk": draft.pk}),
        {"on_behalf_of": child.nid},
    )
    receipt = client.get(response.url).content.decode()
    waiting = receipt.split('id="identity-waiting"')[1].split("</div>")[0]
    assert "Ky aplikim është për një person tjetër." in waiting
    assert "Identiteti juaj nuk është verifikuar ende" not in waiting
    assert not IssuedDocument.objects.exists()
