"""A verified relationship is recorded only by a clerk of the municipality, with the birth
certificate or court decision seen, and audited; it is revoked by appending, never edited; the
resident sees their relationships on their account (issue 8 §1)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sportel.accounts import kin
from sportel.accounts.models import KinRelationship, KinRevocation
from sportel.accounts.roles import Role
from sportel.core.identifiers import with_check_letter
from sportel.core.models import AuditEntry, Person
from sportel.core.services import register_person

from .factories import UserFactory

PARENT_NID = with_check_letter("J30303003")
CHILD_NID = with_check_letter("M50327004")
BORN = dt.date(2015, 3, 27)


@pytest.fixture
def clerk(shkoder, make_staff):
    return make_staff(shkoder, Role.CLERK)


@pytest.fixture
def parent(db):
    return UserFactory(
        full_name="Arta Hoxha", nid=PARENT_NID, nid_verified=True, nid_verified_via="counter"
    )


@pytest.fixture
def child(shkoder, clerk):
    return register_person(
        shkoder, nid=CHILD_NID, first_name="Ema", last_name="Hoxha", birth_date=BORN, actor=clerk
    ).obj


def _record(municipality, clerk, **kwargs):
    values = {
        "clerk": clerk,
        "parent_nid": PARENT_NID,
        "child_nid": CHILD_NID,
        "kind": "parent",
        "document": "birth_cert",
        "document_number": "AL-2015-00412",
        "document_seen": True,
        **kwargs,
    }
    return kin.record_relationship(municipality, **values)


def test_a_clerk_records_a_relationship_from_the_document_seen_and_it_is_audited(
    shkoder, clerk, parent, child
):
    relationship = _record(shkoder, clerk)
    assert (relationship.user, relationship.child, relationship.verified_by) == (
        parent,
        child,
        clerk,
    )
    assert (relationship.document, relationship.document_number) == ("birth_cert", "AL-2015-00412")
    assert relationship.child_birth_date == BORN
    assert kin.active_relationship(parent, child) == relationship
    entry = AuditEntry.objects.get(action="account.kin_verified")
    assert (entry.actor_id, entry.municipality, entry.actor_role) == (clerk.pk, shkoder, "clerk")
    assert entry.data == {"kind": "parent", "document": "birth_cert"}


@pytest.mark.parametrize("who", ["lezhe_clerk", "specialist", "resident"])
def test_only_a_clerk_of_the_municipality_may_record_one(
    shkoder, lezhe, make_staff, parent, child, who
):
    actor = {
        "lezhe_clerk": lambda: make_staff(lezhe, Role.CLERK),
        "specialist": lambda: make_staff(shkoder, Role.SPECIALIST),
        "resident": lambda: UserFactory(),
    }[who]()
    with pytest.raises(PermissionDenied):
        _record(shkoder, actor)
    assert not KinRelationship.objects.exists()
    assert not AuditEntry.objects.filter(action="account.kin_verified").exists()


def test_without_the_document_seen_nothing_is_recorded(shkoder, clerk, parent, child):
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk, document_seen=False, document_number="")
    assert {"document_seen", "document_number"} <= set(refused.value.error_dict)
    assert not KinRelationship.objects.exists()


def test_the_parent_must_be_a_proven_account(shkoder, clerk, child):
    UserFactory(nid=PARENT_NID, nid_verified=False)  # only typed: a claim
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk)
    assert "parent_nid" in refused.value.error_dict
    assert not KinRelationship.objects.exists()


def test_a_child_not_in_the_register_is_added_with_the_birth_date_from_the_document(
    shkoder, clerk, parent
):
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk)
    assert "child_first_name" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk, child_first_name="Ema", child_last_name="Hoxha")
    assert "child_birth_date" in refused.value.error_dict
    assert not KinRelationship.objects.exists()
    relationship = _record(
        shkoder, clerk, child_first_name="Ema", child_last_name="Hoxha", child_birth_date=BORN
    )
    person = Person.objects.get(municipality=shkoder, nid=CHILD_NID)
    assert relationship.child == person and person.birth_date == BORN


def test_an_adult_or_a_different_birth_date_is_refused(shkoder, clerk, parent):
    register_person(
        shkoder, nid=CHILD_NID, first_name="Ben", last_name="Hoxha", birth_date=dt.date(2000, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk)
    assert "18" in refused.value.error_dict["child_birth_date"][0].message
    with pytest.raises(ValidationError) as refused:
        _record(shkoder, clerk, child_birth_date=BORN)
    assert "01.01.2000" in str(refused.value.error_dict["child_birth_date"][0].message % {})
    assert not KinRelationship.objects.exists()


def test_revoking_appends_and_is_audited_and_the_relationship_stops_granting(
    shkoder, lezhe, make_staff, clerk, parent, child
):
    relationship = _record(shkoder, clerk)
    lezhe_clerk = make_staff(lezhe, Role.CLERK)
    with pytest.raises(PermissionDenied):  # not a clerk of Shkodër
        kin.revoke_relationship(
            shkoder, clerk=lezhe_clerk, relationship_id=relationship.pk, reason="x"
        )
    with pytest.raises(ValidationError):  # from Lezhë, Shkodër's row is not there
        kin.revoke_relationship(
            lezhe, clerk=lezhe_clerk, relationship_id=relationship.pk, reason="x"
        )
    kin.revoke_relationship(
        shkoder, clerk=clerk, relationship_id=relationship.pk, reason="Vendim gjykate i ri"
    )
    relationship.refresh_from_db()
    assert relationship.document_number == "AL-2015-00412"  # the row itself is unchanged
    assert KinRevocation.objects.get().reason == "Vendim gjykate i ri"
    assert kin.active_relationship(parent, child) is None
    assert AuditEntry.objects.filter(action="account.kin_revoked").count() == 1
    # Recorded again (a new document): a new row, the old one stays revoked.
    again = _record(shkoder, clerk, document_number="AL-2015-00999")
    assert again.pk != relationship.pk and kin.active_relationship(parent, child) == again


def test_the_same_relationship_is_not_recorded_twice(shkoder, clerk, parent, child):
    _record(shkoder, clerk)
    with pytest.raises(ValidationError):
        _record(shkoder, clerk)
    assert KinRelationship.objects.count() == 1


@pytest.mark.parametrize(
    "prefix,heading,status",
    [("", "Fëmijët për të cilët veproni", "në fuqi"), ("/en", "Children you act for", "in force")],
)
def test_the_residents_account_lists_their_relationships(
    shkoder, clerk, parent, child, client, prefix, heading, status
):
    _record(shkoder, clerk)
    client.force_login(parent)
    for page in ("/account/", "/account/identity/"):
        html = client.get(f"{prefix}{page}").content.decode()
        listed = html.split('id="relationship-list"')[1].split("</ul>")[0]
        assert heading in html
        assert f"Ema Hoxha</strong> ({CHILD_NID})" in listed and status in listed
        assert "AL-2015-00412" in listed


def test_the_clerks_page_records_and_redisplays_errors(
    shkoder, clerk, parent, child, verified_client
):
    staff = verified_client(clerk)
    url = "/en/shkoder/staff/identity/relationships/"
    page = staff.get(url)
    assert page.status_code == 200
    assert "Record a parent's or guardian's relationship" in page.content.decode()
    form = {
        "parent_nid": PARENT_NID,
        "kind": "parent",
        "child_nid": CHILD_NID,
        "document": "birth_cert",
        "document_number": "AL-2015-00412",
    }
    refused = staff.post(url, form)  # the box "I saw this original document" not ticked
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Confirm that you saw the birth certificate or the court decision." in html
    assert 'value="AL-2015-00412"' in html  # nothing lost
    assert not KinRelationship.objects.exists()
    done = staff.post(url, {**form, "document_seen": "on"}, follow=True)
    assert "Recorded: Arta Hoxha is the parent of Ema Hoxha." in done.content.decode()
    assert KinRelationship.objects.get().verified_by == clerk
    sq = staff.get("/shkoder/staff/").content.decode()
    assert "Regjistro lidhjen e një prindi ose kujdestari" in sq


OTHER_PARENT_NID = with_check_letter("J40404004")
OTHER_CHILD_NID = with_check_letter("M60606006")


@pytest.fixture
def another_family(shkoder, clerk):
    """A second relationship recorded here: nobody searching for Arta or Ema may see it."""
    UserFactory(
        full_name="Besa Krasniqi",
        nid=OTHER_PARENT_NID,
        nid_verified=True,
        nid_verified_via="counter",
    )
    register_person(
        shkoder,
        nid=OTHER_CHILD_NID,
        first_name="Dea",
        last_name="Krasniqi",
        birth_date=BORN,
        actor=clerk,
    )
    return _record(shkoder, clerk, parent_nid=OTHER_PARENT_NID, child_nid=OTHER_CHILD_NID)


def test_the_clerks_page_lists_nobody_until_a_number_is_searched(
    shkoder, clerk, parent, child, another_family, verified_client
):
    _record(shkoder, clerk)
    staff = verified_client(clerk)
    url = "/en/shkoder/staff/identity/relationships/"
    html = staff.get(url).content.decode()
    for shown in ("Ema", "Dea", "Krasniqi", PARENT_NID, CHILD_NID, OTHER_PARENT_NID):
        assert shown not in html
    assert not AuditEntry.objects.filter(action="person.read").exists()

    found = staff.post(url, {"find": "1", "nid": CHILD_NID}).content.decode()
    assert "Ema Hoxha" in found and PARENT_NID in found and "Arta Hoxha" in found
    for hidden in ("Dea", "Krasniqi", OTHER_PARENT_NID, OTHER_CHILD_NID):
        assert hidden not in found  # only the person searched for

    by_parent = staff.post(url, {"find": "1", "nid": PARENT_NID}).content.decode()
    assert "Ema Hoxha" in by_parent and "Dea" not in by_parent


def test_each_search_that_shows_a_person_is_a_read_they_see(
    shkoder, clerk, parent, child, another_family, verified_client
):
    from sportel.accounts.selectors import data_accesses

    _record(shkoder, clerk)
    found = kin.find_relationships(shkoder, clerk=clerk, nid=PARENT_NID)
    assert [(r.parent_nid, r.child.nid) for r in found] == [(PARENT_NID, CHILD_NID)]
    reads = AuditEntry.objects.filter(action="person.read", reason=kin.SEARCH_REASON)
    assert {(e.subject_id, e.subject_user_id) for e in reads} == {
        (child.pk, None),
        (None, parent.pk),
    }
    assert {e.actor_id for e in reads} == {clerk.pk} and {e.actor_role for e in reads} == {"clerk"}
    # The parent sees it under "who accessed my data", by the clerk's name.
    with translation.override("en"):
        lines = [(a.what, a.who) for a in data_accesses(parent)]
    assert ("Looked up your personal data", clerk.full_name) in lines
    # A search that shows nobody reads nobody's data.
    before = reads.count()
    assert kin.find_relationships(shkoder, clerk=clerk, nid=with_check_letter("J99999999")) == []
    assert reads.count() == before


def test_a_search_is_refused_for_a_bad_number_or_another_municipalitys_clerk(
    shkoder, lezhe, clerk, parent, child, make_staff, verified_client
):
    _record(shkoder, clerk)
    with pytest.raises(ValidationError) as bad:
        kin.find_relationships(shkoder, clerk=clerk, nid="12AB")
    assert "nid" in bad.value.message_dict
    with pytest.raises(PermissionDenied):
        kin.find_relationships(shkoder, clerk=make_staff(lezhe, Role.CLERK), nid=CHILD_NID)
    # Lezhë's own page finds nothing of Shkodër's.
    lezhe_clerk = make_staff(lezhe, Role.CLERK)
    assert kin.find_relationships(lezhe, clerk=lezhe_clerk, nid=CHILD_NID) == []
    staff = verified_client(clerk)
    html = staff.post(
        "/en/shkoder/staff/identity/relationships/", {"find": "1", "nid": "12AB"}
    ).content.decode()
    assert "There is a problem" in html and "Ema" not in html
    assert not AuditEntry.objects.filter(action="person.read").exists()


def test_the_demo_citizen_acts_for_her_daughter(shkoder, lezhe):
    from sportel.accounts.demo import seed_accounts

    seed_accounts()
    seed_accounts()  # idempotent
    relationship = KinRelationship.objects.get()
    assert relationship.child.first_name == "Ema" and kin.grants(relationship)
