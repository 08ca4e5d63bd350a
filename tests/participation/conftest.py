from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sportel.core.identifiers import with_check_letter
from sportel.participation.models import Budget, Phase, Project

# Days from now at which each phase starts, so that a budget is in ``phase`` today.
OFFSETS = {
    Phase.DRAFT: 1,
    Phase.INFORMATION: 0,
    Phase.PROPOSALS: -1,
    Phase.REVIEW: -2,
    Phase.VOTING: -3,
    Phase.RESULTS: -4,
    Phase.IMPLEMENTATION: -5,
}


def dates_for(phase):
    now = timezone.now()
    start = OFFSETS[phase]
    names = (
        "information_starts",
        "proposals_start",
        "review_starts",
        "voting_starts",
        "voting_ends",
        "implementation_starts",
    )
    return {
        name: now + timedelta(days=start + i) - timedelta(hours=1) for i, name in enumerate(names)
    }


@pytest.fixture
def make_budget(shkoder):
    counter = iter(range(1, 1000))

    def make(
        municipality=None,
        *,
        phase=Phase.VOTING,
        unit=None,
        amount=10_000_000,
        projects=(),
        **kwargs,
    ):
        municipality = municipality or shkoder
        n = next(counter)
        budget = Budget.objects.create(
            municipality=municipality,
            slug=f"budget-{n}",
            title=f"Budget {n} {municipality.slug}",
            unit=unit,
            amount=Decimal(amount),
            **dates_for(phase),
            **kwargs,
        )
        for i, cost in enumerate(projects, start=1):
            Project.objects.create(
                budget=budget,
                number=i,
                title=f"Project {i}",
                cost=Decimal(cost),
                unit=unit,
                review=Project.Review.FEASIBLE,
            )
        return budget

    return make


@pytest.fixture
def make_resident(db):
    """make_resident(municipality, unit) → a confirmed account whose NID a clerk verified, with
    a register entry in that unit (``verified=False``: the NID was only typed)."""
    from sportel.accounts.models import User
    from sportel.core.models import Person

    counter = iter(range(100_000, 999_999))

    def make(municipality, unit=None, *, verified=True):
        n = next(counter)
        nid = with_check_letter(f"I{n:06d}01")
        user = User.objects.create_user(
            f"resident{n}@test.sportel.al",
            password="a-long-test-password",
            full_name=f"Resident {n}",
            confirmed_at="2026-01-01T00:00:00Z",
            nid=nid,
            nid_verified=verified,
            nid_verified_via="counter" if verified else "",
        )
        Person.objects.create(
            municipality=municipality,
            nid=nid,
            first_name="Resident",
            last_name=str(n),
            unit=unit,
            user=user if verified else None,
        )
        return user

    return make
