"""pabutools' reference computation of ``equalshares/budget-increase``, for the tests and bench."""

from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
from pabutools.rules import exhaustion_by_budget_increase, method_of_equal_shares


def pabutools_winners(costs, budget, ballots):
    projects = {name: Project(name, cost) for name, cost in costs.items()}
    instance = Instance(projects.values(), budget_limit=budget)
    profile = ApprovalProfile([ApprovalBallot(projects[p] for p in b) for b in ballots])
    return recount(instance, profile)


def recount(instance, profile):
    outcome = exhaustion_by_budget_increase(
        instance, profile, method_of_equal_shares, {"sat_class": Cost_Sat}
    )
    return sorted(p.name for p in outcome)
