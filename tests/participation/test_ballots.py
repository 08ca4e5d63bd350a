"""Casting ballots: one per verified resident, changeable until close; bad input refused with a
clear reason and nothing counted; the published result recounts the same with pabutools."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from pabutools.election.pabulib import parse_pabulib_from_string

from sportel.accounts.roles import Role
from sportel.core.models import AdministrativeUnit, AuditEntry
from sportel.participation import rules, services
from sportel.participation.models import Ballot, Channel, Phase, Proposal

from .reference import recount


def ids(ballot):
    return sorted(p.number for p in ballot.projects.all())


def P(budget, *numbers):
    """The .pb ids of a budget's projects by their number on the ballot."""
    return [str(budget.projects.get(number=n).pk) for n in numbers]


def test_a_resident_votes_and_changes_the_ballot_until_close(shkoder, make_budget, make_resident):
    budget = make_budget(projects=[4_000_000, 3_000_000, 5_000_000])
    voter = make_resident(shkoder)
    services.cast_ballot(budget, voter=voter, projects=P(budget, 1, 2))
    ballot = services.cast_ballot(budget, voter=voter, projects=P(budget, 3))
    assert Ballot.objects.filter(budget=budget).count() == 1
    assert ids(Ballot.objects.get(pk=ballot.pk)) == [3]
    assert Ballot.objects.get(pk=ballot.pk).changes == 1
    entries = AuditEntry.objects.filter(action__startswith="participation.ballot")
    assert [e.action for e in entries.order_by("seq")] == [
        "participation.ballot_cast",
        "participation.ballot_changed",
    ]
    # The audit log names the budget, never the ballot or what was chosen.
    assert all(e.object_type == "participation.budget" for e in entries)
    assert all(set(e.data) == {"channel"} for e in entries)


@pytest.mark.parametrize(
    ("phase", "code"),
    [(Phase.REVIEW, "phase"), (Phase.RESULTS, "phase"), (Phase.DRAFT, "phase")],
)
def test_a_vote_outside_the_voting_phase_is_refused(
    shkoder, make_budget, make_resident, phase, code
):
    budget = make_budget(phase=phase, projects=[1_000_000])
    with pytest.raises(ValidationError) as refused:
        services.cast_ballot(budget, voter=make_resident(shkoder), projects=P(budget, 1))
    assert refused.value.code == code
    assert "Votimi" in refused.value.messages[0]
    assert not Ballot.objects.exists()


def test_unverified_accounts_and_other_areas_cannot_vote(
    shkoder, lezhe, make_budget, make_resident
):
    units = list(AdministrativeUnit.objects.filter(municipality=shkoder).order_by("pk")[:2])
    budget = make_budget(unit=units[0], projects=[1_000_000])
    typed_nid = make_resident(shkoder, units[0], verified=False)
    with pytest.raises(ValidationError) as refused:
        services.cast_ballot(budget, voter=typed_nid, projects=P(budget, 1))
    assert refused.value.code == "unverified"
    for outsider in (make_resident(shkoder, units[1]), make_resident(lezhe)):
        with pytest.raises(ValidationError) as refused:
            services.cast_ballot(budget, voter=outsider, projects=P(budget, 1))
        assert refused.value.code == "not_resident"
        assert units[0].name in refused.value.messages[0]
    assert not Ballot.objects.exists()


def test_projects_of_another_unit_and_ballots_over_the_limit_are_refused(
    shkoder, make_budget, make_resident
):
    units = list(AdministrativeUnit.objects.filter(municipality=shkoder).order_by("pk")[:2])
    budget = make_budget(unit=units[0], projects=[4_000_000, 5_000_000, 3_000_000], max_projects=2)
    other = make_budget(unit=units[1], projects=[1_000_000])
    voter = make_resident(shkoder, units[0])
    cases = [
        ([str(other.projects.get().pk)], "unknown_project"),
        (P(budget, 1, 2, 3), "over_limit"),  # three projects, two allowed
        ([*P(budget, 1), "x"], "unknown_project"),
        ([], "empty"),
    ]
    for chosen, code in cases:
        with pytest.raises(ValidationError) as refused:
            services.cast_ballot(budget, voter=voter, projects=chosen)
        assert refused.value.code == code, chosen
    capped = make_budget(unit=units[0], projects=[4_000_000, 5_000_000], max_cost=8_000_000)
    with pytest.raises(ValidationError) as refused:
        services.cast_ballot(capped, voter=voter, projects=P(capped, 1, 2))
    assert refused.value.code == "over_limit"
    assert "9,000,000" in refused.value.messages[0]
    assert not Ballot.objects.exists()


def test_only_a_clerk_records_a_ballot_at_the_counter(
    shkoder, make_budget, make_resident, make_staff
):
    budget = make_budget(projects=[1_000_000])
    voter = make_resident(shkoder)
    with pytest.raises(PermissionDenied):
        services.cast_ballot(budget, voter=voter, projects=P(budget, 1), channel=Channel.COUNTER)
    with pytest.raises(PermissionDenied):
        services.cast_ballot(
            budget,
            voter=voter,
            projects=P(budget, 1),
            channel=Channel.COUNTER,
            clerk=make_staff(shkoder, Role.SPECIALIST),
        )
    ballot = services.cast_ballot(
        budget,
        voter=voter,
        projects=P(budget, 1),
        channel=Channel.COUNTER,
        clerk=make_staff(shkoder, Role.CLERK),
    )
    assert ballot.channel == Channel.COUNTER


def test_roles_in_a_budget(shkoder, make_budget, make_resident, make_staff):
    budget = make_budget()
    author = make_resident(shkoder)
    proposal = Proposal.objects.create(
        municipality=shkoder,
        title="t",
        body="b",
        author=author,
        supports_until=budget.voting_ends,
        threshold=10,
    )
    assert services.role_in(budget, None) == rules.ANONYMOUS
    assert services.role_in(budget, make_resident(shkoder, verified=False)) == rules.ANONYMOUS
    assert services.role_in(budget, make_resident(shkoder)) == rules.RESIDENT
    assert services.role_in(budget, author, author_of=proposal) == rules.AUTHOR
    assert services.role_in(budget, make_staff(shkoder, Role.SPECIALIST)) == rules.MODERATOR
    assert services.role_in(budget, make_staff(shkoder, Role.MANAGER)) == rules.STAFF


def test_the_published_result_recounts_the_same_with_pabutools(
    shkoder, make_budget, make_resident, make_staff
):
    costs = [3_000_000, 2_500_000, 4_000_000, 1_500_000, 6_000_000]
    budget = make_budget(projects=costs, amount=9_000_000)
    choices = [[1, 2], [1, 3], [5], [5, 4], [2, 4], [1], [3, 4], [5]]
    for chosen in choices:
        services.cast_ballot(budget, voter=make_resident(shkoder), projects=P(budget, *chosen))
    budget.voting_ends = budget.voting_starts  # the vote closes
    budget.implementation_starts = budget.voting_starts.replace(year=2099)
    budget.save()
    manager = make_staff(shkoder, Role.MANAGER)
    result = services.publish_result(budget, actor=manager)
    assert services.publish_result(budget, actor=manager).pk == result.pk  # idempotent
    instance, profile = parse_pabulib_from_string(result.pb_text)
    assert recount(instance, profile) == sorted(result.winners)
    assert len(profile) == len(choices)
    assert "voter" not in result.pb_text.lower().replace("voter_id", "")
    # Nothing in the file follows the ballots' database ids or the order people voted in.
    assert "rule;equalshares/budget-increase" in result.pb_text
    assert sum(result.explanation[p]["funded"] for p in result.explanation) == len(result.winners)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_person_voting_twice_at_once_counts_once(shkoder, make_budget, make_resident):
    budget = make_budget(projects=[1_000_000, 2_000_000])
    voter = make_resident(shkoder)
    barrier = threading.Barrier(4)
    errors = []

    def vote(choice):
        try:
            barrier.wait()
            services.cast_ballot(budget, voter=voter, projects=[choice])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(P(budget, 1 + i % 2)[0],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ballot.objects.filter(budget=budget).count() == 1
    ballot = Ballot.objects.get(budget=budget)
    assert len(ids(ballot)) == 1
    assert ballot.changes == 3


def test_a_clerk_records_a_ballot_for_a_resident_without_an_account(
    client, shkoder, make_budget, make_staff, verified_client
):
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Person

    budget = make_budget(projects=[1_000_000, 2_000_000])
    person = Person.objects.create(
        municipality=shkoder,
        nid=with_check_letter("L00000077"),
        first_name="Pa",
        last_name="Llogari",
    )
    clerk = verified_client(make_staff(shkoder, Role.CLERK))
    url = f"/en/shkoder/staff/participation/budgets/{budget.slug}/counter/"
    refused = clerk.post(url, {"nid": "X1", "document_seen": "on", "projects": P(budget, 1)})
    assert "must be 10 characters" in refused.content.decode()
    answer = clerk.post(url, {"nid": person.nid, "document_seen": "on", "projects": P(budget, 1)})
    assert answer.status_code == 302
    again = clerk.post(url, {"nid": person.nid, "document_seen": "on", "projects": P(budget, 2)})
    assert again.status_code == 302
    ballot = Ballot.objects.get(budget=budget)
    assert ballot.person == person and ballot.voter is None and ballot.channel == "counter"
    assert ids(ballot) == [2]
