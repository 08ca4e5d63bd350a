"""Organisers set up a budget, its projects and their costing: through the pages and services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.participation import organising
from sportel.participation.models import Budget, Phase, Project


def staff_url(name, municipality, **kwargs):
    with translation.override("sq"):
        return reverse(
            f"participation-staff:{name}",
            kwargs={"municipality_slug": municipality.slug, **kwargs},
        )


def form_dates(start):
    names = [
        "information_starts",
        "proposals_start",
        "review_starts",
        "voting_starts",
        "voting_ends",
        "implementation_starts",
    ]
    return {
        n: (start + timedelta(days=10 * i)).strftime("%Y-%m-%dT%H:%M") for i, n in enumerate(names)
    }


@pytest.fixture
def manager_user(shkoder, make_staff):
    return make_staff(shkoder, Role.MANAGER)


def test_an_organiser_creates_a_budget_adds_projects_and_costs_them(
    shkoder, manager_user, verified_client
):
    client = verified_client(manager_user)
    unit = shkoder.units.order_by("name").first()
    data = {
        "slug": "lagjja-2027",
        "title": "Buxheti i lagjes 2027",
        "description": "Banorët vendosin.",
        "unit": unit.pk,
        "amount": "5000000",
        "max_projects": "2",
        "max_cost": "",
        **form_dates(timezone.now() + timedelta(days=1)),
    }
    wrong = client.post("/en" + staff_url("budget-new", shkoder), {**data, "amount": "-5"})
    assert wrong.status_code == 200
    assert "The amount must be more than 0 ALL." in wrong.content.decode()
    assert 'value="Buxheti i lagjes 2027"' in wrong.content.decode()
    assert not Budget.objects.exists()

    client.post(staff_url("budget-new", shkoder), data)
    budget = Budget.objects.get(municipality=shkoder, slug="lagjja-2027")
    assert (budget.unit, budget.amount, budget.max_projects) == (unit, Decimal("5000000"), 2)
    assert budget.phase == Phase.DRAFT

    projects = staff_url("projects", shkoder, slug=budget.slug)
    client.post(projects, {"new-title": "Ndriçim", "new-cost": "1200000.50"})
    second_add = client.post(projects, {"new-title": "Kënd lojërash", "new-cost": "900000"})
    assert second_add.status_code == 302, second_add.content.decode()[-3000:]
    first, second = budget.projects.order_by("number")
    assert (first.number, second.number, first.review) == (1, 2, Project.Review.PENDING)
    assert first.unit == unit
    review = staff_url("project-review", shkoder, slug=budget.slug, pk=first.pk)
    client.post(review, {f"p{first.pk}-review": "feasible", f"p{first.pk}-cost": "1350000"})
    refused = client.post(
        "/en" + staff_url("project-review", shkoder, slug=budget.slug, pk=second.pk),
        {f"p{second.pk}-review": "unfeasible", f"p{second.pk}-cost": "900000"},
        follow=True,
    )
    assert "Say why the project is not feasible." in refused.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.review, first.cost) == (Project.Review.FEASIBLE, Decimal("1350000.00"))
    assert second.review == Project.Review.PENDING
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "participation.budget_created",
        "participation.project_added",
        "participation.project_reviewed",
    } <= actions

    edit = staff_url("budget-edit", shkoder, slug=budget.slug)
    changed = {k: v for k, v in data.items() if k != "slug"}
    client.post(edit, {**changed, "max_projects": "", "max_cost": "3000000"})
    budget.refresh_from_db()
    assert (budget.max_projects, budget.max_cost) == (None, Decimal("3000000.00"))


def test_rules_and_dates_are_checked(shkoder, manager_user):
    start = timezone.now()
    good = {
        "slug": "b",
        "title": "B",
        "amount": Decimal(100),
        "unit": None,
        "max_projects": None,
        "max_cost": None,
        **{n: start + timedelta(days=i) for i, n in enumerate(organising.FIELDS[7:])},
    }
    with pytest.raises(ValidationError) as both:
        organising.save_budget(
            shkoder, by=manager_user, data={**good, "max_projects": 2, "max_cost": Decimal(5)}
        )
    assert "max_cost" in both.value.message_dict
    with pytest.raises(ValidationError) as order:
        organising.save_budget(
            shkoder, by=manager_user, data={**good, "voting_ends": good["voting_starts"]}
        )
    assert "voting_ends" in order.value.message_dict
    with pytest.raises(ValidationError) as script:
        organising.save_budget(
            shkoder, by=manager_user, data={**good, "title": "<script>x</script>"}
        )
    assert "title" in script.value.message_dict
    assert not Budget.objects.exists()


def test_nothing_changes_once_voting_has_begun(shkoder, manager_user, make_budget, make_staff):
    budget = make_budget(phase=Phase.VOTING, projects=[1000])
    with pytest.raises(ValidationError):
        organising.add_project(budget, by=manager_user, title="Late", cost=Decimal(10))
    project = budget.projects.get()
    with pytest.raises(ValidationError):
        organising.review_project(
            project, by=manager_user, review="unfeasible", cost=Decimal(1), reason="No"
        )
    with pytest.raises(PermissionDenied):
        organising.add_project(
            budget, by=make_staff(shkoder, Role.CLERK), title="X", cost=Decimal(10)
        )
    assert budget.projects.count() == 1


def test_a_unit_of_another_municipality_is_refused(shkoder, manager_user, make_budget):
    from sportel.core.models import Municipality

    other = Municipality.objects.exclude(pk=shkoder.pk).filter(units__isnull=False).first()
    budget = make_budget(phase=Phase.REVIEW)
    with pytest.raises(ValidationError) as refused:
        organising.add_project(
            budget,
            by=manager_user,
            title="X",
            cost=Decimal(10),
            unit=other.units.first(),
        )
    assert "unit" in refused.value.message_dict
