"""Reviewing who represents a business (decision 0028's open point, 0031).

Before decision 0028 an online application that typed a NIPT added the applicant to the
business's representatives, and such a link lets its holder read and pay the business's taxes.
Those links cannot be told from the ones a clerk made at the counter by the link itself. What
can be told: a link with a counter case behind it (the clerk saw the papers) is verified; every
other link without a review is *awaiting review*. A tax officer approves it (kept) or revokes it
(removed from ``Business.representatives``), with a reason; both audited.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.models import Business, Person

from .models import RepresentativeReview


@dataclass
class Link:
    business: Business
    person: Person
    online_cases: list[str]


def _counter_pairs(municipality) -> set[tuple[int, int]]:
    from sportel.services.models import Case, Channel

    return set(
        Case.objects.filter(
            municipality=municipality,
            channel=Channel.COUNTER,
            applicant_business__isnull=False,
            applicant_person__isnull=False,
        ).values_list("applicant_business_id", "applicant_person_id")
    )


def _reviewed(municipality) -> set[tuple[int, int]]:
    return set(
        RepresentativeReview.objects.filter(municipality=municipality).values_list(
            "business_id", "person_id"
        )
    )


def awaiting_review(municipality) -> list[Link]:
    """Links with neither a counter case behind them nor a review, by business name."""
    from sportel.services.models import Case, Channel

    through = Business.representatives.through
    pairs = list(
        through.objects.filter(business__municipality=municipality).values_list(
            "business_id", "person_id"
        )
    )
    skip = _counter_pairs(municipality) | _reviewed(municipality)
    pairs = [pair for pair in pairs if pair not in skip]
    if not pairs:
        return []
    businesses = Business.objects.in_bulk({b for b, _p in pairs})
    people = Person.objects.in_bulk({p for _b, p in pairs})
    cases: dict[tuple[int, int], list[str]] = {}
    for business_id, person_id, number in (
        Case.objects.filter(
            municipality=municipality,
            applicant_business_id__in=businesses,
            applicant_person_id__in=people,
        )
        .exclude(channel=Channel.COUNTER)
        .order_by("pk")
        .values_list("applicant_business_id", "applicant_person_id", "number")
    ):
        cases.setdefault((business_id, person_id), []).append(number)
    links = [Link(businesses[b], people[p], cases.get((b, p), [])) for b, p in pairs]
    return sorted(links, key=lambda x: (x.business.name, x.business.pk, x.person.pk))


def review(municipality, *, business_id: int, person_id: int, decision: str, reason: str, actor):
    """Approve or revoke one link, with a reason; audited. Refused for a link that does not
    exist (or no longer does) and without a reason."""
    role = require(actor, municipality, "revenue.assess")
    reason = (reason or "").strip()
    if decision not in RepresentativeReview.Decision.values:
        raise ValidationError(_("Choose approve or revoke."))
    if len(reason) < 5:
        raise ValidationError({"reason": _("Give the reason for the decision.")})
    with transaction.atomic():
        business = (
            Business.objects.select_for_update()
            .filter(municipality=municipality, pk=business_id)
            .first()
        )
        if business is None or not business.representatives.filter(pk=person_id).exists():
            raise ValidationError(_("This person no longer represents this business here."))
        person = Person.objects.get(pk=person_id)
        row = RepresentativeReview.objects.create(
            municipality=municipality,
            business=business,
            person=person,
            decision=decision,
            reason=reason[:300],
            decided_by=actor,
        )
        if decision == RepresentativeReview.Decision.REVOKED:
            business.representatives.remove(person)
        audit.record(
            f"revenue.representative.{decision}",
            actor=actor,
            role=role,
            municipality=municipality,
            obj=row,
            subject=person,
            data={"nipt": business.nipt, "reason": reason},
        )
    return row
