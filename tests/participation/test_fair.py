"""The fair results engine equals pabutools' reference, and a published file recounts the same."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools.election.pabulib import parse_pabulib_from_string

from sportel.participation.fair import Election, equal_shares, greedy
from sportel.participation.pabulib import read_pb, sha256, write_pb

from .reference import pabutools_winners, recount


@st.composite
def elections(draw):
    ids = draw(st.lists(st.integers(1, 40), min_size=1, max_size=7, unique=True))
    names = [str(i) for i in ids]  # "10" < "9": ties follow the string order, as in pabutools
    costs = {p: draw(st.sampled_from([1, 2, 3, 4, 6, 10, 25]) | st.integers(1, 100)) for p in names}
    budget = draw(st.integers(1, 120))
    ballots = draw(st.lists(st.lists(st.sampled_from(names), min_size=1, unique=True), max_size=14))
    return Election(costs, budget, ballots)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_equal_shares_equals_pabutools_on_generated_instances(election):
    ours = equal_shares(election)
    assert sorted(ours.winners) == pabutools_winners(
        election.costs, election.budget, election.ballots
    )
    assert ours.total_cost <= election.budget


def test_ties_go_to_the_first_id_as_a_string():
    # "10" and "9" cost the same and have the same supporters: pabutools funds "10" first.
    election = Election({"9": 5, "10": 5}, 5, [["9", "10"], ["9", "10"]])
    assert equal_shares(election).winners == ["10"]
    assert pabutools_winners(election.costs, election.budget, election.ballots) == ["10"]


def realistic(voters=300, seed=7):
    """Shaped like a town's vote: 14 projects from 0.8 to 9 million lek, uneven popularity."""
    rng = random.Random(seed)
    costs = {
        str(i): rng.choice([800, 1500, 2400, 3000, 4500, 6000, 9000]) * 1000 for i in range(1, 15)
    }
    weights = [rng.paretovariate(1.3) for _ in costs]
    ballots = [
        sorted(set(rng.choices(list(costs), weights=weights, k=rng.randint(1, 5))))
        for _ in range(voters)
    ]
    return Election(costs, 15_000_000, ballots)


def test_equal_shares_equals_pabutools_on_a_realistic_vote():
    election = realistic()
    ours = equal_shares(election)
    assert sorted(ours.winners) == pabutools_winners(
        election.costs, election.budget, election.ballots
    )
    # The fair rule and "most votes" differ here: that is the point of showing both.
    assert sorted(ours.winners) != sorted(greedy(election))


def test_explanation_says_why_each_project_was_or_was_not_funded():
    election = realistic()
    result = equal_shares(election)
    for name, why in result.explanation.items():
        if why.funded:
            assert why.order == result.winners.index(name) + 1
            assert why.payment_per_supporter > 0
        else:
            assert name not in result.winners
            assert 0 <= why.share_covered <= 1


def test_recount_from_the_published_file_with_pabutools():
    election = realistic()
    result = equal_shares(election)
    text = write_pb(
        {
            "description": "Buxheti me pjesëmarrje",
            "country": "Albania",
            "unit": "Shkodër",
            "budget": str(election.budget),
        },
        [
            {
                "project_id": p,
                "cost": c,
                "name": f"Projekti {p}; me pikëpresje",
                "selected": int(p in result.winners),
            }
            for p, c in election.costs.items()
        ],
        election.ballots,
    )
    assert len(sha256(text)) == 64
    instance, profile = parse_pabulib_from_string(text)
    assert instance.meta["rule"] == "equalshares/budget-increase"
    assert recount(instance, profile) == sorted(result.winners)
    meta, again = read_pb(text)
    assert sorted(equal_shares(again).winners) == sorted(result.winners)
    # The published order is canonical, not the order people voted in.
    shuffled = [list(reversed(b)) for b in election.ballots]
    random.Random(1).shuffle(shuffled)
    rows = [
        {"project_id": p, "cost": c, "name": p, "selected": 0} for p, c in election.costs.items()
    ]
    meta = {"budget": str(election.budget)}
    assert write_pb(meta, rows, shuffled) == write_pb(meta, rows, election.ballots)


def test_the_certified_float_runs_agree_with_the_exact_ones():
    from gmpy2 import mpq

    from sportel.participation import fair

    election = realistic(voters=2000, seed=3)
    compiled = fair._Compiled(election)
    certified = 0
    for k in range(0, 300, 7):
        share = mpq(election.budget * (100 + k), 100 * compiled.n)
        exact = [j for j, _, _ in fair._mes(compiled, share)[0]]
        try:
            fast = fair._mes_fast(compiled, float(share))
        except fair._Uncertain:
            continue
        certified += 1
        assert fast == exact, k
    assert certified > 10
