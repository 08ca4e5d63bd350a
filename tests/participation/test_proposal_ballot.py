"""An accepted proposal goes on a budget's ballot: the organiser's page (cost estimate,
feasibility note), the proposer told, and every refusal (status, unit, phase, role, another
municipality)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry, Notification
from sportel.participation import organising, proposals, services
from sportel.participation.models import Phase, Project, Proposal


def staff_url(name, municipality, **kwargs):
    with translation.override("sq"):
        return reverse(
            f"participation-staff:{name}",
            kwargs={"municipality_slug": municipality.slug, **kwargs},
        )


@pytest.fixture
def accepted(shkoder, make_resident, make_staff):
    author = make_resident(shkoder)
    author.email = "proposer@test.sportel.al"
    author.save()
    proposal = proposals.create_proposal(
        shkoder, author=author, title="Ndriçim në rrugën e shkollës", body="Llamba LED."
    )
    proposals.answer(
        proposal, by=make_staff(shkoder, Role.MANAGER), status="accepted", reasons="Po."
    )
    return proposal


def test_an_organiser_puts_an_accepted_proposal_on_a_ballot_and_the_proposer_hears(
    shkoder, accepted, make_budget, make_staff, verified_client, make_resident
):
    budget = make_budget(phase=Phase.REVIEW, projects=[1_000_000])
    make_budget(phase=Phase.VOTING)  # voting begun: not offered
    manager = verified_client(make_staff(shkoder, Role.MANAGER))
    desk = manager.get("/en" + staff_url("index", shkoder)).content.decode()
    assert f"Put {accepted.pk}. {accepted.title} on a budget's ballot" in desk

    page = staff_url("proposal-ballot", shkoder, pk=accepted.pk)
    form = manager.get("/en" + page).content.decode()
    assert budget.title in form
    assert "Budget 2" not in form  # its vote has begun
    Notification.objects.all().delete()
    done = manager.post(
        page,
        {"budget": budget.pk, "cost": "2500000", "note": "E realizueshme brenda një viti."},
        follow=True,
    )
    assert "Propozimi është në fletën e votimit" in done.content.decode()
    project = Project.objects.get(proposal=accepted)
    assert (project.budget, project.number, project.cost) == (budget, 2, Decimal("2500000.00"))
    assert project.review == Project.Review.FEASIBLE
    assert project.review_reason == "E realizueshme brenda një viti."
    assert project.title == accepted.title
    sent = Notification.objects.get(template="participation_update")
    assert sent.recipient == "proposer@test.sportel.al"
    assert budget.title in sent.subject
    assert AuditEntry.objects.filter(action="participation.proposal_on_ballot").count() == 1

    # Residents see it on the proposal's page, and can vote for it once voting opens.
    public = manager.get(
        "/en"
        + reverse(
            "participation:proposal", kwargs={"municipality_slug": "shkoder", "pk": accepted.pk}
        )
    ).content.decode()
    assert "On a participatory budget's ballot" in public
    assert "E realizueshme brenda një viti." in public
    budget.review_starts, budget.voting_starts = (
        budget.review_starts.replace(year=2000),
        budget.voting_starts.replace(year=2000),
    )
    budget.save()
    ballot = services.cast_ballot(budget, voter=make_resident(shkoder), projects=[project.pb_id])
    assert list(ballot.projects.all()) == [project]


def test_bad_input_and_a_second_time_are_refused_with_nothing_written(
    shkoder, accepted, make_budget, make_staff, verified_client
):
    budget = make_budget(phase=Phase.PROPOSALS)
    manager = verified_client(make_staff(shkoder, Role.MANAGER))
    page = "/en" + staff_url("proposal-ballot", shkoder, pk=accepted.pk)
    for data, message in (
        ({"budget": budget.pk, "cost": "0", "note": "Ok"}, "greater than or equal to 1"),
        ({"budget": budget.pk, "cost": "100", "note": ""}, "This field is required."),
        ({"budget": budget.pk, "cost": "abc", "note": "Ok"}, "Enter a number."),
        ({"budget": budget.pk, "cost": "100", "note": "<script>x</script>"}, "Write plain text"),
        ({"budget": 999999, "cost": "100", "note": "Ok"}, "Select a valid choice."),
    ):
        refused = manager.post(page, data)
        assert refused.status_code == 400, data
        assert message in refused.content.decode(), data
    assert not Project.objects.filter(proposal=accepted).exists()
    manager.post(page, {"budget": budget.pk, "cost": "100", "note": "Ok"})
    again = manager.post(page, {"budget": budget.pk, "cost": "100", "note": "Ok"})
    assert "This proposal is already on this budget&#x27;s ballot." in again.content.decode()
    assert Project.objects.filter(proposal=accepted).count() == 1


def test_only_accepted_proposals_of_the_budgets_unit_before_voting(
    shkoder, lezhe, accepted, make_budget, make_staff, make_resident
):
    manager = make_staff(shkoder, Role.MANAGER)
    unit_a, unit_b = shkoder.units.order_by("pk")[:2]
    budget = make_budget(phase=Phase.REVIEW)

    waiting = proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Stol", body="Stola."
    )
    with pytest.raises(ValidationError) as refused:
        organising.put_on_ballot(waiting, budget=budget, by=manager, cost=100, note="Ok")
    assert refused.value.code == "not_accepted"

    unit_budget = make_budget(phase=Phase.REVIEW, unit=unit_a)
    Proposal.objects.filter(pk=accepted.pk).update(unit=unit_b)
    accepted.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        organising.put_on_ballot(accepted, budget=unit_budget, by=manager, cost=100, note="Ok")
    assert unit_a.name in refused.value.message_dict["budget"][0]

    voting = make_budget(phase=Phase.VOTING)
    with pytest.raises(ValidationError) as refused:
        organising.put_on_ballot(accepted, budget=voting, by=manager, cost=100, note="Ok")
    assert refused.value.code == "phase"

    lezhe_budget = make_budget(lezhe, phase=Phase.REVIEW)
    with pytest.raises(PermissionDenied):
        organising.put_on_ballot(accepted, budget=lezhe_budget, by=manager, cost=100, note="Ok")
    lezhe_manager = make_staff(lezhe, Role.MANAGER)
    with pytest.raises(ValidationError):
        organising.put_on_ballot(
            accepted, budget=lezhe_budget, by=lezhe_manager, cost=100, note="Ok"
        )
    for role in (Role.CLERK, Role.SPECIALIST, Role.TAX_OFFICER):
        with pytest.raises(PermissionDenied):
            organising.put_on_ballot(
                accepted, budget=budget, by=make_staff(shkoder, role), cost=100, note="Ok"
            )
    assert not Project.objects.filter(proposal__isnull=False).exists()


def test_the_page_is_for_organisers_of_this_municipality_only(
    shkoder, lezhe, accepted, make_budget, make_staff, verified_client
):
    budget = make_budget(phase=Phase.REVIEW)
    page = staff_url("proposal-ballot", shkoder, pk=accepted.pk)
    data = {"budget": budget.pk, "cost": "100", "note": "Ok"}
    for user in (
        make_staff(shkoder, Role.CLERK),
        make_staff(shkoder, Role.SPECIALIST),
        make_staff(lezhe, Role.MANAGER),
    ):
        client = verified_client(user)
        assert client.get(page).status_code == 403
        assert client.post(page, data).status_code == 403
    # A Lezhë organiser on Lezhë's own path cannot reach a Shkodër proposal (404).
    lezhe_page = staff_url("proposal-ballot", lezhe, pk=accepted.pk)
    assert client.get(lezhe_page).status_code == 404
    assert not Project.objects.filter(proposal=accepted).exists()


def test_a_proposal_not_accepted_shows_why_and_takes_nothing(
    shkoder, make_resident, make_budget, make_staff, verified_client
):
    make_budget(phase=Phase.REVIEW)
    proposal = proposals.create_proposal(
        shkoder, author=make_resident(shkoder), title="Stol", body="Stola."
    )
    manager = verified_client(make_staff(shkoder, Role.MANAGER))
    page = "/en" + staff_url("proposal-ballot", shkoder, pk=proposal.pk)
    shown = manager.get(page).content.decode()
    assert "Only an accepted proposal can be put on a budget's ballot. Answer it first." in shown
    manager.post(page, {"budget": "1", "cost": "100", "note": "Ok"})
    assert not Project.objects.filter(proposal=proposal).exists()
