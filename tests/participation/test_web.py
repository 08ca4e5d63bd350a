"""The pages and the API as a resident or a client sees them."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from pabutools.election.pabulib import parse_pabulib_from_string

from sportel.accounts.roles import Role
from sportel.participation import services
from sportel.participation.models import Ballot, Phase

from .reference import recount


def url(name, budget, prefix=""):
    path = reverse(
        f"participation:{name}",
        kwargs={"municipality_slug": budget.municipality.slug, "slug": budget.slug},
    )
    return prefix + path if prefix else path


@pytest.fixture
def closed(shkoder, make_budget, make_resident, make_staff):
    budget = make_budget(phase=Phase.VOTING, projects=[3_000_000, 2_000_000, 4_000_000])
    pks = [str(p.pk) for p in budget.projects.order_by("number")]
    for chosen in ([0, 1], [0], [2], [2, 1], [0, 2]):
        services.cast_ballot(
            budget, voter=make_resident(shkoder), projects=[pks[i] for i in chosen]
        )
    budget.voting_ends = budget.voting_starts + timedelta(hours=1)
    budget.save()
    services.publish_result(budget, actor=make_staff(shkoder, Role.MANAGER))
    return budget


def test_a_resident_votes_online_and_sees_the_ballot_again(
    client, shkoder, make_budget, make_resident
):
    budget = make_budget(projects=[3_000_000, 2_000_000])
    voter = make_resident(shkoder)
    client.force_login(voter)
    first = budget.projects.get(number=1)
    response = client.post(url("vote", budget), {"projects": [first.pk]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Fleta juaj e votimit u regjistrua" in page
    assert f'value="{first.pk}" checked' in page
    assert Ballot.objects.get(budget=budget, voter=voter).projects.get() == first


@pytest.mark.parametrize(
    ("prefix", "message"),
    [("", "kushtojnë gjithsej"), ("/en", "cost 5,000,000 ALL together")],
)
def test_a_ballot_over_the_limit_is_refused_on_the_page_in_both_languages(
    client, shkoder, make_budget, make_resident, prefix, message
):
    budget = make_budget(projects=[3_000_000, 2_000_000], max_cost=4_000_000)
    client.force_login(make_resident(shkoder))
    pks = [p.pk for p in budget.projects.all()]
    response = client.post(url("vote", budget, prefix), {"projects": pks})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    # Nothing lost: both choices are still ticked; nothing counted.
    assert all(f'value="{pk}" checked' in page for pk in pks)
    assert not Ballot.objects.exists()


def test_an_unverified_account_is_told_why_it_cannot_vote(
    client, shkoder, make_budget, make_resident
):
    budget = make_budget(projects=[3_000_000])
    client.force_login(make_resident(shkoder, verified=False))
    response = client.post(url("vote", budget, "/en"), {"projects": [budget.projects.get().pk]})
    assert response.status_code == 403
    assert "A personal number typed into the account is not enough" in response.content.decode()
    assert not Ballot.objects.exists()


def test_results_page_explains_the_outcome_and_links_the_recountable_file(client, closed):
    page = client.get(url("results", closed, "/en")).content.decode()
    result = closed.result
    assert "5 ballots counted" in page
    assert result.pb_sha256 in page
    for why in result.explanation.values():
        if why["funded"]:
            assert f"Funded as number {why['order']}" in page
    response = client.get(url("ballots", closed))
    text = response.content.decode()
    assert response["X-Content-SHA256"] == result.pb_sha256
    assert recount(*parse_pabulib_from_string(text)) == sorted(result.winners)


def test_results_of_an_open_vote_do_not_exist(client, make_budget):
    budget = make_budget(projects=[1_000_000])
    assert client.get(url("results", budget)).status_code == 404
    assert client.get(url("ballots", budget)).status_code == 404


def test_a_budget_being_prepared_is_hidden_from_the_public(client, make_budget):
    budget = make_budget(phase=Phase.DRAFT)
    assert client.get(url("budget", budget)).status_code == 404
    assert (
        budget.title
        not in client.get(reverse("participation:budgets", args=["shkoder"])).content.decode()
    )


def test_api_lists_budgets_with_winners_and_ballots_url(client, closed, make_budget):
    open_budget = make_budget(projects=[1_000_000])
    answer = client.get("/api/v1/municipalities/shkoder/budgets").json()
    by_slug = {b["slug"]: b for b in answer}
    done = by_slug[closed.slug]
    assert done["phase"] == "results"
    assert done["winners"] == closed.result.winners
    assert done["rule"] == "equalshares/budget-increase"
    assert done["ballots_url"].endswith(url("ballots", closed))
    assert client.get(done["ballots_url"]).content.decode() == closed.result.pb_text
    assert by_slug[open_budget.slug]["phase"] == "voting"
    assert by_slug[open_budget.slug]["winners"] is None
    assert {p["id"] for p in done["projects"]} == set(closed.result.explanation)
    assert client.get("/api/v1/municipalities/nowhere/budgets").status_code == 404


def test_the_command_line_publishes_and_recounts(closed, make_budget, tmp_path):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    path = tmp_path / "ballots.pb"
    path.write_text(closed.result.pb_text, encoding="utf-8")
    call_command("participation", "recount", str(path), stdout=out)
    assert f"sha256 {closed.result.pb_sha256}" in out.getvalue()
    assert "winners " + ",".join(sorted(closed.result.winners, key=int)) in out.getvalue()
    with pytest.raises(CommandError):
        call_command("participation", "publish", "shkoder", make_budget(projects=[1]).slug)
