"""A personal number the account typed is a claim; only the eID or a clerk with the identity
document in hand makes it proven (issue 8 §1)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from sportel.accounts import identity, services
from sportel.accounts.models import IdentityVerification
from sportel.accounts.roles import Role
from sportel.core.identifiers import with_check_letter
from sportel.core.models import AuditEntry

from .factories import UserFactory

NID = with_check_letter("J10101001")
OTHER_NID = with_check_letter("J20202002")


@pytest.fixture
def clerk(shkoder, make_staff):
    return make_staff(shkoder, Role.CLERK)


def test_a_typed_personal_number_is_a_claim_not_an_identity(db):
    user = UserFactory()
    services.link_nid(user, NID)
    user.refresh_from_db()
    assert user.nid == NID
    assert not user.nid_verified
    assert identity.level_of(user) == "low"
    assert not identity.is_proven_person(user, NID)


def test_clerk_verifies_an_account_with_its_code_and_the_document(shkoder, clerk):
    user = UserFactory()
    services.link_nid(user, OTHER_NID)  # what the resident typed does not matter
    code = identity.new_counter_code(user)
    identity.verify_at_counter(
        shkoder, clerk=clerk, code=code, nid=NID, document="id_card", document_seen=True
    )
    user.refresh_from_db()
    assert (user.nid, user.nid_verified, user.nid_verified_via) == (NID, True, "counter")
    assert identity.level_of(user) == "substantial"
    assert identity.is_proven_person(user, NID)
    row = IdentityVerification.objects.get(user=user)
    assert (row.verified_by, row.municipality, row.document) == (clerk, shkoder, "id_card")
    entry = AuditEntry.objects.filter(action="account.identity_verified").get()
    assert entry.actor_id == clerk.pk and entry.data["method"] == "counter"


def test_a_counter_code_works_once(shkoder, clerk):
    user = UserFactory()
    code = identity.new_counter_code(user)
    identity.verify_at_counter(
        shkoder, clerk=clerk, code=code, nid=NID, document="id_card", document_seen=True
    )
    with pytest.raises(ValidationError) as error:
        identity.verify_at_counter(
            shkoder, clerk=clerk, code=code, nid=OTHER_NID, document="id_card", document_seen=True
        )
    assert "code" in error.value.message_dict
    user.refresh_from_db()
    assert user.nid == NID


def test_an_expired_or_replaced_code_is_refused_and_nothing_changes(shkoder, clerk):
    user = UserFactory()
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)):
        old = identity.new_counter_code(user)
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 31, tzinfo=dt.UTC)):
        with pytest.raises(ValidationError):
            identity.verify_at_counter(
                shkoder, clerk=clerk, code=old, nid=NID, document="id_card", document_seen=True
            )
        first = identity.new_counter_code(user)
        identity.new_counter_code(user)  # replaces the first
        with pytest.raises(ValidationError):
            identity.verify_at_counter(
                shkoder, clerk=clerk, code=first, nid=NID, document="id_card", document_seen=True
            )
    user.refresh_from_db()
    assert not user.nid_verified
    assert not IdentityVerification.objects.exists()


def test_the_clerk_must_confirm_seeing_the_document(shkoder, clerk):
    user = UserFactory()
    code = identity.new_counter_code(user)
    with pytest.raises(ValidationError) as error:
        identity.verify_at_counter(
            shkoder, clerk=clerk, code=code, nid=NID, document="id_card", document_seen=False
        )
    assert "document_seen" in error.value.message_dict
    user.refresh_from_db()
    assert not user.nid_verified


def test_only_the_counter_verifies_identities(shkoder, make_staff):
    user = UserFactory()
    code = identity.new_counter_code(user)
    for role in (Role.SPECIALIST, Role.MANAGER, Role.ADMINISTRATOR, Role.TAX_OFFICER):
        with pytest.raises(PermissionDenied):
            identity.verify_at_counter(
                shkoder,
                clerk=make_staff(shkoder, role),
                code=code,
                nid=NID,
                document="id_card",
                document_seen=True,
            )
    with pytest.raises(PermissionDenied):
        identity.verify_at_counter(
            shkoder, clerk=user, code=code, nid=NID, document="id_card", document_seen=True
        )


def test_a_clerk_cannot_verify_their_own_account(shkoder, clerk):
    code = identity.new_counter_code(clerk)
    with pytest.raises(PermissionDenied):
        identity.verify_at_counter(
            shkoder, clerk=clerk, code=code, nid=NID, document="id_card", document_seen=True
        )


def test_an_eid_identity_is_not_replaced_at_the_counter(shkoder, clerk):
    user = UserFactory()
    identity.record_eid(user, NID)
    code = identity.new_counter_code(user)
    with pytest.raises(ValidationError) as error:
        identity.verify_at_counter(
            shkoder, clerk=clerk, code=code, nid=OTHER_NID, document="passport", document_seen=True
        )
    assert "nid" in error.value.message_dict
    user.refresh_from_db()
    assert (user.nid, user.nid_verified_via) == (NID, "eid")
    assert identity.level_of(user) == "high"


def test_wrong_check_letter_needs_the_clerks_override(shkoder, clerk):
    user = UserFactory()
    wrong = NID[:-1] + ("A" if NID[-1] != "A" else "B")
    code = identity.new_counter_code(user)
    with pytest.raises(ValidationError) as error:
        identity.verify_at_counter(
            shkoder, clerk=clerk, code=code, nid=wrong, document="id_card", document_seen=True
        )
    assert error.value.error_dict["nid"][0].code == "check_letter"
    identity.verify_at_counter(
        shkoder,
        clerk=clerk,
        code=code,
        nid=wrong,
        document="id_card",
        document_seen=True,
        override_check=True,
    )
    assert IdentityVerification.objects.get(user=user).check_letter_overridden


# --- pages ------------------------------------------------------------------------------------


def test_resident_gets_a_code_and_the_clerk_verifies_in_english(
    shkoder, clerk, client, verified_client
):
    user = UserFactory()
    client.force_login(user)
    page = client.get("/en/account/identity/")
    assert "Your identity is not verified yet" in page.content.decode()
    response = client.post("/en/account/identity/code/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/en/account/identity/"
    assert "Your code for the counter" in html
    code = html.split('id="identity-code">')[1].split("<")[0]
    client.logout()

    staff = verified_client(clerk)
    form = staff.get("/en/shkoder/staff/identity/")
    assert form.status_code == 200 and "Verify a resident" in form.content.decode()
    response = staff.post(
        "/en/shkoder/staff/identity/",
        {"code": code.lower(), "nid": NID, "document": "id_card", "document_seen": "on"},
        follow=True,
    )
    assert f"is verified with personal number {NID}" in response.content.decode()
    user.refresh_from_db()
    assert user.nid_verified and user.nid_verified_via == "counter"


def test_clerk_page_explains_a_bad_code_in_albanian(shkoder, clerk, verified_client):
    staff = verified_client(clerk)
    response = staff.post(
        "/shkoder/staff/identity/",
        {"code": "AAAA-AAAA", "nid": NID, "document": "id_card", "document_seen": "on"},
    )
    assert response.status_code == 200
    assert "Ky kod nuk është i vlefshëm" in response.content.decode()


def test_specialist_cannot_open_the_verification_page(shkoder, make_staff, verified_client):
    staff = verified_client(make_staff(shkoder, Role.SPECIALIST))
    assert staff.get("/en/shkoder/staff/identity/").status_code == 403


def _own_entry(municipality, user):
    """The entry an account gets when it applies online before its identity is proven."""
    from sportel.core.models import Person

    return Person.objects.create(
        municipality=municipality, first_name="Besa", last_name="Hoxha", user=user
    )


def _counter(municipality, clerk, user, nid, **kwargs):
    from django.test import TestCase

    code = identity.new_counter_code(user)
    # The register follows on commit (identity_verified): run those callbacks here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return identity.verify_at_counter(
            municipality,
            clerk=clerk,
            code=code,
            nid=nid,
            document="id_card",
            document_seen=True,
            **kwargs,
        )


def test_a_different_number_at_a_second_counter_check_is_refused_and_nothing_changes(
    shkoder, clerk
):
    from sportel.core.models import Person
    from sportel.core.services import register_person

    earlier = register_person(shkoder, nid=NID, first_name="Arta", last_name="Hoxha").obj
    user = UserFactory()
    _own_entry(shkoder, user)
    _counter(shkoder, clerk, user, NID)
    assert Person.objects.get(pk=earlier.pk).user == user
    with pytest.raises(ValidationError) as refused:
        _counter(shkoder, clerk, user, OTHER_NID)
    assert [e.code for e in refused.value.error_dict["nid"]] == ["nid_differs"]
    user.refresh_from_db()
    assert (user.nid, user.nid_verified) == (NID, True)
    assert Person.objects.get(pk=earlier.pk).user == user  # still linked: nothing moved
    assert IdentityVerification.objects.filter(user=user).count() == 1
    assert not AuditEntry.objects.filter(action="account.identity_corrected").exists()


def test_correcting_the_identity_unlinks_the_earlier_persons_records_and_is_audited(shkoder, clerk):
    """The explicit "correct identity" step: the earlier person's register entry is no longer
    the account's, the new number's entry is, the relationships recorded for the earlier number
    stop granting, and every step is audited with the clerk's reason."""
    from sportel.accounts import kin
    from sportel.accounts.models import KinRelationship
    from sportel.core.models import Person
    from sportel.core.services import register_person

    earlier = register_person(shkoder, nid=NID, first_name="Arta", last_name="Hoxha").obj
    right = register_person(shkoder, nid=OTHER_NID, first_name="Besa", last_name="Hoxha").obj
    user = UserFactory()
    _own_entry(shkoder, user)
    _counter(shkoder, clerk, user, NID)  # the first check took the wrong card's number
    assert Person.objects.get(pk=earlier.pk).user == user
    child = register_person(
        shkoder,
        nid=with_check_letter("M50327004"),
        first_name="Ema",
        last_name="Hoxha",
        birth_date=dt.date(2015, 3, 27),
    ).obj
    relationship = KinRelationship.objects.create(
        user=user,
        parent_nid=NID,
        child=child,
        kind="parent",
        child_birth_date=child.birth_date,
        document="birth_cert",
        document_number="AL-1",
        municipality=shkoder,
        verified_by=clerk,
    )
    user.refresh_from_db()
    assert kin.grants(relationship, user)

    with pytest.raises(ValidationError) as no_reason:
        _counter(shkoder, clerk, user, OTHER_NID, correction_reason="   ")
    assert "nid" in no_reason.value.message_dict
    _counter(shkoder, clerk, user, OTHER_NID, correction_reason="Identity card of her sister seen")
    user.refresh_from_db()
    assert (user.nid, user.nid_verified, user.nid_verified_via) == (OTHER_NID, True, "counter")
    assert Person.objects.get(pk=earlier.pk).user is None
    assert Person.objects.get(pk=earlier.pk).nid == NID  # the earlier person's entry is theirs
    assert Person.objects.get(pk=right.pk).user == user
    relationship.refresh_from_db()
    assert not kin.grants(relationship, user)
    corrected = AuditEntry.objects.get(action="account.identity_corrected")
    assert (corrected.actor_id, corrected.subject_user_id) == (clerk.pk, user.pk)
    assert corrected.reason == "Identity card of her sister seen"
    unlinked = AuditEntry.objects.get(action="person.account_unlinked")
    assert unlinked.subject_id == earlier.pk and unlinked.actor_id == clerk.pk


def test_the_accounts_own_entry_gives_back_the_wrong_number(shkoder, clerk):
    """An account's own register entry that only took the wrong number (no entry held it
    before) loses it, and takes the right one."""
    from sportel.core.models import Person

    user = UserFactory()
    own = _own_entry(shkoder, user)
    _counter(shkoder, clerk, user, NID)
    assert Person.objects.get(pk=own.pk).nid == NID
    _counter(shkoder, clerk, user, OTHER_NID, correction_reason="Wrong card")
    own.refresh_from_db()
    assert (own.nid, own.user_id) == (OTHER_NID, user.pk)
    assert not Person.objects.filter(nid=NID).exists()
    assert AuditEntry.objects.filter(action="person.number_removed").count() == 1


def test_the_clerks_page_offers_the_correction_only_when_the_number_differs(
    shkoder, clerk, verified_client
):
    user = UserFactory()
    _counter(shkoder, clerk, user, NID)
    staff = verified_client(clerk)
    url = "/en/shkoder/staff/identity/"
    first = staff.get(url).content.decode()
    assert 'id="correct-identity"' not in first
    form = {
        "code": identity.new_counter_code(user),
        "nid": OTHER_NID,
        "document": "id_card",
        "document_seen": "on",
    }
    refused = staff.post(url, form).content.decode()
    assert "already proven, at a counter, to hold a different personal number" in refused
    assert 'id="correct-identity"' in refused
    no_reason = staff.post(url, {**form, "correct_identity": "on"}).content.decode()
    assert "Say why the earlier number was wrong, for the record." in no_reason
    done = staff.post(
        url, {**form, "correct_identity": "on", "correction_reason": "Sister's card"}, follow=True
    )
    assert f"verified with personal number {OTHER_NID}" in done.content.decode()
    user.refresh_from_db()
    assert user.nid == OTHER_NID
