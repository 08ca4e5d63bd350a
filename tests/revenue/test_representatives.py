"""Representatives added online before decision 0028, awaiting a tax officer's review: the list
(links with no counter case and no review), approve and revoke with a reason, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sportel.core.models import AuditEntry
from sportel.revenue import representatives as reps
from sportel.revenue.models import RepresentativeReview

from .conftest import make_business, make_person


def url(municipality):
    return f"/{municipality.slug}/staff/revenue/representatives/"


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


@pytest.fixture
def links(shkoder, lezhe):
    """Two people linked to a bakery the old way (no counter case), one to Lezhë's business."""
    bakery = make_business(shkoder, "Furra Rozafa shpk")
    arta = make_person(shkoder, "Arta", "Kola")
    besnik = make_person(shkoder, "Besnik", "Gjoni")
    bakery.representatives.add(arta, besnik)
    other = make_business(lezhe, "Kantina Lezha shpk")
    other.representatives.add(make_person(lezhe, "Vera", "Lezhja"))
    return bakery, arta, besnik


def test_the_list_shows_unreviewed_links_of_this_municipality_only(links, shkoder):
    bakery, arta, besnik = links
    found = reps.awaiting_review(shkoder)
    assert [(x.business, x.person) for x in found] == [(bakery, arta), (bakery, besnik)]


def test_approve_keeps_revoke_removes_both_audited_with_their_reason(links, shkoder, officer):
    bakery, arta, besnik = links
    reps.review(
        shkoder,
        business_id=bakery.pk,
        person_id=arta.pk,
        decision="approved",
        reason="Prokura nr. 12/2026 e parë",
        actor=officer,
    )
    reps.review(
        shkoder,
        business_id=bakery.pk,
        person_id=besnik.pk,
        decision="revoked",
        reason="Nuk është në QKB",
        actor=officer,
    )
    assert list(bakery.representatives.all()) == [arta]
    assert reps.awaiting_review(shkoder) == []
    assert RepresentativeReview.objects.count() == 2
    revoked = AuditEntry.objects.get(action="revenue.representative.revoked")
    assert revoked.data == {"nipt": bakery.nipt, "reason": "Nuk është në QKB"}
    assert AuditEntry.objects.filter(action="revenue.representative.approved").exists()
    with pytest.raises(ValidationError):  # revoked already: the link is gone
        reps.review(
            shkoder,
            business_id=bakery.pk,
            person_id=besnik.pk,
            decision="revoked",
            reason="Sërish",
            actor=officer,
        )


def test_bad_reviews_are_refused_and_change_nothing(links, shkoder, lezhe, officer, make_staff):
    bakery, arta, _besnik = links
    clerk = make_staff(shkoder, "clerk")
    with pytest.raises(PermissionDenied):
        reps.review(
            shkoder,
            business_id=bakery.pk,
            person_id=arta.pk,
            decision="revoked",
            reason="Pa të drejtë",
            actor=clerk,
        )
    for decision, reason in (("revoked", ""), ("delete", "Arsye e mjaftueshme")):
        with pytest.raises(ValidationError):
            reps.review(
                shkoder,
                business_id=bakery.pk,
                person_id=arta.pk,
                decision=decision,
                reason=reason,
                actor=officer,
            )
    lezhe_officer = make_staff(lezhe, "tax_officer")
    with pytest.raises(ValidationError):  # another municipality's business is not found
        reps.review(
            lezhe,
            business_id=bakery.pk,
            person_id=arta.pk,
            decision="revoked",
            reason="Nga Lezha",
            actor=lezhe_officer,
        )
    assert bakery.representatives.count() == 2 and not RepresentativeReview.objects.exists()


def test_a_counter_case_verifies_the_link(links, shkoder, make_staff, seal_keys):
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.models import Case

    bakery, arta, _besnik = links
    seed_catalogue(shkoder)
    clerk = make_staff(shkoder, "clerk")
    from sportel.services.applications import submit_application

    submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "Për tenderin"},
        actor=clerk,
        channel="counter",
        walk_in={
            "nid": arta.nid,
            "first_name": arta.first_name,
            "last_name": arta.last_name,
            "identity_document": "id_card",
        },
        business={"nipt": bakery.nipt, "name": bakery.name},
    )
    assert Case.objects.filter(applicant_business=bakery, applicant_person=arta).exists()
    assert [x.person for x in reps.awaiting_review(shkoder)] == [_besnik]


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", ("Përfaqësues për t'u shqyrtuar", "Hiqe lidhjen")),
        ("/en", ("Representatives to review", "Revoke the link")),
    ],
)
def test_the_officer_reviews_on_the_page(links, shkoder, officer, verified_client, prefix, words):
    bakery, arta, besnik = links
    client = verified_client(officer)
    page = client.get(prefix + url(shkoder)).content.decode()
    for word in words:
        assert word in page
    assert bakery.nipt in page and "Arta Kola" in page and "Vera" not in page
    bad = client.post(
        prefix + url(shkoder),
        {"business": bakery.pk, "person": arta.pk, "decision": "revoked", "reason": ""},
    )
    assert bad.status_code == 400 and 'id="review-errors"' in bad.content.decode()
    ok = client.post(
        prefix + url(shkoder),
        {"business": bakery.pk, "person": besnik.pk, "decision": "revoked", "reason": "Pa prokurë"},
    )
    assert ok.status_code == 302 and list(bakery.representatives.all()) == [arta]
